/*
 * The order of one certificate, from newOrder (or a resumed order) to
 * the checked PEM files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "crypto.h"
#include "failpoint.h"
#include "fsutil.h"
#include "jws.h"
#include "log.h"
#include "order.h"
#include "webroot.h"
#include "x509.h"

#define AUTHZ_FINALS	"valid\0invalid\0deactivated\0expired\0revoked\0"
#define ORDER_FINALS	"ready\0valid\0invalid\0"
#define ISSUED_FINALS	"valid\0invalid\0"

/* One pending HTTP-01 challenge we answered. */
struct answered {
	const char	*authz_url;	/* owned by the order object */
	char		*challenge_url;	/* a copy */
};

static bool
has_name(const struct cert_conf *cc, const char *name)
{
	size_t	 i;

	for (i = 0; i < cc->ndomains; i++)
		if (strcasecmp(cc->domains[i], name) == 0)
			return true;
	return false;
}

/* Whether an order's identifiers are exactly cc's names. */
static bool
order_matches(const struct cert_conf *cc, json_t *order)
{
	json_t		*ids = json_object_get(order, "identifiers"), *id;
	const char	*value;
	size_t		 i;

	if (!json_is_array(ids) || json_array_size(ids) != cc->ndomains)
		return false;
	json_array_foreach(ids, i, id) {
		value = json_str(id, "value");
		if (value == NULL || !has_name(cc, value))
			return false;
	}
	return true;
}

/* The http-01 challenge of an authorization, or NULL. */
static json_t *
http01_of(json_t *authz)
{
	json_t		*chals = json_object_get(authz, "challenges"), *c;
	const char	*type;
	size_t		 i;

	json_array_foreach(chals, i, c) {
		type = json_str(c, "type");
		if (type != NULL && strcmp(type, "http-01") == 0)
			return c;
	}
	return NULL;
}

/*
 * Logs why an authorization failed: each challenge's error first (the
 * CA's reason is what gets remembered as the failure), then the URL
 * the CA fetched, which is what an admin checks first.
 */
static void
explain_authz(const char *authz_url, json_t *authz)
{
	json_t		*chals = json_object_get(authz, "challenges"), *c;
	json_t		*records, *rec;
	const char	*name, *url, *status;
	char		*ename, *eurl, where[512];
	size_t		 i, j, errors = 0;

	name = json_str(json_object_get(authz, "identifier"), "value");
	ename = log_escape(name, name ? strlen(name) : 0, 253);
	snprintf(where, sizeof(where), "%s: %s", authz_url, ename);

	json_array_foreach(chals, i, c) {
		if (json_object_get(c, "error") == NULL)
			continue;
		errors++;
		acme_log_problem(where, json_object_get(c, "error"));
		records = json_object_get(c, "validationRecord");
		json_array_foreach(records, j, rec) {
			if ((url = json_str(rec, "url")) == NULL)
				continue;
			eurl = log_escape(url, strlen(url), 300);
			log_err("%s: the CA fetched %s", ename, eurl);
			log_escape_free(eurl);
		}
	}
	if (errors == 0) {
		status = json_str(authz, "status");
		log_err("%s: authorization is %s", where,
		    status ? status : "without status");
	}
	log_escape_free(ename);
}

/* After a failed validation: where the token was, which is where the
 * web server should have served it from. */
static void
name_webroot(const struct cert_conf *cc, json_t *authz)
{
	const char	*name, *root;
	char		*ename, *eroot;

	name = json_str(json_object_get(authz, "identifier"), "value");
	if (name == NULL || (root = cert_conf_webroot(cc, name)) == NULL)
		return;
	ename = log_escape(name, strlen(name), 253);
	eroot = log_escape(root, strlen(root), 300);
	log_err("%s: the token was written under webroot %s", ename, eroot);
	log_escape_free(eroot);
	log_escape_free(ename);
}

/* Fetches the authorizations at urls, but skip, and explains each
 * that is not valid. */
static void
explain_authzs(struct acme *acme, json_t *urls, const char *skip)
{
	json_t		*item, *authz;
	const char	*url;
	size_t		 i;

	json_array_foreach(urls, i, item) {
		url = json_string_value(item);
		if (!http_url_is_https(url) ||
		    (skip != NULL && strcmp(url, skip) == 0))
			continue;
		if (acme_fetch(acme, url, &authz) == 0) {
			if (strcmp(json_str(authz, "status") ?: "",
			    "valid") != 0)
				explain_authz(url, authz);
			json_decref(authz);
		}
	}
}

/* Writes the token file of one pending authorization. */
static int
prepare_challenge(struct acme *acme, const struct cert_conf *cc,
    struct webroot_set *set, json_t *authz, const char *authz_url,
    const char **challenge_url)
{
	json_t		*chal, *ident = json_object_get(authz, "identifier");
	const char	*name = json_str(ident, "value");
	const char	*type = json_str(ident, "type");
	const char	*token, *root;
	char		*keyauth = NULL;
	int		 rc = -1;

	if (name == NULL || type == NULL || strcmp(type, "dns") != 0 ||
	    !has_name(cc, name)) {
		log_err("%s: authorization for a name not ordered",
		    authz_url);
		return -1;
	}
	if ((chal = http01_of(authz)) == NULL) {
		log_err("%s: %s: the CA offers no http-01 challenge",
		    authz_url, name);
		return -1;
	}
	token = json_str(chal, "token");
	*challenge_url = json_str(chal, "url");
	if (token == NULL || !webroot_token_valid(token)) {
		log_err("%s: %s: challenge token missing or not base64url",
		    authz_url, name);
		return -1;
	}
	if (!http_url_is_https(*challenge_url)) {
		log_err("%s: %s: challenge URL missing or not https",
		    authz_url, name);
		return -1;
	}
	if ((root = cert_conf_webroot(cc, name)) == NULL) {
		log_err("%s: no webroot configured", name);
		return -1;
	}

	if ((keyauth = key_authorization(token, acme->account_key)) == NULL)
		goto out;
	log_info("%s: token in %s", name, root);
	rc = webroot_put(set, root, token, keyauth);
	failpoint("token-written");
out:
	free(keyauth);
	return rc;
}

/* Fetches every authorization, answers the pending ones, waits. */
static int
authorize(struct acme *acme, const struct cert_conf *cc,
    const char *order_url, json_t *order, struct webroot_set *set)
{
	json_t		*urls = json_object_get(order, "authorizations");
	json_t		*authz = NULL, *done;
	struct answered	*ans;
	const char	*url, *status, *chal_url;
	size_t		 i, n = 0;
	int		 rc = -1;

	if (!json_is_array(urls) || json_array_size(urls) == 0) {
		log_err("%s: order without authorizations", order_url);
		return -1;
	}
	if ((ans = calloc(json_array_size(urls), sizeof(*ans))) == NULL)
		return -1;

	/* Every token is in place before the CA is told to look. */
	for (i = 0; i < json_array_size(urls); i++) {
		url = json_string_value(json_array_get(urls, i));
		if (!http_url_is_https(url)) {
			log_err("%s: order lists an authorization that is "
			    "not an https URL", order_url);
			goto out;
		}
		/* A fetch that fails leaves authz as it was: not the one
		 * released here. */
		json_decref(authz);
		authz = NULL;
		if (acme_fetch(acme, url, &authz) == -1)
			goto out;
		status = json_str(authz, "status");
		if (status != NULL && strcmp(status, "valid") == 0)
			continue;
		if (status == NULL || strcmp(status, "pending") != 0) {
			explain_authz(url, authz);
			goto out;
		}
		if (prepare_challenge(acme, cc, set, authz, url,
		    &chal_url) == -1)
			goto out;
		ans[n].authz_url = url;
		if ((ans[n++].challenge_url = strdup(chal_url)) == NULL)
			goto out;
	}

	for (i = 0; i < n; i++)
		if (acme_respond(acme, ans[i].challenge_url) == -1)
			goto out;
	failpoint("challenge-answered");
	if (n > 0)
		log_info("%zu challenge%s answered, the CA validates", n,
		    n == 1 ? "" : "s");

	for (i = 0; i < n; i++) {
		if (acme_poll(acme, ans[i].authz_url, AUTHZ_FINALS,
		    &done) == -1)
			goto out;
		status = json_str(done, "status");
		if (strcmp(status, "valid") != 0) {
			/* The CA's reason for this name first: that one is
			 * remembered; then every other name that failed. */
			explain_authz(ans[i].authz_url, done);
			name_webroot(cc, done);
			json_decref(done);
			explain_authzs(acme, urls, ans[i].authz_url);
			goto out;
		}
		json_decref(done);
	}
	log_info("%zu name%s validated", cc->ndomains,
	    cc->ndomains == 1 ? "" : "s");
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(ans[i].challenge_url);
	free(ans);
	json_decref(authz);
	return rc;
}

/* After an invalid order, every authorization says why. */
static void
explain_order(struct acme *acme, const char *order_url, json_t *order)
{
	log_err("%s: order is invalid", order_url);
	if (json_object_get(order, "error") != NULL)
		acme_log_problem(order_url, json_object_get(order, "error"));
	explain_authzs(acme, json_object_get(order, "authorizations"), NULL);
}

/* The key of the order in flight, or a new one saved before use. */
static EVP_PKEY *
order_key(const struct cert_conf *cc, bool may_create)
{
	EVP_PKEY	*key = NULL;
	char		*pem = NULL;
	size_t		 len = 0;
	int		 rc;

	rc = store_pending_key_get(cc->state_dir, cc->name, &pem, &len);
	if (rc == 0) {
		key = key_from_pem(pem, len, "pending key");
		free_secret(pem, len);
		if (key != NULL && key_is_type(key, cc->key_type))
			return key;
		EVP_PKEY_free(key);
		key = NULL;
	}
	if (!may_create) {
		log_err("the order is issued but its key is lost");
		return NULL;
	}

	if ((key = key_generate(cc->key_type)) == NULL)
		return NULL;
	if ((pem = key_to_pem(key, &len)) == NULL ||
	    store_pending_key_put(cc->state_dir, cc->name, pem, len) == -1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	free_secret(pem, len);
	return key;
}

static int
finalize(struct acme *acme, const struct cert_conf *cc, json_t **order,
    const char *order_url, EVP_PKEY *key)
{
	const char	*url = json_str(*order, "finalize");
	json_t		*answer = NULL;
	char		*csr;
	int		 rc = -1;

	if (!http_url_is_https(url)) {
		log_err("%s: order has no https finalize URL", order_url);
		return -1;
	}
	if ((csr = csr_make(key, cc->domains, cc->ndomains)) == NULL)
		return -1;
	log_info("%s: finalizing with its %s key", order_url,
	    key_type_name(cc->key_type));
	if (acme_finalize(acme, url, csr, &answer) == -1)
		goto out;
	failpoint("finalize-sent");
	json_decref(answer);
	json_decref(*order);
	*order = NULL;
	rc = acme_poll(acme, order_url, ISSUED_FINALS, order);
out:
	free(csr);
	return rc;
}

/* Whether chain has an intermediate after the leaf, which servers
 * must send along; logs it when not. */
static bool
has_intermediate(STACK_OF(X509) *chain, const char *url)
{
	if (sk_X509_num(chain) >= 2)
		return true;
	log_err("%s: the CA sent no chain certificate", url);
	return false;
}

/*
 * Downloads the chain and checks it before anything is stored.
 * Returns 0, -1, or -EBADMSG when what the CA sent is not the
 * certificate wanted: its order will never give a better one.
 */
static int
download(struct acme *acme, const struct cert_conf *cc,
    const char *order_url, json_t *order, EVP_PKEY *key,
    struct store_files *f)
{
	const char	*url = json_str(order, "certificate");
	STACK_OF(X509)	*chain = NULL;
	char		*pem = NULL;
	size_t		 len;
	int		 rc = -1;

	if (!http_url_is_https(url)) {
		log_err("%s: valid order without an https certificate URL",
		    order_url);
		return -1;
	}
	log_info("downloading %s", url);
	if (acme_download(acme, url, &pem, &len) == -1)
		return -1;
	failpoint("certificate-downloaded");
	rc = -EBADMSG;
	if ((chain = pem_chain_parse(pem, len, url)) == NULL ||
	    !has_intermediate(chain, url) ||
	    cert_check_issued(sk_X509_value(chain, 0), key, cc->domains,
	    cc->ndomains, url) == -1)
		goto out;
	rc = -1;

	f->cert = cert_to_pem(sk_X509_value(chain, 0), &f->cert_len);
	f->chain = chain_to_pem(chain, 1, &f->chain_len);
	f->fullchain = chain_to_pem(chain, 0, &f->fullchain_len);
	f->privkey = key_to_pem(key, &f->privkey_len);
	if (f->cert == NULL || f->chain == NULL || f->fullchain == NULL ||
	    f->privkey == NULL) {
		store_files_free(f);
		goto out;
	}
	rc = 0;
out:
	sk_X509_pop_free(chain, X509_free);
	free(pem);
	return rc;
}

/* Forgets the order in flight and its key: the next order is new. */
static void
drop_saved_order(const struct cert_conf *cc, struct store_state *st)
{
	free(st->order_url);
	st->order_url = NULL;
	store_pending_key_forget(cc->state_dir, cc->name);
}

/*
 * The order in flight, when it is still good for cc; else NULL.  A
 * saved order that cannot be fetched (expired, not found) is no
 * failure of this run: its error is shown with -v only.
 */
static json_t *
resume(struct acme *acme, const struct cert_conf *cc,
    struct store_state *st)
{
	json_t		*order = NULL;
	const char	*status;
	int		 rc;

	if (st->order_url == NULL)
		return NULL;
	log_info("resuming order %s", st->order_url);
	log_errors_at(LOG_NOTICE);
	rc = acme_fetch(acme, st->order_url, &order);
	log_errors_at(LOG_ERR);
	if (rc == 0) {
		status = json_str(order, "status");
		if (status != NULL && order_matches(cc, order) &&
		    strcmp(status, "invalid") != 0)
			return order;
	}
	log_notice("%s: saved order no longer usable, ordering anew",
	    st->order_url);
	json_decref(order);
	drop_saved_order(cc, st);
	/* What is remembered of a failure is the new order's reason. */
	if (rc == -1)
		log_error_mark();
	return NULL;
}

static int
new_order(struct acme *acme, const struct cert_conf *cc,
    struct store_state *st, json_t **order)
{
	char	*url = NULL;

	if (acme_new_order(acme, cc->domains, cc->ndomains, &url,
	    order) == -1)
		return -1;
	st->order_url = url;
	/* A fresh order gets a fresh key. */
	store_pending_key_forget(cc->state_dir, cc->name);
	if (store_state_save(cc->state_dir, cc->name, st) == -1) {
		json_decref(*order);
		*order = NULL;
		return -1;
	}
	return 0;
}

/* Drives the order to "ready" through its authorizations. */
static int
prove(struct acme *acme, const struct cert_conf *cc, const char *url,
    json_t **order)
{
	struct webroot_set	*set;
	int			 rc;

	if ((set = webroot_set_new(cc->state_dir, cc->name)) == NULL)
		return -1;
	rc = authorize(acme, cc, url, *order, set);
	if (webroot_remove_all(set) == -1)
		rc = -1;
	webroot_set_free(set);
	if (rc == -1)
		return -1;

	json_decref(*order);
	*order = NULL;
	return acme_poll(acme, url, ORDER_FINALS, order);
}

/*
 * Takes order, in state pending or later, to the checked files.
 * Returns 0, -1, or -EBADMSG when the order is issued but can never
 * give a certificate to store: its key is lost, or what the CA sent
 * is not the certificate wanted.
 */
static int
complete(struct acme *acme, const struct cert_conf *cc,
    struct store_state *st, json_t *order, struct store_files *files)
{
	EVP_PKEY	*key = NULL;
	const char	*status;
	int		 rc = -1;

	status = json_str(order, "status");
	if (status != NULL && strcmp(status, "pending") == 0 &&
	    prove(acme, cc, st->order_url, &order) == -1)
		goto out;

	status = json_str(order, "status");
	if (status != NULL && strcmp(status, "ready") == 0) {
		if ((key = order_key(cc, true)) == NULL ||
		    finalize(acme, cc, &order, st->order_url, key) == -1)
			goto out;
	} else if (status != NULL && strcmp(status, "processing") == 0) {
		json_decref(order);
		order = NULL;
		if (acme_poll(acme, st->order_url, ISSUED_FINALS,
		    &order) == -1)
			goto out;
	}

	status = json_str(order, "status");
	if (status == NULL || strcmp(status, "valid") != 0) {
		explain_order(acme, st->order_url, order);
		goto out;
	}
	rc = -EBADMSG;
	if (key == NULL && (key = order_key(cc, false)) == NULL)
		goto out;
	rc = download(acme, cc, st->order_url, order, key, files);
out:
	EVP_PKEY_free(key);
	json_decref(order);
	return rc;
}

/* Whether the CA has given up on the order at url: it is invalid
 * (its validation failed, or it expired). */
static bool
ca_gave_up(struct acme *acme, const char *url)
{
	json_t	*order = NULL;
	bool	 invalid;

	if (acme_fetch(acme, url, &order) == -1)
		return false;
	invalid = strcmp(json_str(order, "status") ?: "", "invalid") == 0;
	json_decref(order);
	return invalid;
}

/*
 * A saved order is what an interrupted run left, and the CA may have
 * gone on without it: validated it after the token was removed, or
 * let it expire.  That is no failure of the certificate: the errors
 * are shown with -v only, and a new order is placed once.  So too
 * when it is issued but useless (its key lost or another's, the
 * certificate without its chain).  Any other failure is this run's,
 * and its first error is shown as such.  Returns 0 when it gave
 * files, -1 on failure, 1 when a new order is due.
 */
static int
complete_saved(struct acme *acme, const struct cert_conf *cc,
    struct store_state *st, json_t *order, struct store_files *files)
{
	bool	 stopped, gave_up;
	int	 rc;

	log_errors_at(LOG_NOTICE);
	rc = complete(acme, cc, st, order, files);
	stopped = acme->stop != NULL && *acme->stop;
	gave_up = rc == -EBADMSG || (rc == -1 && !stopped &&
	    ca_gave_up(acme, st->order_url));
	log_errors_at(LOG_ERR);
	if (rc == 0 || stopped)
		return rc == 0 ? 0 : -1;
	if (!gave_up) {
		log_err("%s", log_first_error() ?: "failed");
		return -1;
	}

	log_notice("%s: saved order failed (%s), ordering anew",
	    st->order_url, log_first_error() ?: "no reason given");
	drop_saved_order(cc, st);
	/* What is remembered of a failure is the new order's reason. */
	log_error_mark();
	return 1;
}

int
order_obtain(struct acme *acme, const struct cert_conf *cc,
    struct store_state *st, struct store_files *files)
{
	json_t	*order;
	int	 rc;

	if ((order = resume(acme, cc, st)) != NULL &&
	    (rc = complete_saved(acme, cc, st, order, files)) <= 0)
		return rc;

	if (new_order(acme, cc, st, &order) == -1)
		return -1;
	rc = complete(acme, cc, st, order, files);
	/* Resumed, it would give the same again: the next run orders
	 * anew. */
	if (rc == -EBADMSG) {
		drop_saved_order(cc, st);
		rc = -1;
	}
	return rc;
}
