/*
 * libcurl wrapper: one easy handle for the whole run, HTTPS only,
 * bounded bodies and time, the headers ACME needs kept.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "log.h"

#define HEADER_MAX	4096	/* longest header value kept */
#define CONNECT_SECS	30L
#define TRANSFER_SECS	120L
#define LATE_MS		1000L	/* a transfer started past the deadline */

struct http_client {
	CURL			*curl;
	volatile sig_atomic_t	*stop;
	long			 connections;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 error[CURL_ERROR_SIZE + 64];
	CURLcode		 last;		/* of the last transfer */
	time_t			 deadline;	/* 0, or no transfer after */
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_response	*resp = arg;
	size_t			 n = size * nmemb;
	char			*grown;

	if (resp->len + n > HTTP_BODY_MAX) {
		resp->overflow = 1;
		return 0;
	}
	if ((grown = realloc(resp->body, resp->len + n + 1)) == NULL)
		return 0;
	resp->body = grown;
	memcpy(resp->body + resp->len, data, n);
	resp->len += n;
	resp->body[resp->len] = '\0';
	return n;
}

/* The value of "Name: value\r\n" when line is that header, else NULL. */
static char *
header_value(const char *line, size_t len, const char *name)
{
	size_t	 nlen = strlen(name);

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return NULL;
	line += nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	if (len > HEADER_MAX)
		len = HEADER_MAX;
	return strndup(line, len);
}

static void
keep_header(char **slot, char *value)
{
	if (value == NULL)
		return;
	free(*slot);
	*slot = value;
}

void
http_header_line(struct http_response *resp, const char *data, size_t n)
{
	char	*v, *semi;

	/* A new status line starts a new response (after a 100 or a
	 * redirect), whose headers replace the earlier ones. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		http_response_clear(resp);
		return;
	}

	keep_header(&resp->location, header_value(data, n, "Location"));
	keep_header(&resp->nonce, header_value(data, n, "Replay-Nonce"));
	keep_header(&resp->retry_after, header_value(data, n, "Retry-After"));
	if ((v = header_value(data, n, "Content-Type")) != NULL) {
		if ((semi = strchr(v, ';')) != NULL)
			*semi = '\0';
		keep_header(&resp->content_type, v);
	}
	if ((v = header_value(data, n, "Link")) != NULL) {
		if (resp->nlinks < HTTP_LINKS_MAX)
			resp->links[resp->nlinks++] = v;
		else
			free(v);
	}
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	size_t	 n = size * nmemb;

	http_header_line(arg, data, n);
	return n;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_client	*client = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return client->stop != NULL && *client->stop;
}

static int
setup_handle(struct http_client *c, const char *ca_bundle)
{
	CURL		*h = c->curl;
	CURLcode	 rc = CURLE_OK;

#define SET(opt, val) do {					\
	if (rc == CURLE_OK)					\
		rc = curl_easy_setopt(h, opt, val);		\
} while (0)
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, CONNECT_SECS);
	SET(CURLOPT_TIMEOUT, TRANSFER_SECS);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CA_CACHE_TIMEOUT, -1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_BODY_MAX);
	SET(CURLOPT_USERAGENT, "acme-webroot/" VERSION " (libcurl)");
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, c);
	SET(CURLOPT_NOPROGRESS, 0L);
	if (ca_bundle != NULL)
		SET(CURLOPT_CAINFO, ca_bundle);
#undef SET
	if (rc != CURLE_OK) {
		log_err("libcurl setup: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

struct http_client *
http_new(const char *ca_bundle, volatile sig_atomic_t *stop)
{
	struct http_client	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	c->stop = stop;
	if ((c->curl = curl_easy_init()) == NULL) {
		log_err("libcurl: cannot make a handle");
		free(c);
		return NULL;
	}
	if (setup_handle(c, ca_bundle) == -1) {
		http_free(c);
		return NULL;
	}
	return c;
}

void
http_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void
http_set_deadline(struct http_client *c, time_t when)
{
	c->deadline = when;
}

/* The fixed transfer limit, shortened to what is left of the time. */
static int
limit_time(struct http_client *c, const char *url)
{
	long		 ms = TRANSFER_SECS * 1000L, left;
	CURLcode	 rc;

	if (c->deadline != 0) {
		left = (long)(c->deadline - time(NULL)) * 1000L;
		if (left < LATE_MS)
			left = LATE_MS;
		if (left < ms)
			ms = left;
	}
	if ((rc = curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, ms)) !=
	    CURLE_OK) {
		log_err("%s: libcurl setup: %s", url, curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

const char *
http_error(const struct http_client *c)
{
	return c->error;
}

bool
http_transient(const struct http_client *c)
{
	switch (c->last) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

long
http_connections(struct http_client *c)
{
	return c->connections;
}

static int
set_method(struct http_client *c, const char *method, const char *body,
    struct curl_slist **headers)
{
	CURL		*h = c->curl;
	CURLcode	 rc;

	if (strcmp(method, "POST") == 0) {
		*headers = curl_slist_append(*headers,
		    "Content-Type: application/jose+json");
		if (*headers == NULL) {
			log_err("out of memory");
			return -1;
		}
		/* Clear a HEAD left over from the previous request. */
		rc = curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "HEAD") == 0)
		rc = curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else
		rc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);

	if (rc != CURLE_OK) {
		log_err("libcurl setup: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

int
http_request(struct http_client *c, const char *method, const char *url,
    const char *body, const char *accept, struct http_response *resp)
{
	struct curl_slist	*headers = NULL;
	char			 line[256];
	CURLcode		 rc;
	long			 opened = 0;
	int			 ret = -1;

	memset(resp, 0, sizeof(*resp));
	c->errbuf[0] = '\0';
	snprintf(c->error, sizeof(c->error), "request not sent");

	if (accept != NULL) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		if ((headers = curl_slist_append(NULL, line)) == NULL)
			goto nomem;
	}
	if (set_method(c, method, body, &headers) == -1 ||
	    limit_time(c, url) == -1)
		goto out;
	if ((rc = curl_easy_setopt(c->curl, CURLOPT_URL, url)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, resp)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, resp)) !=
	    CURLE_OK) {
		log_err("%s: libcurl setup: %s", url, curl_easy_strerror(rc));
		goto out;
	}

	rc = curl_easy_perform(c->curl);
	c->last = rc;
	if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &opened) ==
	    CURLE_OK)
		c->connections += opened;
	if (rc != CURLE_OK) {
		if (resp->overflow)
			snprintf(c->error, sizeof(c->error),
			    "answer larger than %d bytes", HTTP_BODY_MAX);
		else
			snprintf(c->error, sizeof(c->error), "%s",
			    c->errbuf[0] != '\0' ? c->errbuf :
			    curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (resp->body == NULL && (resp->body = strdup("")) == NULL)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	log_err("%s: out of memory", url);
out:
	curl_slist_free_all(headers);
	if (ret == -1)
		http_response_clear(resp);
	return ret;
}

void
http_response_clear(struct http_response *resp)
{
	size_t	 i;

	free(resp->body);
	free(resp->location);
	free(resp->nonce);
	free(resp->retry_after);
	free(resp->content_type);
	for (i = 0; i < resp->nlinks; i++)
		free(resp->links[i]);
	memset(resp, 0, sizeof(*resp));
}

/*
 * One Link header may carry several comma-separated links, each
 * "<URL>; param; rel=\"REL\"".  URLs never hold '<' or '>'.
 */
static char *
link_in(const char *value, const char *rel, size_t *skip)
{
	const char	*p = value, *open, *close, *next, *r;
	char		 want[64];

	snprintf(want, sizeof(want), "rel=\"%s\"", rel);
	while ((open = strchr(p, '<')) != NULL &&
	    (close = strchr(open, '>')) != NULL) {
		next = strchr(close, ',');
		r = strstr(close, want);
		if (r == NULL) {
			snprintf(want, sizeof(want), "rel=%s", rel);
			r = strstr(close, want);
			snprintf(want, sizeof(want), "rel=\"%s\"", rel);
		}
		if (r != NULL && (next == NULL || r < next)) {
			if (*skip == 0)
				return strndup(open + 1,
				    (size_t)(close - open - 1));
			(*skip)--;
		}
		if (next == NULL)
			break;
		p = next + 1;
	}
	return NULL;
}

char *
http_link(const struct http_response *resp, const char *rel, size_t index)
{
	size_t	 i, skip = index;
	char	*url;

	for (i = 0; i < resp->nlinks; i++)
		if ((url = link_in(resp->links[i], rel, &skip)) != NULL)
			return url;
	return NULL;
}

/* Longer than any rate limit a CA keeps: a CA asking for more is
 * ignored rather than allowed to park a certificate for years. */
#define RETRY_AFTER_MAX	(86400LL * 365)

time_t
http_retry_after(const struct http_response *resp, time_t now)
{
	const char	*v = resp->retry_after;
	char		*end;
	long long	 secs;
	time_t		 when;

	if (v == NULL || *v == '\0')
		return 0;
	if (isdigit((unsigned char)*v)) {
		secs = strtoll(v, &end, 10);
		if (*end != '\0' || secs < 0 || secs > RETRY_AFTER_MAX)
			return 0;
		return now + (time_t)secs;
	}
	if ((when = curl_getdate(v, NULL)) == -1 ||
	    when - now > RETRY_AFTER_MAX)
		return 0;
	return when < now ? now : when;
}

/*
 * Also refuses blanks, control and non-ASCII bytes, which no URL a CA
 * sends may hold: a URL that passes is safe to log as it is.
 */
int
http_url_is_https(const char *url)
{
	const char	*p;

	if (url == NULL || strncmp(url, "https://", 8) != 0 ||
	    url[8] == '\0' || url[8] == '/')
		return 0;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}
