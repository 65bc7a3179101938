/*
 * Header parsing of the HTTP layer (Retry-After, Link) and problem
 * documents as they are logged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acme.h"
#include "http.h"
#include "log.h"
#include "t.h"

/* Response headers are owned strings; tests use literals. */
#define TEXT(s)	((char *)(uintptr_t)(s))

static void
test_retry_after(void)
{
	struct http_response	 r = { 0 };
	time_t			 now = 1700000000;

	CHECK(http_retry_after(&r, now) == 0);
	r.retry_after = TEXT("120");
	CHECK(http_retry_after(&r, now) == now + 120);
	r.retry_after = TEXT("Wed, 21 Oct 2015 07:28:00 GMT");
	CHECK(http_retry_after(&r, now) == now);	/* past: now */
	r.retry_after = TEXT("Wed, 06 Nov 2024 08:49:37 GMT");
	CHECK(http_retry_after(&r, now) == 1730882977);
	r.retry_after = TEXT("Sun, 06 Nov 2033 08:49:37 GMT");
	CHECK(http_retry_after(&r, now) == 0);	/* years away */
	r.retry_after = TEXT("31536001");
	CHECK(http_retry_after(&r, now) == 0);
	r.retry_after = TEXT("12x");
	CHECK(http_retry_after(&r, now) == 0);
	r.retry_after = TEXT("-5");
	CHECK(http_retry_after(&r, now) == 0);
	r.retry_after = TEXT("soon");
	CHECK(http_retry_after(&r, now) == 0);
}

static void
test_links(void)
{
	struct http_response	 r = { 0 };
	char			*url;

	r.links[0] = TEXT("<https://ca/dir>;rel=\"index\"");
	r.links[1] = TEXT("<https://ca/alt/1>;rel=\"alternate\", "
	    "<https://ca/alt/2>; rel=\"alternate\"");
	r.links[2] = TEXT("<https://ca/issuer>;rel=up");
	r.nlinks = 3;

	url = http_link(&r, "alternate", 0);
	CHECK_STR(url, "https://ca/alt/1");
	free(url);
	url = http_link(&r, "alternate", 1);
	CHECK_STR(url, "https://ca/alt/2");
	free(url);
	CHECK(http_link(&r, "alternate", 2) == NULL);
	url = http_link(&r, "up", 0);
	CHECK_STR(url, "https://ca/issuer");
	free(url);
	CHECK(http_link(&r, "next", 0) == NULL);
}

static void
test_urls(void)
{
	CHECK(http_url_is_https("https://ca.example/acme"));
	CHECK(!http_url_is_https("http://ca.example/acme"));
	CHECK(!http_url_is_https("https://"));
	CHECK(!http_url_is_https("https:///path"));
	CHECK(!http_url_is_https(NULL));
	CHECK(!http_url_is_https("https://ca/a b"));
	CHECK(!http_url_is_https("https://ca/\033[2J"));
}

/* Runs acme_log_problem on text with stderr captured into out. */
static void
logged_problem(const char *text, char *out, size_t size)
{
	char	 path[] = "/tmp/aw_http.XXXXXX";
	json_t	*problem = json_loads(text, 0, NULL);
	int	 fd = mkstemp(path), saved = dup(2);
	ssize_t	 n;

	fflush(stderr);
	dup2(fd, 2);
	acme_log_problem("https://ca/order", problem);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	json_decref(problem);
}

static void
test_problem(void)
{
	char	 out[4096];

	logged_problem("{\"type\":\"urn:ietf:params:acme:error:rejected"
	    "Identifier\",\"detail\":\"two names refused\",\"subproblems\":["
	    "{\"type\":\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA "
	    "forbids\",\"identifier\":{\"type\":\"dns\",\"value\":"
	    "\"a.example\"}},{\"type\":\"urn:ietf:params:acme:error:dns\","
	    "\"detail\":\"NXDOMAIN\\u001b[31m\",\"identifier\":{\"type\":"
	    "\"dns\",\"value\":\"b.example\"}}]}", out, sizeof(out));
	CHECK(strstr(out, "https://ca/order: rejectedIdentifier: two names "
	    "refused") != NULL);
	CHECK(strstr(out, "a.example: caa: CAA forbids") != NULL);
	CHECK(strstr(out, "b.example: dns: NXDOMAIN\\x1b[31m") != NULL);
	CHECK(strchr(out, '\033') == NULL);

	logged_problem("{\"detail\":42}", out, sizeof(out));
	CHECK(strstr(out, "https://ca/order") != NULL);
}

int
main(void)
{
	log_setup("aw_http", LOG_DEBUG, false);
	test_retry_after();
	test_links();
	test_urls();
	test_problem();
	return t_done("aw_http");
}
