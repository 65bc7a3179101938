/*
 * ACME requests: nonces, signing, retries, problem documents, and one
 * small function per step of RFC 8555.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme.h"
#include "jws.h"
#include "log.h"

#define ERR_PREFIX	"urn:ietf:params:acme:error:"
#define POLL_FIRST_MS	250
#define POLL_MAX_MS	5000
#define RETRY_FIRST_MS	1000

/* What one signed request turned into. */
struct reply {
	struct http_response	 http;
	json_t			*json;	/* parsed body when it is JSON */
};

/*
 * Takes the https URL of the Location header of r (the new account's
 * or order's URL) into *out; what names the URL in the error.
 */
static int
take_location(struct reply *r, const char *url, const char *what,
    char **out)
{
	if (!http_url_is_https(r->http.location)) {
		log_err("%s: no https %s URL in Location", url, what);
		return -1;
	}
	*out = r->http.location;
	r->http.location = NULL;
	return 0;
}

static void
reply_clear(struct reply *r)
{
	http_response_clear(&r->http);
	json_decref(r->json);
	r->json = NULL;
}

const char *
json_str(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The short form of a problem type: "badNonce" for the RFC's URNs. */
static const char *
short_type(const char *type)
{
	size_t	 n = strlen(ERR_PREFIX);

	if (type != NULL && strncmp(type, ERR_PREFIX, n) == 0)
		return type + n;
	return type;
}

bool
acme_problem_is(const struct acme *acme, const char *type)
{
	return acme->problem_type != NULL &&
	    strcmp(short_type(acme->problem_type), type) == 0;
}

static void
log_one_problem(const char *where, json_t *problem)
{
	const char	*type = json_str(problem, "type");
	const char	*detail = json_str(problem, "detail");
	char		*etype, *edetail;

	etype = log_escape(type, type ? strlen(type) : 0, 200);
	edetail = log_escape(detail, detail ? strlen(detail) : 0, 1000);
	log_err("%s: %s%s%s", where, short_type(etype),
	    detail != NULL ? ": " : "", detail != NULL ? edetail : "");
	log_escape_free(etype);
	log_escape_free(edetail);
}

void
acme_log_problem(const char *url, json_t *problem)
{
	json_t		*subs, *sub, *ident;
	const char	*value;
	char		*evalue;
	size_t		 i;

	log_one_problem(url, problem);

	subs = json_object_get(problem, "subproblems");
	json_array_foreach(subs, i, sub) {
		ident = json_object_get(sub, "identifier");
		value = json_str(ident, "value");
		evalue = log_escape(value, value ? strlen(value) : 0, 253);
		log_one_problem(value != NULL ? evalue : "subproblem", sub);
		log_escape_free(evalue);
	}
}

/* Logs a body that is not the JSON it should be, escaped and short. */
static void
log_bad_body(const char *url, const struct http_response *h,
    const char *what)
{
	char	*body = log_escape(h->body, h->len, 200);

	log_err("%s: %s (HTTP %ld, %s): %s", url, what, h->status,
	    h->content_type ? h->content_type : "no content type", body);
	log_escape_free(body);
}

/*
 * Sleeps until when, in short steps so that a stop request is seen.
 * Returns -1 when when is past the deadline or a stop was requested.
 */
static int
wait_until(struct acme *acme, struct timespec when)
{
	struct timespec	 now, step = { 0, 100 * 1000 * 1000 };

	if (when.tv_sec > acme->deadline)
		return -1;
	for (;;) {
		if (acme->stop != NULL && *acme->stop)
			return -1;
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > when.tv_sec || (now.tv_sec == when.tv_sec &&
		    now.tv_nsec >= when.tv_nsec))
			return 0;
		nanosleep(&step, NULL);
	}
}

static int
wait_ms(struct acme *acme, long ms, time_t not_before)
{
	struct timespec	 when;

	clock_gettime(CLOCK_REALTIME, &when);
	when.tv_sec += ms / 1000;
	when.tv_nsec += (ms % 1000) * 1000000L;
	if (when.tv_nsec >= 1000000000L) {
		when.tv_sec++;
		when.tv_nsec -= 1000000000L;
	}
	if (not_before > when.tv_sec) {
		when.tv_sec = not_before;
		when.tv_nsec = 0;
	}
	return wait_until(acme, when);
}

/* One request, over by the deadline however slowly the CA answers. */
static int
request(struct acme *acme, const char *method, const char *url,
    const char *body, const char *accept, struct http_response *h)
{
	http_set_deadline(acme->http, acme->deadline);
	return http_request(acme->http, method, url, body, accept, h);
}

static const char *
dir_url(struct acme *acme, const char *name)
{
	return json_str(acme->directory, name);
}

static int
fresh_nonce(struct acme *acme)
{
	struct http_response	 h;
	const char		*url = dir_url(acme, "newNonce");
	long			 status;
	int			 tries;

	log_debug("HEAD %s", url);
	for (tries = 0; tries <= ACME_RETRY_MAX; tries++) {
		if (request(acme, "HEAD", url, NULL, NULL, &h) == 0 &&
		    h.nonce != NULL) {
			acme->nonce = h.nonce;
			h.nonce = NULL;
			http_response_clear(&h);
			return 0;
		}
		status = h.status;
		if (tries == 0)
			log_info("%s: no nonce: %s", url,
			    status ? "no Replay-Nonce header" :
			    http_error(acme->http));
		http_response_clear(&h);
		if ((status == 0 && !http_transient(acme->http)) ||
		    wait_ms(acme, RETRY_FIRST_MS << tries, 0) == -1)
			break;
	}
	log_err("%s: no nonce: %s", url, http_error(acme->http));
	return -1;
}

static void
remember_problem(struct acme *acme, struct reply *r)
{
	free(acme->problem_type);
	acme->problem_type = NULL;
	if (json_str(r->json, "type") != NULL)
		acme->problem_type = strdup(json_str(r->json, "type"));
	acme->retry_after = http_retry_after(&r->http, time(NULL));
}

static int	 new_account(struct acme *acme);

/* Classifies an answer: 0 done, 1 retry now, 2 retry later, -1 fail. */
static int
judge(struct acme *acme, const char *url, struct reply *r, int *badnonce,
    bool *reregistered)
{
	long	 status = r->http.status;

	if (status < 400)
		return 0;
	remember_problem(acme, r);

	if (acme_problem_is(acme, "badNonce") &&
	    ++*badnonce <= ACME_BADNONCE_MAX) {
		log_debug("%s: badNonce, retrying", url);
		return 1;
	}
	if (acme_problem_is(acme, "accountDoesNotExist") &&
	    acme->kid != NULL && !*reregistered) {
		log_notice("%s: the CA no longer knows account %s, "
		    "registering again", url, acme->kid);
		*reregistered = true;
		free(acme->kid);
		acme->kid = NULL;
		return new_account(acme) == 0 ? 1 : -1;
	}
	if (status >= 500 || status == 408)
		return 2;

	if (acme->quiet_problem != NULL &&
	    acme_problem_is(acme, acme->quiet_problem))
		return -1;
	if (r->json != NULL && json_str(r->json, "type") != NULL)
		acme_log_problem(url, r->json);
	else
		log_bad_body(url, &r->http, "request refused");
	return -1;
}

/*
 * "HTTP 503", and the CA's problem when it sent one: what an answer
 * that was retried is reported as once the retries are spent.
 */
static char *
describe_answer(const struct reply *r)
{
	const char	*type = json_str(r->json, "type");
	const char	*detail = json_str(r->json, "detail");
	char		*etype, *edetail, *text;

	etype = log_escape(type, type ? strlen(type) : 0, 200);
	edetail = log_escape(detail, detail ? strlen(detail) : 0, 1000);
	if (asprintf(&text, "HTTP %ld%s%s%s%s", r->http.status,
	    type != NULL ? ", " : "", type != NULL ? short_type(etype) : "",
	    type != NULL && detail != NULL ? ": " : "",
	    type != NULL && detail != NULL ? edetail : "") < 0)
		text = NULL;
	log_escape_free(etype);
	log_escape_free(edetail);
	return text;
}

/*
 * One signed POST, with its retries.  payload NULL is POST-as-GET.
 * On success r holds the answer, its body parsed when it is JSON.
 */
static int
post(struct acme *acme, const char *url, const char *payload,
    const char *accept, struct reply *r)
{
	char	*jws = NULL, *first = NULL;
	int	 badnonce = 0, retries = 0, verdict = -1;
	bool	 reregistered = false;

	log_debug("POST %s", url);
	memset(r, 0, sizeof(*r));
	for (;;) {
		reply_clear(r);
		if (acme->nonce == NULL && fresh_nonce(acme) == -1)
			break;
		jws = jws_sign(acme->account_key, acme->kid, acme->nonce,
		    url, payload);
		free(acme->nonce);
		acme->nonce = NULL;
		if (jws == NULL)
			break;

		if (request(acme, "POST", url, jws, accept, &r->http) ==
		    -1) {
			verdict = http_transient(acme->http) ? 2 : -1;
			if (verdict == -1)
				log_err("%s: %s", url,
				    http_error(acme->http));
			if (first == NULL)
				first = strdup(http_error(acme->http));
		} else {
			acme->nonce = r->http.nonce;
			r->http.nonce = NULL;
			r->json = json_loadb(r->http.body, r->http.len, 0,
			    NULL);
			verdict = judge(acme, url, r, &badnonce,
			    &reregistered);
			if (verdict == 2 && first == NULL)
				first = describe_answer(r);
		}
		free(jws);
		jws = NULL;

		if (verdict == 0 || verdict == -1)
			break;
		if (verdict == 2) {
			/* After a failure the old nonce may be spent. */
			free(acme->nonce);
			acme->nonce = NULL;
			if (++retries > ACME_RETRY_MAX ||
			    wait_ms(acme, RETRY_FIRST_MS << (retries - 1),
			    http_retry_after(&r->http, time(NULL))) == -1) {
				log_err("%s: %s (gave up after %d tr%s)", url,
				    first ? first : "failed", retries,
				    retries == 1 ? "y" : "ies");
				verdict = -1;
				break;
			}
			log_info("%s: %s, retrying", url,
			    first ? first : "failed");
		}
	}
	free(first);
	if (verdict != 0) {
		/* A refusal may come from a front end whose nonces the CA
		 * does not know: the next request starts with a fresh one. */
		free(acme->nonce);
		acme->nonce = NULL;
		reply_clear(r);
	}
	return verdict == 0 ? 0 : -1;
}

/* post() whose answer must be a JSON object. */
static int
post_json(struct acme *acme, const char *url, const char *payload,
    struct reply *r)
{
	if (post(acme, url, payload, NULL, r) == -1)
		return -1;
	if (!json_is_object(r->json)) {
		log_bad_body(url, &r->http, "answer is not a JSON object");
		reply_clear(r);
		return -1;
	}
	return 0;
}

static int
check_directory(struct acme *acme)
{
	static const char *const need[] = {
		"newNonce", "newAccount", "newOrder",
	};
	size_t	 i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!http_url_is_https(dir_url(acme, need[i]))) {
			log_err("%s: directory has no https URL for %s",
			    acme->directory_url, need[i]);
			return -1;
		}
	}
	return 0;
}

int
acme_open(struct acme *acme, struct http_client *http,
    const char *directory_url, volatile sig_atomic_t *stop)
{
	struct http_response	 h;
	int			 tries, rc = -1;

	acme->http = http;
	acme->stop = stop;
	if ((acme->directory_url = strdup(directory_url)) == NULL)
		return -1;
	if (acme->deadline == 0)
		acme->deadline = time(NULL) + 600;

	log_debug("GET %s", directory_url);
	for (tries = 0; ; tries++) {
		if (request(acme, "GET", directory_url, NULL, NULL,
		    &h) == 0 && h.status == 200)
			break;
		if (tries >= ACME_RETRY_MAX || (h.status != 0 &&
		    h.status < 500) || (h.status == 0 &&
		    !http_transient(http)) || wait_ms(acme, RETRY_FIRST_MS << tries,
		    http_retry_after(&h, time(NULL))) == -1) {
			if (h.status != 0)
				log_bad_body(directory_url, &h,
				    "cannot read the directory");
			else
				log_err("%s: %s", directory_url,
				    http_error(http));
			goto out;
		}
		http_response_clear(&h);
	}

	acme->directory = json_loadb(h.body, h.len, 0, NULL);
	if (!json_is_object(acme->directory)) {
		log_bad_body(directory_url, &h, "directory is not JSON");
		goto out;
	}
	rc = check_directory(acme);
out:
	http_response_clear(&h);
	return rc;
}

void
acme_close(struct acme *acme)
{
	free(acme->directory_url);
	json_decref(acme->directory);
	free(acme->nonce);
	free(acme->kid);
	free(acme->problem_type);
	memset(acme, 0, sizeof(*acme));
}

static char *
account_payload(struct acme *acme)
{
	json_t	*obj, *contact;
	char	*mailto = NULL, *text = NULL;

	obj = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	if (obj != NULL && acme->email != NULL) {
		if (asprintf(&mailto, "mailto:%s", acme->email) < 0)
			goto out;
		contact = json_pack("[s]", mailto);
		if (contact == NULL ||
		    json_object_set_new(obj, "contact", contact) == -1)
			goto out;
	}
	if (obj != NULL)
		text = json_dumps(obj, JSON_COMPACT);
out:
	free(mailto);
	json_decref(obj);
	return text;
}

static int
new_account(struct acme *acme)
{
	struct reply	 r;
	const char	*url = dir_url(acme, "newAccount");
	const char	*tos;
	char		*payload;
	int		 rc = -1;

	if (!acme->agree_tos) {
		tos = json_str(json_object_get(acme->directory, "meta"),
		    "termsOfService");
		log_err("%s: an account needs agree_tos = yes in the "
		    "configuration (terms of service: %s)",
		    acme->directory_url, tos ? tos : "not given");
		return -1;
	}
	if ((payload = account_payload(acme)) == NULL) {
		log_err("%s: cannot build the account request", url);
		return -1;
	}
	if (post_json(acme, url, payload, &r) == -1 ||
	    take_location(&r, url, "account", &acme->kid) == -1)
		goto out;
	acme->kid_changed = true;
	log_notice("%s: account %s", acme->directory_url, acme->kid);
	rc = 0;
out:
	free(payload);
	reply_clear(&r);
	return rc;
}

int
acme_account(struct acme *acme, EVP_PKEY *key, const char *kid)
{
	acme->account_key = key;
	if (kid != NULL) {
		if ((acme->kid = strdup(kid)) == NULL)
			return -1;
		return 0;
	}
	return new_account(acme);
}

int
acme_account_find(struct acme *acme, EVP_PKEY *key, char **kid)
{
	struct reply	 r;
	const char	*url = dir_url(acme, "newAccount");
	int		 rc;

	*kid = NULL;
	acme->account_key = key;
	free(acme->problem_type);
	acme->problem_type = NULL;
	acme->quiet_problem = "accountDoesNotExist";
	rc = post_json(acme, url, "{\"onlyReturnExisting\":true}", &r);
	acme->quiet_problem = NULL;
	if (rc == -1)
		return acme_problem_is(acme, "accountDoesNotExist") ?
		    -ENOENT : -1;

	rc = take_location(&r, url, "account", kid);
	reply_clear(&r);
	return rc;
}

static char *
order_payload(char *const *names, size_t n)
{
	json_t	*ids, *obj;
	char	*text = NULL;
	size_t	 i;

	if ((ids = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(ids, json_pack("{s:s,s:s}",
		    "type", "dns", "value", names[i])) == -1)
			goto out;
	}
	if ((obj = json_pack("{s:o}", "identifiers", ids)) != NULL) {
		text = json_dumps(obj, JSON_COMPACT);
		json_decref(obj);
	}
	return text;
out:
	json_decref(ids);
	return NULL;
}

int
acme_new_order(struct acme *acme, char *const *names, size_t n,
    char **order_url, json_t **order)
{
	struct reply	 r;
	const char	*url = dir_url(acme, "newOrder");
	char		*payload;
	int		 rc = -1;

	if ((payload = order_payload(names, n)) == NULL) {
		log_err("%s: cannot build the order", url);
		return -1;
	}
	if (post_json(acme, url, payload, &r) == -1 ||
	    take_location(&r, url, "order", order_url) == -1)
		goto out;
	*order = json_incref(r.json);
	log_info("order %s", *order_url);
	rc = 0;
out:
	free(payload);
	reply_clear(&r);
	return rc;
}

int
acme_fetch(struct acme *acme, const char *url, json_t **obj)
{
	struct reply	 r;

	if (post_json(acme, url, NULL, &r) == -1)
		return -1;
	*obj = json_incref(r.json);
	reply_clear(&r);
	return 0;
}

int
acme_respond(struct acme *acme, const char *challenge_url)
{
	struct reply	 r;

	if (post_json(acme, challenge_url, "{}", &r) == -1)
		return -1;
	reply_clear(&r);
	return 0;
}

static bool
in_list(const char *s, const char *list)
{
	for (; *list != '\0'; list += strlen(list) + 1)
		if (strcmp(s, list) == 0)
			return true;
	return false;
}

int
acme_poll(struct acme *acme, const char *url, const char *finals,
    json_t **obj)
{
	struct reply	 r;
	const char	*status;
	char		 last[32], *esc;
	long		 delay = POLL_FIRST_MS;
	time_t		 later;

	for (;;) {
		if (post_json(acme, url, NULL, &r) == -1)
			return -1;
		status = json_str(r.json, "status");
		if (status == NULL) {
			log_err("%s: object without a status", url);
			reply_clear(&r);
			return -1;
		}
		if (in_list(status, finals)) {
			*obj = json_incref(r.json);
			reply_clear(&r);
			return 0;
		}

		log_debug("%s: %s, polling", url, status);
		later = http_retry_after(&r.http, time(NULL));
		snprintf(last, sizeof(last), "%s", status);
		reply_clear(&r);
		if (wait_ms(acme, delay, later) == -1) {
			esc = log_escape(last, strlen(last), sizeof(last));
			log_err("%s: still \"%s\" when %s", url, esc,
			    acme->stop != NULL && *acme->stop ?
			    "interrupted" : "time ran out");
			log_escape_free(esc);
			return -1;
		}
		if ((delay *= 2) > POLL_MAX_MS)
			delay = POLL_MAX_MS;
	}
}

int
acme_finalize(struct acme *acme, const char *finalize_url, const char *csr,
    json_t **order)
{
	struct reply	 r;
	json_t		*obj;
	char		*payload;
	int		 rc = -1;

	if ((obj = json_pack("{s:s}", "csr", csr)) == NULL)
		return -1;
	payload = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (payload == NULL)
		return -1;

	if (post_json(acme, finalize_url, payload, &r) == 0) {
		*order = json_incref(r.json);
		reply_clear(&r);
		rc = 0;
	}
	free(payload);
	return rc;
}

int
acme_download(struct acme *acme, const char *cert_url, char **pem,
    size_t *len)
{
	struct reply	 r;

	if (post(acme, cert_url, NULL, "application/pem-certificate-chain",
	    &r) == -1)
		return -1;
	*pem = r.http.body;
	*len = r.http.len;
	r.http.body = NULL;
	reply_clear(&r);
	return 0;
}
