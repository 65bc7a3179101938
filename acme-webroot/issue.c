/*
 * Renewal of one certificate and what the run around it shares: CA
 * sessions, hooks, the lists handed to post hooks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/x509.h>

#include "acme.h"
#include "crypto.h"
#include "failpoint.h"
#include "fsutil.h"
#include "hooks.h"
#include "issue.h"
#include "jws.h"
#include "log.h"
#include "order.h"
#include "store.h"
#include "webroot.h"
#include "x509.h"

/* A CA as one account sees it, shared by the certificates using it. */
struct session {
	char			*directory;
	char			*account_key;
	char			*ca_bundle;
	char			*state_dir;
	struct http_client	*http;
	struct acme		 acme;
	EVP_PKEY		*key;
	char			*thumbprint;	/* of key, names its account */
	bool			 broken;	/* could not be opened */
	time_t			 limited_until;	/* rate limited until */
	char			*why;		/* the CA's words when it became
						 * unusable or limited */
};

int
strv_add(struct strv *sv, const char *s)
{
	char	**grown;

	if ((grown = reallocarray(sv->v, sv->n + 1, sizeof(*grown))) == NULL)
		return -1;
	sv->v = grown;
	if ((sv->v[sv->n] = strdup(s)) == NULL)
		return -1;
	sv->n++;
	return 0;
}

bool
strv_has(const struct strv *sv, const char *s)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void
strv_clear(struct strv *sv)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

char *
strv_join(const struct strv *sv)
{
	size_t	 i, len = 1;
	char	*out;

	for (i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + 1;
	if ((out = malloc(len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < sv->n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, sv->v[i]);
	}
	return out;
}

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
session_close(struct session *s)
{
	if (s->acme.kid_changed && s->acme.kid != NULL &&
	    s->thumbprint != NULL)
		store_account_put(s->state_dir, s->directory, s->thumbprint,
		    s->acme.kid);
	acme_close(&s->acme);
	http_free(s->http);
	EVP_PKEY_free(s->key);
	free(s->directory);
	free(s->account_key);
	free(s->thumbprint);
	free(s->why);
	free(s->ca_bundle);
	free(s->state_dir);
}

void
run_free(struct run *run)
{
	size_t	 i;

	for (i = 0; i < run->nsessions; i++)
		session_close(&run->sessions[i]);
	free(run->sessions);
	strv_clear(&run->hooks_done);
	strv_clear(&run->posts_owed);
	strv_clear(&run->renewed);
	strv_clear(&run->failed);
}

/* Stores the account the CA named for the session's key. */
static int
keep_found_account(struct session *s, const char *kid)
{
	log_info("%s: account %s stored for key %s", s->directory, kid,
	    s->thumbprint);
	return store_account_put(s->state_dir, s->directory, s->thumbprint,
	    kid);
}

/*
 * Adopts the account of a file from before accounts were stored per
 * key, when it is this key's: the CA is asked which account the key
 * has, and the answer is stored for the key.  The old file goes only
 * when it named that account; otherwise it is another key's.  *kid is
 * NULL when the key has no account yet.
 */
static int
adopt_unkeyed_account(struct session *s, char **kid)
{
	char	*old = NULL;
	int	 rc;

	/* A corrupt old file is set aside, as if absent. */
	log_errors_at(LOG_WARNING);
	rc = store_account_get(s->state_dir, s->directory, NULL, &old);
	log_errors_at(LOG_ERR);
	if (rc == -1)
		return store_account_set_aside(s->state_dir, s->directory,
		    NULL);
	if (rc != 0)
		return 0;
	rc = acme_account_find(&s->acme, s->key, kid);
	if (rc == -ENOENT) {
		log_info("%s: stored account %s is not key %s's", s->directory,
		    old, s->thumbprint);
		rc = 0;
	} else if (rc == 0) {
		rc = keep_found_account(s, *kid);
		if (rc == 0 && strcmp(old, *kid) == 0)
			store_account_forget(s->state_dir, s->directory, NULL);
	}
	free(old);
	return rc;
}

/*
 * A stored account file that cannot be used (corrupt, an http:// URL)
 * is set aside, and the CA asked which account the key has, creating
 * none; *kid is NULL when it has none, and acme_account() makes one.
 */
static int
recover_account(struct session *s, char **kid)
{
	int	 rc;

	if (store_account_set_aside(s->state_dir, s->directory,
	    s->thumbprint) == -1)
		return -1;
	rc = acme_account_find(&s->acme, s->key, kid);
	if (rc == -ENOENT)
		return 0;
	return rc == 0 ? keep_found_account(s, *kid) : rc;
}

/* Opens the directory and the account: the first request of a run. */
static int
session_open(struct run *run, struct session *s, const struct cert_conf *cc)
{
	char	*kid = NULL;
	int	 rc;

	if ((s->http = http_new(cc->ca_bundle, run->stop)) == NULL)
		return -1;
	s->acme.email = cc->email;
	s->acme.agree_tos = cc->agree_tos;
	s->acme.deadline = time(NULL) + cc->timeout;
	if (acme_open(&s->acme, s->http, cc->directory, run->stop) == -1)
		return -1;
	if ((s->key = key_load_or_create(cc->account_key,
	    KEY_TYPE_EC256)) == NULL ||
	    (s->thumbprint = jwk_thumbprint(s->key)) == NULL)
		return -1;

	/* A file that cannot be used is mended below: not an error. */
	log_errors_at(LOG_WARNING);
	rc = store_account_get(s->state_dir, s->directory, s->thumbprint,
	    &kid);
	log_errors_at(LOG_ERR);
	if (rc == -1)
		rc = recover_account(s, &kid);
	else if (rc == -ENOENT)
		rc = adopt_unkeyed_account(s, &kid);
	if (rc == -1) {
		free(kid);
		return -1;
	}
	rc = acme_account(&s->acme, s->key, kid);
	free(kid);
	if (rc == 0 && s->acme.kid_changed)
		rc = store_account_put(s->state_dir, s->directory,
		    s->thumbprint, s->acme.kid);
	s->acme.kid_changed = false;
	return rc;
}

/* Keeps the first error since the mark: what the CA said. */
static void
session_note_why(struct session *s)
{
	free(s->why);
	s->why = log_first_error() ? strdup(log_first_error()) : NULL;
}

static struct session *
session_get(struct run *run, const struct cert_conf *cc)
{
	struct session	*s, *grown;
	size_t		 i;

	for (i = 0; i < run->nsessions; i++) {
		s = &run->sessions[i];
		if (same(s->directory, cc->directory) &&
		    same(s->account_key, cc->account_key) &&
		    same(s->ca_bundle, cc->ca_bundle) &&
		    same(s->state_dir, cc->state_dir))
			return s;
	}

	grown = reallocarray(run->sessions, run->nsessions + 1,
	    sizeof(*grown));
	if (grown == NULL)
		return NULL;
	run->sessions = grown;
	s = &run->sessions[run->nsessions++];
	memset(s, 0, sizeof(*s));
	s->directory = strdup(cc->directory);
	s->account_key = strdup(cc->account_key);
	s->ca_bundle = cc->ca_bundle ? strdup(cc->ca_bundle) : NULL;
	s->state_dir = strdup(cc->state_dir);
	log_error_mark();
	if (s->directory == NULL || s->account_key == NULL ||
	    s->state_dir == NULL || session_open(run, s, cc) == -1) {
		s->broken = true;
		session_note_why(s);
	}
	/* Refused an account for a while: every order waits as long. */
	if (s->broken && acme_problem_is(&s->acme, "rateLimited"))
		s->limited_until = s->acme.retry_after ? s->acme.retry_after :
		    time(NULL) + 3600;
	return s;
}

/* Whether the leaf names exactly cc's domains. */
static bool
names_match(const struct cert_conf *cc, X509 *leaf)
{
	char	**names;
	size_t	 n, i, j;
	bool	 ok;

	if ((names = cert_dns_names(leaf, &n)) == NULL)
		return false;
	ok = n == cc->ndomains;
	for (i = 0; ok && i < cc->ndomains; i++) {
		ok = false;
		for (j = 0; j < n; j++)
			if (strcasecmp(cc->domains[i], names[j]) == 0)
				ok = true;
	}
	strv_free(names, n);
	return ok;
}

/*
 * A renew_before as long as the lifetime would renew on every run;
 * cert_conf_renew_at() uses the default share instead, and this says
 * so, once per run, as each run inspects a certificate once.
 */
static void
warn_renew_before(const struct cert_conf *cc, time_t not_before,
    time_t not_after)
{
	long long	 life = (long long)(not_after - not_before);
	char		 span[64];

	if (cc->renew_kind != RENEW_SECONDS || cc->renew_seconds < life)
		return;
	if (life >= 2 * 86400)
		snprintf(span, sizeof(span), "%lld days", life / 86400);
	else if (life >= 2 * 3600)
		snprintf(span, sizeof(span), "%lld hours", life / 3600);
	else
		snprintf(span, sizeof(span), "%lld seconds", life);
	log_warn("%s: renew_before is not shorter than the certificate's "
	    "lifetime of %s; the default, 1/3 of it (1/2 under 10 days), "
	    "is used", cc->renew_before_at ? cc->renew_before_at :
	    "renew_before", span);
}

/* Checks the parsed live files against cc; sets why_due if needed. */
static void
judge_live(const struct cert_conf *cc, time_t now, X509 *leaf,
    EVP_PKEY *key, struct cert_info *info)
{
	char		*why = info->why_due;
	size_t		 size = sizeof(info->why_due);
	enum key_type	 type;

	if (cert_validity(leaf, &info->not_before, &info->not_after) == -1 ||
	    !key_matches_cert(key, leaf)) {
		snprintf(why, size, "the stored key and certificate do "
		    "not match");
		return;
	}
	info->usable = true;
	warn_renew_before(cc, info->not_before, info->not_after);
	info->renew_at = cert_conf_renew_at(cc, info->not_before,
	    info->not_after);
	if (!names_match(cc, leaf))
		snprintf(why, size, "the configured names changed");
	else if (key_type_of(key, &type) == -1 || type != cc->key_type)
		snprintf(why, size, "key_type changed to %s",
		    key_type_name(cc->key_type));
	else if (now >= info->not_after)
		snprintf(why, size, "expired");
	else if (now >= info->renew_at)
		snprintf(why, size, "inside its renewal window");
}

/* Whether the certificates of list from index from on are those of
 * part, in order. */
static bool
same_certs(STACK_OF(X509) *list, int from, STACK_OF(X509) *part)
{
	int	 i;

	if (sk_X509_num(list) - from != sk_X509_num(part))
		return false;
	for (i = 0; i < sk_X509_num(part); i++)
		if (X509_cmp(sk_X509_value(list, from + i),
		    sk_X509_value(part, i)) != 0)
			return false;
	return true;
}

/*
 * Whether fullchain.pem is cert.pem's leaf then chain.pem: servers
 * send fullchain.pem, so a broken one breaks the site while cert.pem
 * and the key look fine.  Sets why (size bytes) when it is not.
 */
static bool
fullchain_whole(const struct store_files *f, X509 *leaf, char *why,
    size_t size)
{
	STACK_OF(X509)	*full, *chain = NULL;
	bool		 whole = false;

	full = pem_chain_parse(f->fullchain, f->fullchain_len,
	    "fullchain.pem");
	if (full == NULL)
		snprintf(why, size, "fullchain.pem does not parse");
	else if (X509_cmp(sk_X509_value(full, 0), leaf) != 0)
		snprintf(why, size, "fullchain.pem does not begin with "
		    "cert.pem's certificate");
	else if ((chain = pem_chain_parse(f->chain, f->chain_len,
	    "chain.pem")) == NULL)
		snprintf(why, size, "chain.pem does not parse");
	else if (!same_certs(full, 1, chain))
		snprintf(why, size, "fullchain.pem is not cert.pem then "
		    "chain.pem");
	else
		whole = true;
	sk_X509_pop_free(full, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return whole;
}

int
cert_inspect(const struct cert_conf *cc, time_t now, struct cert_info *info)
{
	struct store_files	 f;
	STACK_OF(X509)		*chain = NULL;
	EVP_PKEY		*key = NULL;
	int			 rc;

	memset(info, 0, sizeof(*info));
	rc = store_read_live(cc->state_dir, cc->name, &f);
	if (rc == -ENOENT) {
		snprintf(info->why_due, sizeof(info->why_due),
		    "no certificate yet");
		return 0;
	}
	if (rc == -ENOTDIR) {
		info->blocked = true;
		snprintf(info->why_due, sizeof(info->why_due),
		    "live/%s is not a directory", cc->name);
		return -1;
	}
	if (rc == -1) {
		snprintf(info->why_due, sizeof(info->why_due),
		    "the stored files cannot be read");
		return -1;
	}
	info->present = true;

	chain = pem_chain_parse(f.cert, f.cert_len, "cert.pem");
	key = key_from_pem(f.privkey, f.privkey_len, "privkey.pem");
	if (chain == NULL || key == NULL)
		snprintf(info->why_due, sizeof(info->why_due),
		    "the stored files do not parse");
	else {
		judge_live(cc, now, sk_X509_value(chain, 0), key, info);
		/* The whole set is installed or renewed as one. */
		fullchain_whole(&f, sk_X509_value(chain, 0), info->why_due,
		    sizeof(info->why_due));
	}

	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	store_files_free(&f);
	return 0;
}

/* Runs NAME's hooks of one kind: the configured text, then the
 * renewal-hooks directory of its state directory. */
static int
run_hooks(const struct cert_conf *cc, const char *kind, const char *text,
    const struct hook_var *vars, size_t nvars)
{
	char	 label[32], dir[4096];
	int	 rc = 0;

	snprintf(label, sizeof(label), "%s_hook", kind);
	failpoint(label);
	if (text != NULL &&
	    hook_run(label, text, vars, nvars, (unsigned)cc->hook_timeout)
	    == -1)
		rc = -1;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/renewal-hooks/%s",
	    cc->state_dir, kind) < sizeof(dir) &&
	    hook_run_dir(dir, vars, nvars, (unsigned)cc->hook_timeout) == -1)
		rc = -1;
	return rc;
}

/* Hooks of one kind are told apart by state directory and text. */
static void
hook_key(char *buf, size_t size, const struct cert_conf *cc,
    const char *text)
{
	snprintf(buf, size, "%s\n%s", cc->state_dir, text ? text : "");
}

/* Pre hooks, once per distinct text and directory in a run; the
 * matching post hooks become owed. */
static int
pre_hooks(struct run *run, const struct cert_conf *cc)
{
	char	 key[4096];

	hook_key(key, sizeof(key), cc, cc->post_hook);
	if (!strv_has(&run->posts_owed, key) &&
	    strv_add(&run->posts_owed, key) == -1)
		return -1;

	hook_key(key, sizeof(key), cc, cc->pre_hook);
	if (strv_has(&run->hooks_done, key))
		return 0;
	if (strv_add(&run->hooks_done, key) == -1)
		return -1;
	return run_hooks(cc, "pre", cc->pre_hook, NULL, 0);
}

static int
deploy_hooks(const struct cert_conf *cc)
{
	struct strv	 names = { cc->domains, cc->ndomains };
	struct hook_var	 vars[2];
	char		 lineage[4096], *domains;
	int		 rc;

	if (store_live_path(cc->state_dir, cc->name, lineage,
	    sizeof(lineage)) == -1 || (domains = strv_join(&names)) == NULL)
		return -1;
	vars[0].name = "RENEWED_LINEAGE";
	vars[0].value = lineage;
	vars[1].name = "RENEWED_DOMAINS";
	vars[1].value = domains;
	rc = run_hooks(cc, "deploy", cc->deploy_hook, vars, 2);
	free(domains);
	return rc;
}

int
run_post_hooks(struct run *run, struct config *cfg)
{
	struct strv	 done = { NULL, 0 };
	struct hook_var	 vars[2];
	struct cert_conf *cc;
	char		 key[4096], *renewed, *failed;
	size_t		 i;
	int		 rc = 0;

	if (!run->attempted)
		return 0;
	renewed = strv_join(&run->renewed);
	failed = strv_join(&run->failed);
	vars[0].name = "RENEWED_DOMAINS";
	vars[0].value = renewed ? renewed : "";
	vars[1].name = "FAILED_DOMAINS";
	vars[1].value = failed ? failed : "";

	for (i = 0; i < cfg->ncerts; i++) {
		cc = &cfg->certs[i];
		hook_key(key, sizeof(key), cc, cc->post_hook);
		if (!cc->valid || strv_has(&done, key) ||
		    !strv_has(&run->posts_owed, key))
			continue;
		strv_add(&done, key);
		log_set_context(NULL);
		if (run_hooks(cc, "post", cc->post_hook, vars, 2) == -1)
			rc = -1;
	}
	strv_clear(&done);
	free(renewed);
	free(failed);
	return rc;
}

static void
print_issued(const struct cert_conf *cc, const struct store_files *f,
    unsigned version)
{
	STACK_OF(X509)	*chain;
	time_t		 nb = 0, na = 0;
	char		 until[32] = "?";

	/* -q keeps errors only, so that cron mails only those. */
	if (!log_enabled(LOG_WARNING))
		return;
	chain = pem_chain_parse(f->cert, f->cert_len, "cert.pem");
	if (chain != NULL &&
	    cert_validity(sk_X509_value(chain, 0), &nb, &na) == 0)
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ",
		    gmtime(&na));
	sk_X509_pop_free(chain, X509_free);
	printf("%s: issued version %u for %zu name%s, valid until %s\n",
	    cc->name, version, cc->ndomains, cc->ndomains == 1 ? "" : "s",
	    until);
	fflush(stdout);
}

/* Records the names of cc in list, for the post hooks. */
static void
note_domains(struct strv *list, const struct cert_conf *cc)
{
	size_t	 i;

	for (i = 0; i < cc->ndomains; i++)
		strv_add(list, cc->domains[i]);
}

/* Orders, stores and deploys; the part that talks to the CA. */
static int
obtain_and_install(struct run *run, struct session *s,
    struct cert_conf *cc, struct store_state *st)
{
	struct store_files	 f = { 0 };
	unsigned		 version = 0;
	int			 rc = -1;

	s->acme.deadline = time(NULL) + cc->timeout;
	if (order_obtain(&s->acme, cc, st, &f) == -1)
		goto out;
	if (store_install(cc->state_dir, cc->name, &f,
	    cc->has_key_group ? cc->key_gid : GID_KEEP, &version) == -1)
		goto out;

	/* Installed: the order and its key are done with.  The state
	 * goes first: a run killed in between leaves a stray key, which
	 * the next order replaces, never an order without its key. */
	store_state_succeeded(st);
	st->deploy_pending = true;
	store_state_save(cc->state_dir, cc->name, st);
	store_pending_key_forget(cc->state_dir, cc->name);
	print_issued(cc, &f, version);
	note_domains(&run->renewed, cc);
	rc = 0;
out:
	store_files_free(&f);
	return rc;
}

/* Whether the stored failure memory lets this run try; logs why not.
 * Decided from the state alone, before any request. */
static bool
may_retry(const struct run *run, const struct store_state *st)
{
	char	 when[32], *why;

	if (run->force || st->next_try <= time(NULL))
		return true;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime(&st->next_try));
	why = log_escape_unprintable(st->failure_msg ? st->failure_msg :
	    "unknown");
	log_err("not retried before %s; last failure: %s", when, why);
	log_escape_free(why);
	return false;
}

/*
 * Whether this run may talk to the CA for cc.  When it may not, logs
 * why, and puts in note (size bytes) the same with the CA's words, for
 * the certificate's failure memory.
 */
static bool
may_order(struct session *s, char *note, size_t size)
{
	char	 when[32];
	size_t	 len;
	bool	 limited = s != NULL && s->limited_until != 0;

	if (limited) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    gmtime(&s->limited_until));
		snprintf(note, size, "deferred: %s rate-limits this account "
		    "until %s", s->directory, when);
	} else if (s == NULL || s->broken)
		snprintf(note, size, "%s: CA not usable in this run",
		    s != NULL ? s->directory : "CA");
	else
		return true;

	log_err("%s%s", note, limited ? "" : " (see above)");
	len = strlen(note);
	snprintf(note + len, size - len, ": %s", s != NULL && s->why != NULL ?
	    s->why : "out of memory");
	return false;
}

/* Remembers a failure of cc, and names it failed to the post hooks;
 * retry_after is the CA's time, or 0. */
static void
remember_failure(struct run *run, struct cert_conf *cc,
    struct store_state *st, const char *msg, time_t retry_after)
{
	store_state_failed(st, time(NULL), msg, retry_after);
	store_state_save(cc->state_dir, cc->name, st);
	note_domains(&run->failed, cc);
}

/* A failed attempt: remembered, and a rate limit stops this CA. */
static void
note_failure(struct run *run, struct session *s, struct cert_conf *cc,
    struct store_state *st)
{
	time_t	 later = 0;
	char	 when[32];

	if (s != NULL && acme_problem_is(&s->acme, "rateLimited")) {
		later = s->acme.retry_after ? s->acme.retry_after :
		    time(NULL) + 3600;
		s->limited_until = later;
		session_note_why(s);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    gmtime(&later));
		log_err("%s rate-limits this account until %s%s",
		    s->directory, when, s->acme.retry_after ? "" :
		    " (it gave no time: one hour assumed)");
	}
	remember_failure(run, cc, st, log_first_error() ?
	    log_first_error() : "failed", later);
}

/* Whether this run was asked to stop; such a failure is no fault of
 * the CA's or the site's, and the next run tries at once. */
static bool
interrupted(const struct run *run)
{
	return run->stop != NULL && *run->stop;
}

static int
renew_due(struct run *run, struct cert_conf *cc, struct store_state *st,
    const char *why)
{
	struct session	*s;
	char		 note[1024];

	log_info("renewing: %s", why);
	if (!may_retry(run, st))
		return -1;
	/* A webroot that is not there fails every order: say so before
	 * the CA is asked for one. */
	if (cert_conf_check_paths(cc) == -1)
		return -1;
	/* A CA this run cannot use, or that rate-limits the account,
	 * fails the certificate without a request; remembered, so that
	 * status shows it and renew waits, as the CA asked when it did. */
	s = session_get(run, cc);
	if (!may_order(s, note, sizeof(note))) {
		if (interrupted(run))
			note_domains(&run->failed, cc);
		else
			remember_failure(run, cc, st, note,
			    s != NULL ? s->limited_until : 0);
		return -1;
	}
	if (pre_hooks(run, cc) == -1)
		log_warn("pre hook failed; renewing all the same");
	run->attempted = true;

	log_error_mark();
	webroot_remove_strays(cc->state_dir, cc->name);
	if (obtain_and_install(run, s, cc, st) == 0)
		return 0;
	if (interrupted(run)) {
		log_err("interrupted");
		note_domains(&run->failed, cc);
		return -1;
	}
	note_failure(run, s, cc, st);
	return -1;
}

/* Runs the deploy hooks owed; remembers why they failed, for status. */
static int
owed_deploy(const struct cert_conf *cc, struct store_state *st)
{
	const char	*why;

	log_error_mark();
	free(st->deploy_failure);
	st->deploy_failure = NULL;
	if (deploy_hooks(cc) == 0) {
		st->deploy_pending = false;
		return 0;
	}
	why = log_first_error() ? log_first_error() : "failed";
	if (asprintf(&st->deploy_failure, "deploy hook failed: %s", why)
	    == -1)
		st->deploy_failure = NULL;
	return -1;
}

/* Whether the key of the order in flight is the live certificate's. */
static bool
pending_key_is_live(const struct cert_conf *cc)
{
	struct store_files	 f;
	STACK_OF(X509)		*chain;
	EVP_PKEY		*key;
	char			*pem = NULL;
	size_t			 len = 0;
	bool			 live = false;

	if (store_pending_key_get(cc->state_dir, cc->name, &pem, &len) != 0)
		return false;
	key = key_from_pem(pem, len, "pending key");
	free_secret(pem, len);
	if (key != NULL && store_read_live(cc->state_dir, cc->name, &f) == 0) {
		chain = pem_chain_parse(f.cert, f.cert_len, "cert.pem");
		live = chain != NULL &&
		    key_matches_cert(key, sk_X509_value(chain, 0));
		sk_X509_pop_free(chain, X509_free);
		store_files_free(&f);
	}
	EVP_PKEY_free(key);
	return live;
}

/*
 * An order left in flight while the live version is good is over: a
 * run was killed either before it installed the order's certificate,
 * or after, before it could record that the deploy hook is owed.  The
 * order's key tells which.
 */
static void
forget_stale_order(const struct cert_conf *cc, struct store_state *st)
{
	if (pending_key_is_live(cc)) {
		log_info("%s: installed by an interrupted run; its deploy "
		    "hook is owed", st->order_url);
		st->deploy_pending = true;
	}
	free(st->order_url);
	st->order_url = NULL;
	if (store_state_save(cc->state_dir, cc->name, st) == 0)
		store_pending_key_forget(cc->state_dir, cc->name);
}

int
cert_renew(struct run *run, struct cert_conf *cc)
{
	struct store_state	 st = { 0 };
	struct cert_info	 info;
	char			 conf[4096];
	int			 rc = -1;

	/* Renewing all is quiet about certbot's lineages; asked for one
	 * by name, it says why it does nothing. */
	if (store_certbot_managed(cc->state_dir, cc->name, conf,
	    sizeof(conf))) {
		if (!run->force) {
			log_notice("skipped: certbot manages it (%s)", conf);
			return 0;
		}
		log_err("%s: certbot manages this certificate; not issued",
		    conf);
		return -1;
	}
	/* What a killed run left beside live/NAME goes first. */
	store_tidy(cc->state_dir, cc->name);
	store_state_load(cc->state_dir, cc->name, &st);
	cert_inspect(cc, time(NULL), &info);

	/* Logged by cert_inspect; an order now would be lost. */
	if (info.blocked)
		rc = -1;
	else if (run->force || info.why_due[0] != '\0')
		rc = renew_due(run, cc, &st, run->force && info.why_due[0] ==
		    '\0' ? "issue asked for" : info.why_due);
	else {
		strftime(conf, sizeof(conf), "%Y-%m-%dT%H:%M:%SZ",
		    gmtime(&info.renew_at));
		log_info("not due before %s", conf);
		rc = 0;
		if (st.order_url != NULL)
			forget_stale_order(cc, &st);
	}

	/* A deploy hook that failed once is owed until it succeeds. */
	if (st.deploy_pending && (rc == 0 || info.present)) {
		if (owed_deploy(cc, &st) == -1)
			rc = -1;
		store_state_save(cc->state_dir, cc->name, &st);
	}
	store_state_free(&st);
	return rc;
}
