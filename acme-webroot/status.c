/*
 * The status table and its JSON form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "issue.h"
#include "log.h"
#include "status.h"
#include "store.h"

/* One certificate's row. */
struct row {
	const char	*state;	/* valid, due, expired, missing, failing,
				 * unreadable, invalid, certbot */
	bool		 bad;	/* makes status exit 1 */
	bool		 files_bad;	/* its stored files are unreadable */
	bool		 state_lost;	/* its state file is unreadable */
	struct cert_info info;
	struct store_state st;
};

static void
iso(char *buf, size_t size, time_t t)
{
	if (t == 0)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static void
classify(const struct cert_conf *cc, time_t now, struct row *r)
{
	char	 conf[4096];

	memset(r, 0, sizeof(*r));
	if (!cc->valid) {
		r->state = "invalid";
		r->bad = true;
		return;
	}
	if (store_certbot_managed(cc->state_dir, cc->name, conf,
	    sizeof(conf))) {
		r->state = "certbot";
		return;
	}
	/* What a lost state file held (an owed deploy hook, a failure)
	 * is not known: that needs looking at, whatever the files say. */
	r->state_lost = store_state_load(cc->state_dir, cc->name,
	    &r->st) == -1;
	/* A failed last attempt is what needs doing something about,
	 * more than the missing or expired certificate it left. */
	r->files_bad = cert_inspect(cc, now, &r->info) == -1;
	if (r->files_bad || r->state_lost)
		r->state = "unreadable";
	else if (r->st.failures > 0 || r->st.deploy_pending)
		r->state = "failing";
	else if (!r->info.present)
		r->state = "missing";
	else if (r->info.usable && now >= r->info.not_after)
		r->state = "expired";
	else if (r->info.why_due[0] != '\0')
		r->state = "due";
	else
		r->state = "valid";
	r->bad = strcmp(r->state, "valid") != 0;
}

/* The last failure: of renewing, else of the owed deploy hook. */
static const char *
last_failure(const struct row *r)
{
	if (r->st.failure_msg != NULL)
		return r->st.failure_msg;
	if (r->st.deploy_pending)
		return r->st.deploy_failure;
	return NULL;
}

/* Why it is due now, or NULL: files that cannot be read say nothing
 * of when they are due. */
static const char *
due(const struct row *r)
{
	if (strcmp(r->state, "unreadable") == 0 || r->info.why_due[0] == '\0')
		return NULL;
	return r->info.why_due;
}

/* The NOTE column: the first configuration error, why the files
 * cannot be read, the last failure, or why it is due. */
static const char *
note(const struct cert_conf *cc, const struct row *r)
{
	if (!cc->valid)
		return cc->error != NULL ? cc->error : "";
	if (strcmp(r->state, "unreadable") == 0)
		return r->files_bad ? r->info.why_due :
		    "its state file cannot be read (see above)";
	if (last_failure(r) != NULL)
		return last_failure(r);
	return due(r) != NULL ? due(r) : "";
}

static void
print_row(const struct cert_conf *cc, const struct row *r)
{
	char	 until[32], renew[32], retry[32], *text;

	iso(until, sizeof(until), r->info.not_after);
	iso(renew, sizeof(renew), r->info.usable ? r->info.renew_at : 0);
	iso(retry, sizeof(retry), r->st.next_try);
	/* The note may come from the state file, which need not hold
	 * what this program wrote: no control byte reaches the
	 * terminal. */
	text = log_escape_unprintable(note(cc, r));
	printf("%-30s %-10s %-20s %-20s %s\n", cc->name, r->state, until,
	    renew, text);
	log_escape_free(text);
	if (r->st.next_try != 0)
		printf("%-30s %-10s next try after %s\n", "", "", retry);
}

static json_t *
row_json(const struct cert_conf *cc, const struct row *r)
{
	json_t	*obj, *names;
	char	 until[32], renew[32], retry[32];
	size_t	 i;

	iso(until, sizeof(until), r->info.not_after);
	iso(renew, sizeof(renew), r->info.usable ? r->info.renew_at : 0);
	iso(retry, sizeof(retry), r->st.next_try);
	if ((names = json_array()) == NULL)
		return NULL;
	for (i = 0; i < cc->ndomains; i++)
		json_array_append_new(names, json_string(cc->domains[i]));
	/* Times that do not exist are null, not "-". */
	obj = json_pack("{s:s,s:s,s:o,s:s?,s:s?,s:s?,s:s?,s:i,s:s?,s:b,"
	    "s:s?}",
	    "name", cc->name, "state", r->state, "domains", names,
	    "not_after", r->info.not_after ? until : NULL,
	    "renew_at", r->info.usable ? renew : NULL,
	    "due", due(r),
	    "last_failure", last_failure(r),
	    "failures", (int)r->st.failures,
	    "next_try", r->st.next_try ? retry : NULL,
	    "deploy_pending", r->st.deploy_pending,
	    "config_error", cc->valid ? NULL : cc->error);
	return obj;
}

int
show_status(struct config *cfg, const bool *selected, bool json)
{
	json_t		*all = json ? json_array() : NULL;
	struct row	 r;
	time_t		 now = time(NULL);
	size_t		 i;
	int		 status = 0;

	if (!json)
		printf("%-30s %-10s %-20s %-20s %s\n", "NAME", "STATE",
		    "EXPIRES", "RENEW AFTER", "NOTE");
	for (i = 0; i < cfg->ncerts; i++) {
		if (!selected[i])
			continue;
		log_set_context(cfg->certs[i].name);
		classify(&cfg->certs[i], now, &r);
		log_set_context(NULL);
		if (r.bad)
			status = 1;
		if (json)
			json_array_append_new(all, row_json(&cfg->certs[i],
			    &r));
		else
			print_row(&cfg->certs[i], &r);
		store_state_free(&r.st);
	}
	if (json) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(all);
	}
	return status;
}
