/*
 * HTTPS requests to an ACME server through one libcurl handle per run,
 * so that connections and the trust store are reused.
 */
#ifndef HTTP_H
#define HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The largest body accepted from a server; more is an error. */
#define HTTP_BODY_MAX	(1024 * 1024)
#define HTTP_LINKS_MAX	16

struct http_response {
	long	 status;	/* HTTP status, 0 when none arrived */
	char	*body;		/* NUL-terminated, never NULL after a reply */
	size_t	 len;
	char	*location;	/* Location header, or NULL */
	char	*nonce;		/* Replay-Nonce header, or NULL */
	char	*retry_after;	/* Retry-After header as sent, or NULL */
	char	*content_type;	/* Content-Type without parameters */
	char	*links[HTTP_LINKS_MAX];	/* each Link header value */
	size_t	 nlinks;
	int	 overflow;	/* set when the body was over the limit */
};

struct http_client;

/*
 * A client trusting ca_bundle (a PEM file) or the system store when
 * NULL.  stop, when not NULL, is polled during transfers: once it is
 * set, a transfer in progress is abandoned (SIGINT, SIGTERM).
 */
struct http_client	*http_new(const char *ca_bundle,
			    volatile sig_atomic_t *stop);
void			 http_free(struct http_client *client);

/*
 * Later transfers end by when (a time(2) value; 0 lifts the bound), so
 * that a CA that accepts a connection and then says nothing cannot hold
 * a certificate past its timeout.  A transfer that starts after when
 * still gets a second, for the requests that explain a failure.
 */
void			 http_set_deadline(struct http_client *client,
			    time_t when);

/* Why the last request failed, for messages. */
const char		*http_error(const struct http_client *client);

/*
 * Whether the last transport error may pass (no connection, time-out,
 * connection dropped), as opposed to one that will not (a certificate
 * that does not verify, a URL that is not https).
 */
bool			 http_transient(const struct http_client *client);

/* How many connections the client has opened so far. */
long			 http_connections(struct http_client *client);

/*
 * One request: method "GET", "HEAD" or "POST" (body sent as
 * application/jose+json).  Returns 0 when an HTTP answer arrived,
 * whatever its status, or -1 on a transport error (no connection, TLS
 * failure, time-out, body over the limit), which is not logged here:
 * the caller decides whether to retry, and http_error() says why.
 * accept is an Accept header value or NULL.
 */
int	 http_request(struct http_client *client, const char *method,
	    const char *url, const char *body, const char *accept,
	    struct http_response *resp);

/*
 * Takes one header line of an answer as libcurl hands it over
 * ("Name: value\r\n", not NUL-terminated) into resp: Location,
 * Replay-Nonce, Retry-After, Content-Type and Link are kept, and a
 * status line ("HTTP/...") starts the response over.
 */
void	 http_header_line(struct http_response *resp, const char *line,
	    size_t len);

/* Frees what a response holds and zeroes it; safe on a zeroed one. */
void	 http_response_clear(struct http_response *resp);

/*
 * The URL of the first Link header with rel="REL" (e.g. "up",
 * "alternate"), resolved against nothing: absolute URLs only.
 * Returns a new string or NULL.  With index, the index-th such link.
 */
char	*http_link(const struct http_response *resp, const char *rel,
	    size_t index);

/*
 * Retry-After in either form (delay-seconds or an HTTP date), as an
 * absolute time; 0 when absent or unreadable.  A date in the past
 * means now.
 */
time_t	 http_retry_after(const struct http_response *resp, time_t now);

/* true for "https://" URLs with a host. */
int	 http_url_is_https(const char *url);

#endif
