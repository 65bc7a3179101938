/*
 * type = docker: the Docker Engine API over its unix socket.  The
 * container is addressed by name, since Meteor Up recreates containers
 * and their ids change; the name was checked when the configuration
 * was read, before it can become part of a URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "action-impl.h"
#include "log.h"

/* The newest API version this code was written against. */
#define API_MAJOR	1
#define API_MINOR	43
/* What an engine that does not say gets (exec and restart exist). */
#define API_MINOR_OLD	24

#define BODY_MAX	(64 * 1024)
#define POLL_MS		200
#define STOP_WAIT_MAX	10

/* A connection to the engine and the last answer. */
struct engine {
	const struct action *a;
	CURL		*curl;
	char		 version[16];	/* "v1.41" once negotiated */
	char		 api_header[16];	/* the engine's Api-Version */
	long		 status;
	char		*body;
	size_t		 len;
	bool		 too_big;
	bool		 stopping;	/* a request gave up for SIGTERM */
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct engine	*en = userdata;
	size_t		 n = size * nmemb;
	char		*p;

	if (en->len + n > BODY_MAX) {
		en->too_big = true;
		return 0;
	}
	if ((p = realloc(en->body, en->len + n + 1)) == NULL)
		return 0;
	memcpy(p + en->len, data, n);
	en->len += n;
	p[en->len] = '\0';
	en->body = p;
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct engine	*en = userdata;
	size_t		 n = size * nmemb, skip = sizeof("Api-Version:") - 1;
	size_t		 vlen;

	if (n <= skip || strncasecmp(data, "Api-Version:", skip) != 0)
		return n;
	while (skip < n && (data[skip] == ' ' || data[skip] == '\t'))
		skip++;
	for (vlen = 0; skip + vlen < n && data[skip + vlen] != '\r' &&
	    data[skip + vlen] != '\n'; vlen++)
		;
	if (vlen < sizeof(en->api_header)) {
		memcpy(en->api_header, data + skip, vlen);
		en->api_header[vlen] = '\0';
	}
	return n;
}

/* Logs a failed answer with the engine's "message", escaped. */
static void
log_answer(const struct engine *en, const char *method, const char *path)
{
	json_t		*root;
	const char	*msg = NULL;
	char		*e;

	root = json_loadb(en->body ? en->body : "", en->len, 0, NULL);
	if (json_is_object(root))
		msg = json_string_value(json_object_get(root, "message"));
	if (msg == NULL)
		msg = en->body != NULL ? en->body : "";
	e = log_escape(msg, strlen(msg), 300);
	log_err("action %s: %s %s: HTTP %ld: %s", en->a->name, method, path,
	    en->status, e);
	log_escape_free(e);
	json_decref(root);
}

/* libcurl calls this about once a second while a request waits (a
 * restart waits for the container to stop); non-zero aborts it. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct engine	*en = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	en->stopping = action_keepalive();
	return en->stopping;
}

/* Sets up the handle for one request; false when libcurl refused. */
static bool
setup(struct engine *en, const char *method, const char *url,
    const char *json, struct curl_slist **hdr)
{
	const struct action *a = en->a;
	CURL		*c = en->curl;
	bool		 bad = false;

	curl_easy_reset(c);
	bad |= curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH,
	    a->socket != NULL ? a->socket : DOCKER_SOCKET_DEFAULT) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_URL, url) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") != 0;
	bad |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != 0;
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    (long)action_timeout_ms(a)) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, en) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERDATA, en) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) !=
	    0;
	bad |= curl_easy_setopt(c, CURLOPT_XFERINFODATA, en) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != 0;
	if (strcmp(method, "POST") != 0)
		return !bad;
	*hdr = curl_slist_append(NULL, "Content-Type: application/json");
	bad |= *hdr == NULL;
	bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdr) != 0;
	bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDS,
	    json != NULL ? json : "") != 0;
	return !bad;
}

/*
 * One request.  Returns 0 for a 2xx answer, -1 otherwise, logged with
 * the engine's message.
 */
static int
request(struct engine *en, const char *method, const char *path,
    const char *json)
{
	const struct action *a = en->a;
	struct curl_slist *hdr = NULL;
	char		 url[512];
	CURLcode	 c;
	int		 rc = -1;

	snprintf(url, sizeof(url), "http://localhost%s", path);
	free(en->body);
	en->body = NULL;
	en->len = 0;
	en->too_big = false;
	en->status = 0;
	if (!setup(en, method, url, json, &hdr)) {
		log_err("action %s: %s: cannot set up the request", a->name,
		    path);
		goto out;
	}
	if ((c = curl_easy_perform(en->curl)) != CURLE_OK && en->stopping) {
		action_abandoned(a->name);
		goto out;
	}
	if (c != CURLE_OK) {
		log_err("action %s: %s %s on %s: %s", a->name, method, path,
		    a->socket != NULL ? a->socket : DOCKER_SOCKET_DEFAULT,
		    en->too_big ? "answer larger than 64 KiB" :
		    curl_easy_strerror(c));
		goto out;
	}
	curl_easy_getinfo(en->curl, CURLINFO_RESPONSE_CODE, &en->status);
	if (en->status < 200 || en->status > 299) {
		log_answer(en, method, path);
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(hdr);
	return rc;
}

/* min(the engine's Api-Version, the newest this code knows). */
static int
negotiate(struct engine *en)
{
	unsigned	 major = 0, minor = 0;
	char		*e;

	if (request(en, "GET", "/_ping", NULL) == -1)
		return -1;
	if (en->api_header[0] == '\0') {
		minor = API_MINOR_OLD;
		log_info("action %s: the engine gives no Api-Version, "
		    "using 1.%u", en->a->name, minor);
	} else if (sscanf(en->api_header, "%u.%u", &major, &minor) != 2 ||
	    major != API_MAJOR) {
		e = log_escape(en->api_header, strlen(en->api_header), 16);
		log_err("action %s: /_ping: unknown Api-Version %s",
		    en->a->name, e);
		log_escape_free(e);
		return -1;
	}
	if (minor > API_MINOR)
		minor = API_MINOR;
	snprintf(en->version, sizeof(en->version), "v%u.%u", API_MAJOR,
	    minor);
	log_debug("action %s: engine API %s, using %s", en->a->name,
	    en->api_header, en->version);
	return 0;
}

static int
container_post(struct engine *en, const char *verb, const char *query,
    const char *json)
{
	char	 path[384];

	snprintf(path, sizeof(path), "/%s/containers/%s/%s%s", en->version,
	    en->a->container, verb, query);
	return request(en, "POST", path, json);
}

/* Docker waits t seconds for the container to stop before killing it;
 * the wait stays well within the request's own timeout. */
static int
restart(struct engine *en)
{
	char		 query[32];
	unsigned	 t = action_timeout_ms(en->a) / 2000;

	if (t > STOP_WAIT_MAX)
		t = STOP_WAIT_MAX;
	snprintf(query, sizeof(query), "?t=%u", t);
	return container_post(en, "restart", query, NULL);
}

static int
kill_container(struct engine *en)
{
	char	 query[32];

	snprintf(query, sizeof(query), "?signal=%s",
	    signal_name(en->a->signo));
	return container_post(en, "kill", query, NULL);
}

/* The JSON of an exec that runs detached, with no stream attached. */
static char *
exec_body(const struct action *a)
{
	json_t	*root, *cmd;
	char	*s = NULL;
	size_t	 i;

	root = json_object();
	cmd = json_array();
	if (root == NULL || cmd == NULL)
		goto out;
	for (i = 0; a->exec_argv[i] != NULL; i++)
		if (json_array_append_new(cmd,
		    json_string(a->exec_argv[i])) == -1)
			goto out;
	if (json_object_set(root, "Cmd", cmd) == -1 ||
	    json_object_set_new(root, "AttachStdin", json_false()) == -1 ||
	    json_object_set_new(root, "AttachStdout", json_false()) == -1 ||
	    json_object_set_new(root, "AttachStderr", json_false()) == -1 ||
	    json_object_set_new(root, "Tty", json_false()) == -1)
		goto out;
	s = json_dumps(root, JSON_COMPACT);
out:
	json_decref(cmd);
	json_decref(root);
	return s;
}

/* The answer's JSON object, or NULL after logging. */
static json_t *
answer_object(const struct engine *en, const char *path)
{
	json_t		*root;
	json_error_t	 jerr;

	root = json_loadb(en->body ? en->body : "", en->len, 0, &jerr);
	if (!json_is_object(root)) {
		log_err("action %s: %s: answer is not a JSON object",
		    en->a->name, path);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Creates the exec; id gets its Id, checked to be safe in a URL. */
static int
exec_create(struct engine *en, char *id, size_t size)
{
	char		*body, path[384];
	const char	*s;
	json_t		*root = NULL;
	int		 rc = -1;

	if ((body = exec_body(en->a)) == NULL) {
		log_err("action %s: exec: out of memory", en->a->name);
		return -1;
	}
	snprintf(path, sizeof(path), "/%s/containers/%s/exec", en->version,
	    en->a->container);
	if (request(en, "POST", path, body) == -1 ||
	    (root = answer_object(en, path)) == NULL)
		goto out;
	s = json_string_value(json_object_get(root, "Id"));
	if (s == NULL || *s == '\0' || strlen(s) >= size ||
	    strspn(s, "0123456789abcdefABCDEF") != strlen(s)) {
		log_err("action %s: %s: answer has no usable Id",
		    en->a->name, path);
		goto out;
	}
	snprintf(id, size, "%s", s);
	rc = 0;
out:
	json_decref(root);
	free(body);
	return rc;
}

/* Polls the exec until it ends; its exit code decides. */
static int
exec_wait(struct engine *en, const char *id)
{
	char		 path[384];
	json_t		*root = NULL;
	json_int_t	 code;
	long long	 deadline;
	int		 rc = -1;

	snprintf(path, sizeof(path), "/%s/exec/%s/json", en->version, id);
	deadline = action_now_ms() + action_timeout_ms(en->a);
	for (;;) {
		json_decref(root);
		if (request(en, "GET", path, NULL) == -1 ||
		    (root = answer_object(en, path)) == NULL)
			goto out;
		if (!json_is_true(json_object_get(root, "Running")))
			break;
		if (action_now_ms() >= deadline) {
			log_err("action %s: exec in %s still running after "
			    "%u ms", en->a->name, en->a->container,
			    action_timeout_ms(en->a));
			goto out;
		}
		if (action_sleep_ms(POLL_MS) == -1) {
			action_abandoned(en->a->name);
			goto out;
		}
	}
	code = json_integer_value(json_object_get(root, "ExitCode"));
	if (!json_is_integer(json_object_get(root, "ExitCode")) || code) {
		log_err("action %s: %s in %s: exit code %lld", en->a->name,
		    en->a->exec_argv[0], en->a->container, (long long)code);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static int
exec_in(struct engine *en)
{
	char	 id[129], path[384];

	if (exec_create(en, id, sizeof(id)) == -1)
		return -1;
	snprintf(path, sizeof(path), "/%s/exec/%s/start", en->version, id);
	if (request(en, "POST", path, "{\"Detach\":true,\"Tty\":false}") ==
	    -1)
		return -1;
	return exec_wait(en, id);
}

int
docker_run(const struct action *a, bool new_copy)
{
	struct engine	 en = { 0 };
	const char	*did = "restart";
	int		 rc = -1;

	en.a = a;
	if ((en.curl = curl_easy_init()) == NULL) {
		log_err("action %s: cannot start libcurl", a->name);
		return -1;
	}
	if (negotiate(&en) == -1)
		goto out;
	switch (a->docker_action) {
	case DOCKER_RESTART:
		rc = restart(&en);
		break;
	case DOCKER_KILL:
		did = "kill";
		rc = kill_container(&en);
		break;
	case DOCKER_EXEC:
		/* Meteor Up's proxy decides on HTTPS for a host when it
		 * renders its configuration, at start: a first copy
		 * needs a restart, a reload would not see it. */
		if (new_copy) {
			log_notice("action %s: new certificate files, "
			    "restarting %s rather than exec", a->name,
			    a->container);
			rc = restart(&en);
		} else {
			did = "exec";
			rc = exec_in(&en);
		}
		break;
	}
	if (rc == 0)
		log_info("action %s: docker %s of %s done", a->name, did,
		    a->container);
out:
	free(en.body);
	curl_easy_cleanup(en.curl);
	return rc;
}
