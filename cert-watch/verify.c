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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "action-impl.h"
#include "log.h"
#include "verify.h"

#define RETRY_MS	250
#define ATTEMPT_MAX_MS	5000
#define MD_LEN		32
#define HEX_LEN		(MD_LEN * 2 + 1)

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
	char		 path[PATH_MAX];
	unsigned int	 len = 0;
	BIO		*bio = NULL;
	X509		*x = NULL;
	int		 rc = -1;

	snprintf(path, sizeof(path), "%s/cert.pem", lineage);
	if ((bio = BIO_new_file(path, "r")) == NULL ||
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
	return rc;
}

/* A TCP connection whose connect, reads and writes give up after ms. */
static int
tcp_connect(struct probe *p, long long ms)
{
	struct addrinfo	 hints = { 0 }, *res = NULL, *ai;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };
	int		 fd = -1, e;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(p->host, p->port, &hints, &res)) != 0) {
		snprintf(p->err, sizeof(p->err), "%s", gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)) == 0 && setsockopt(fd, SOL_SOCKET,
		    SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(p->err, sizeof(p->err), "connect: %s",
		    strerror(errno));
		close(fd);
		fd = -1;
	}
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

/* One handshake; on success p->seen is the served leaf's digest. */
static int
attempt(struct probe *p, long long ms)
{
	SSL		*ssl = NULL;
	X509		*leaf = NULL;
	unsigned int	 len = 0;
	int		 fd, rc = -1;

	if ((fd = tcp_connect(p, ms)) == -1)
		return -1;
	if ((ssl = SSL_new(p->ctx)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, p->sni) != 1 ||
	    SSL_set1_sigalgs_list(ssl, p->sigalgs) != 1) {
		ssl_error(p, "setup");
		goto out;
	}
	if (SSL_connect(ssl) != 1) {
		ssl_error(p, "handshake");
		goto out;
	}
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
	long long	 deadline = action_now_ms() + timeout_ms, left;

	for (;;) {
		left = deadline - action_now_ms();
		if (left > ATTEMPT_MAX_MS)
			left = ATTEMPT_MAX_MS;
		if (attempt(p, left < 100 ? 100 : left) == 0 &&
		    memcmp(p->seen, p->want, MD_LEN) == 0)
			return 0;
		left = deadline - action_now_ms();
		if (left <= 0)
			break;
		if (action_sleep_ms(left < RETRY_MS ? left : RETRY_MS) == -1) {
			action_abandoned(p->action);
			return -1;
		}
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
