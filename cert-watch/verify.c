/*
 * After an action, the server is asked over TLS which leaf it serves.
 * A reload that the server refused (a key that does not match, a file
 * it cannot read) still reports success; this comparison does not.
 * The chain is not checked against a trust store on purpose: the proof
 * is that the leaf is byte for byte the one in the live directory.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "action-impl.h"
#include "fsutil.h"
#include "log.h"
#include "verify.h"

#define RETRY_MS	250
#define ATTEMPT_MAX_MS	5000
#define MD_LEN		32
#define HEX_LEN		(MD_LEN * 2 + 1)
#define CERT_PEM_MAX	(1024 * 1024)

/* One verification: where, what is expected, what was last seen. */
struct probe {
	const char	*action;
	const char	*host;
	const char	*port;
	const char	*name;
	char		*sni;
	const char	*sigalgs;
	unsigned char	 want[MD_LEN];
	unsigned char	 seen[MD_LEN];
	bool		 seen_any;
	bool		 stopping;	/* SIGTERM came during a wait */
	char		 err[256];	/* why the last attempt failed */
	SSL_CTX		*ctx;
};

static void
hex(const unsigned char *md, char out[HEX_LEN])
{
	size_t	 i;

	for (i = 0; i < MD_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

char *
verify_sni(const struct changed_cert *c)
{
	char	*sni;
	size_t	 i;

	for (i = 0; i < c->ndomains; i++)
		if (c->domains[i][0] != '*')
			return strdup(c->domains[i]);
	if (c->ndomains == 0)
		sni = strdup(c->name);
	else if (asprintf(&sni, "verify%s", c->domains[0] + 1) == -1)
		sni = NULL;
	if (sni == NULL)
		log_err("%s: out of memory", c->name);
	return sni;
}

/* Offering only these makes a server with several certificates (RSA
 * and ECDSA) present the one of the new key's type. */
static const char *
sigalgs_for(const EVP_PKEY *pk)
{
	if (EVP_PKEY_is_a(pk, "EC"))
		return "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512";
	if (EVP_PKEY_is_a(pk, "RSA"))
		return "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:"
		    "rsa_pss_rsae_sha512:RSA+SHA256:RSA+SHA384:RSA+SHA512";
	if (EVP_PKEY_is_a(pk, "ED25519"))
		return "ed25519";
	if (EVP_PKEY_is_a(pk, "ED448"))
		return "ed448";
	return NULL;
}

/* The SHA-256 of lineage/cert.pem's DER, and its key's algorithms. */
static int
expected_leaf(struct probe *p, const char *lineage)
{
	char		 path[PATH_MAX], *pem = NULL;
	size_t		 pemlen = 0;
	unsigned int	 len = 0;
	BIO		*bio = NULL;
	X509		*x = NULL;
	int		 rc = -1;

	snprintf(path, sizeof(path), "%s/cert.pem", lineage);
	/* read_file() refuses a FIFO instead of waiting on it. */
	if (read_file(path, CERT_PEM_MAX, &pem, &pemlen) != 0) {
		log_err("action %s: verify: %s: cannot be read", p->action,
		    path);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		log_openssl("action %s: verify: %s", p->action, path);
		goto out;
	}
	if (X509_digest(x, EVP_sha256(), p->want, &len) != 1 ||
	    len != MD_LEN) {
		log_openssl("action %s: verify: %s: digest", p->action, path);
		goto out;
	}
	if ((p->sigalgs = sigalgs_for(X509_get0_pubkey(x))) == NULL) {
		log_err("action %s: verify: %s: key type not supported",
		    p->action, path);
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	BIO_free(bio);
	free(pem);
	return rc;
}

/*
 * Waits until fd is ready for events, the deadline passes or the
 * daemon is told to stop, whichever comes first: 0 when ready, else
 * -1 with p->err (and p->stopping) set.  The wait is cut in slices so
 * that the watchdog is pinged.
 */
static int
wait_fd(struct probe *p, int fd, short events, long long deadline)
{
	struct pollfd	 pfd = { fd, events, 0 };
	long long	 left;
	int		 r;

	for (;;) {
		if ((p->stopping = action_keepalive())) {
			snprintf(p->err, sizeof(p->err), "stopping");
			return -1;
		}
		if ((left = deadline - action_now_ms()) <= 0) {
			snprintf(p->err, sizeof(p->err), "timed out");
			return -1;
		}
		if (left > ACTION_KEEPALIVE_MS)
			left = ACTION_KEEPALIVE_MS;
		if ((r = poll(&pfd, 1, (int)left)) > 0)
			return 0;
		if (r == -1 && errno != EINTR) {
			snprintf(p->err, sizeof(p->err), "poll: %s",
			    strerror(errno));
			return -1;
		}
	}
}

/* A non-blocking connect to one address, done before the deadline. */
static int
connect_one(struct probe *p, const struct addrinfo *ai, long long deadline)
{
	socklen_t	 len = sizeof(int);
	int		 fd, e = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1) {
		snprintf(p->err, sizeof(p->err), "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		e = errno;
	else if (wait_fd(p, fd, POLLOUT, deadline) == -1)
		goto fail;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e == 0)
		return fd;
	snprintf(p->err, sizeof(p->err), "connect: %s", strerror(e));
fail:
	close(fd);
	return -1;
}

/* A non-blocking TCP connection, made before the deadline. */
static int
tcp_connect(struct probe *p, long long deadline)
{
	struct addrinfo	 hints = { 0 }, *res = NULL, *ai;
	int		 fd = -1, e;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(p->host, p->port, &hints, &res)) != 0) {
		snprintf(p->err, sizeof(p->err), "%s", gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1 && !p->stopping;
	    ai = ai->ai_next)
		fd = connect_one(p, ai, deadline);
	freeaddrinfo(res);
	return fd;
}

static void
ssl_error(struct probe *p, const char *what)
{
	unsigned long	 e = ERR_peek_last_error();
	char		 buf[200];

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", strerror(errno));
	snprintf(p->err, sizeof(p->err), "%s: %s", what, buf);
	ERR_clear_error();
}

/* The handshake on a non-blocking socket, bounded by the deadline: a
 * server that sends a byte now and then cannot hold it longer. */
static int
handshake(struct probe *p, SSL *ssl, int fd, long long deadline)
{
	int	 r;

	for (;;) {
		if ((r = SSL_connect(ssl)) == 1)
			return 0;
		switch (SSL_get_error(ssl, r)) {
		case SSL_ERROR_WANT_READ:
			if (wait_fd(p, fd, POLLIN, deadline) == -1)
				return -1;
			break;
		case SSL_ERROR_WANT_WRITE:
			if (wait_fd(p, fd, POLLOUT, deadline) == -1)
				return -1;
			break;
		default:
			ssl_error(p, "handshake");
			return -1;
		}
	}
}

/* One handshake, over before the deadline; on success p->seen is the
 * served leaf's digest. */
static int
attempt(struct probe *p, long long deadline)
{
	SSL		*ssl = NULL;
	X509		*leaf = NULL;
	unsigned int	 len = 0;
	int		 fd, rc = -1;

	if ((fd = tcp_connect(p, deadline)) == -1)
		return -1;
	if ((ssl = SSL_new(p->ctx)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, p->sni) != 1 ||
	    SSL_set1_sigalgs_list(ssl, p->sigalgs) != 1) {
		ssl_error(p, "setup");
		goto out;
	}
	if (handshake(p, ssl, fd, deadline) == -1)
		goto out;
	if ((leaf = SSL_get1_peer_certificate(ssl)) == NULL ||
	    X509_digest(leaf, EVP_sha256(), p->seen, &len) != 1) {
		ssl_error(p, "no leaf certificate");
		goto out;
	}
	p->seen_any = true;
	rc = 0;
out:
	X509_free(leaf);
	SSL_free(ssl);
	close(fd);
	return rc;
}

static void
report_failure(const struct probe *p, unsigned timeout_ms)
{
	char	 seen[HEX_LEN], want[HEX_LEN];

	hex(p->want, want);
	if (!p->seen_any) {
		log_err("action %s: verify %s port %s: %s (SNI %s): no TLS "
		    "answer in %u ms: %s", p->action, p->host, p->port,
		    p->name, p->sni, timeout_ms, p->err);
		return;
	}
	hex(p->seen, seen);
	log_err("action %s: verify %s port %s: %s (SNI %s): still serves "
	    "sha256 %s after %u ms, expected %s", p->action, p->host,
	    p->port, p->name, p->sni, seen, timeout_ms, want);
}

static int
probe_loop(struct probe *p, unsigned timeout_ms)
{
	long long	 deadline = action_now_ms() + timeout_ms, left, end;

	for (;;) {
		/* A server that stalls one connection may answer the
		 * next, so one attempt gets at most ATTEMPT_MAX_MS. */
		end = action_now_ms() + ATTEMPT_MAX_MS;
		if (attempt(p, end < deadline ? end : deadline) == 0 &&
		    memcmp(p->seen, p->want, MD_LEN) == 0)
			return 0;
		left = deadline - action_now_ms();
		if (p->stopping || (left > 0 && action_sleep_ms(left <
		    RETRY_MS ? left : RETRY_MS) == -1)) {
			action_abandoned(p->action);
			return -1;
		}
		if (left <= 0)
			break;
	}
	report_failure(p, timeout_ms);
	return -1;
}

int
verify_served(const char *action, const char *host, const char *port,
    unsigned timeout_ms, const struct changed_cert *c)
{
	struct probe	 p = { 0 };
	int		 rc = -1;

	p.action = action;
	p.host = host;
	p.port = port;
	p.name = c->name;
	if ((p.sni = verify_sni(c)) == NULL ||
	    expected_leaf(&p, c->lineage) == -1)
		goto out;
	if ((p.ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(p.ctx, TLS1_2_VERSION) != 1) {
		log_openssl("action %s: verify: TLS context", action);
		goto out;
	}
	/* No trust store: the comparison with the local leaf is the
	 * proof, and test CAs are not in any store. */
	SSL_CTX_set_verify(p.ctx, SSL_VERIFY_NONE, NULL);
	if ((rc = probe_loop(&p, timeout_ms)) == 0)
		log_info("action %s: verify %s port %s: %s is served",
		    action, host, port, c->name);
out:
	SSL_CTX_free(p.ctx);
	free(p.sni);
	return rc;
}
