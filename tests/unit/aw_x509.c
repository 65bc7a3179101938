/*
 * CSRs, PEM chains and the checks on issued certificates, with
 * certificates made here by a throwaway CA.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "log.h"
#include "t.h"
#include "x509.h"

/* Writable arrays: the interface takes the config's char **. */
static char	 d1[] = "example.org", d2[] = "www.example.org";
static char	 d3[] = "shop.example.org";
static char	 u1[] = "Shop.Example.org", u2[] = "WWW.example.org";
static char *const three[] = { d1, d2, d3 };
#define NTHREE	(sizeof(three) / sizeof(three[0]))

/* Adds the extension given in openssl.cnf syntax; 0 or -1. */
static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 rc;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	rc = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

/*
 * A certificate for key's public half, valid from now for days days,
 * with subject CN cn, subjectAltName san (openssl.cnf syntax, or NULL
 * for none), signed by ca_key as ca (or self-signed when ca is NULL).
 */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *ca,
    EVP_PKEY *ca_key, long days)
{
	X509		*cert;
	X509_NAME	*name;
	static long	 serial = 1;

	if ((cert = X509_new()) == NULL)
		return NULL;
	name = X509_get_subject_name(cert);
	if (X509_set_version(cert, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), days * 86400) == NULL ||
	    X509_set_pubkey(cert, key) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, ca != NULL ?
	    X509_get_subject_name(ca) : name) != 1 ||
	    (san != NULL && add_ext(cert, ca != NULL ? ca : cert,
	    NID_subject_alt_name, san) == -1) ||
	    X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

/* The CSR's DNS subjectAltNames, through X509_REQ_get_extensions. */
static char **
csr_names(X509_REQ *req, size_t *n)
{
	STACK_OF(X509_EXTENSION)	*exts;
	GENERAL_NAMES			*gens;
	GENERAL_NAME			*gn;
	char				**out;
	int				 i;

	*n = 0;
	if ((exts = X509_REQ_get_extensions(req)) == NULL)
		return NULL;
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (gens == NULL)
		return NULL;
	out = calloc((size_t)sk_GENERAL_NAME_num(gens) + 1, sizeof(*out));
	for (i = 0; out != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type == GEN_DNS)
			out[(*n)++] = strdup((const char *)
			    ASN1_STRING_get0_data(gn->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	return out;
}

static X509_REQ *
csr_decode(const char *b64)
{
	unsigned char		*der;
	const unsigned char	*p;
	X509_REQ		*req;
	size_t			 len = 0;

	if (b64 == NULL || (der = b64url_decode(b64, &len)) == NULL)
		return NULL;
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	/* The whole DER is one request, nothing after it. */
	if (req != NULL && p != der + len) {
		X509_REQ_free(req);
		req = NULL;
	}
	free(der);
	return req;
}

static void
test_csr(EVP_PKEY *key)
{
	X509_REQ	*req;
	EVP_PKEY	*other;
	char		**names, cn[256], *b64, long_name[80];
	char		*longv[2];
	size_t		 n = 0;

	b64 = csr_make(key, three, NTHREE);
	CHECK(b64 != NULL && b64url_valid(b64, 1, 100000));
	req = csr_decode(b64);
	CHECK(req != NULL);
	free(b64);
	if (req == NULL)
		return;
	CHECK(X509_REQ_verify(req, key) == 1);
	other = key_generate(KEY_TYPE_EC256);
	CHECK(other != NULL && X509_REQ_verify(req, other) <= 0);
	EVP_PKEY_free(other);
	CHECK(X509_REQ_get_signature_nid(req) == (EVP_PKEY_is_a(key, "EC") ?
	    NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption));
	CHECK(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
	    NID_commonName, cn, sizeof(cn)) > 0);
	CHECK_STR(cn, "example.org");
	names = csr_names(req, &n);
	CHECK(names != NULL && n == 3);
	if (names != NULL && n == 3) {
		CHECK_STR(names[0], "example.org");
		CHECK_STR(names[1], "www.example.org");
		CHECK_STR(names[2], "shop.example.org");
	}
	strv_free(names, n);
	X509_REQ_free(req);

	/* A name too long for a CN is still requested, as a SAN. */
	memset(long_name, 'a', 70);
	strcpy(long_name + 70, ".test");
	longv[0] = long_name;
	longv[1] = three[0];
	b64 = csr_make(key, longv, 2);
	req = csr_decode(b64);
	CHECK(req != NULL && X509_REQ_verify(req, key) == 1);
	names = req == NULL ? NULL : csr_names(req, &n);
	CHECK(names != NULL && n == 2 && strcmp(names[0], long_name) == 0);
	strv_free(names, n);
	X509_REQ_free(req);
	free(b64);
	CHECK(csr_make(key, three, 0) == NULL);
}

/* Replaces every "\n" with "\r\n". */
static char *
crlf(const char *text)
{
	char	*out, *o;

	if ((out = malloc(strlen(text) * 2 + 1)) == NULL)
		return NULL;
	for (o = out; *text != '\0'; text++) {
		if (*text == '\n')
			*o++ = '\r';
		*o++ = *text;
	}
	*o = '\0';
	return out;
}

/* Whether pem_chain_parse accepts text, and with how many certs. */
static int
chain_count(const char *text)
{
	STACK_OF(X509)	*chain;
	int		 n;

	chain = pem_chain_parse(text, strlen(text), "https://ca.test/cert/1");
	if (chain == NULL)
		return -1;
	n = sk_X509_num(chain);
	sk_X509_pop_free(chain, X509_free);
	return n;
}

/* Checks chain_to_pem and cert_to_pem against the original text. */
static void
check_to_pem(STACK_OF(X509) *chain, const char *leaf_pem,
    const char *full)
{
	char	*pem;
	size_t	 len = 0;

	pem = chain_to_pem(chain, 0, &len);
	CHECK_STR(pem, full);
	CHECK(pem != NULL && strlen(pem) == len);
	free(pem);
	pem = chain_to_pem(chain, 1, &len);
	CHECK_STR(pem, full + strlen(leaf_pem));
	free(pem);
	pem = chain_to_pem(chain, 2, &len);
	CHECK(pem != NULL && len == 0 && pem[0] == '\0');
	free(pem);
	pem = cert_to_pem(sk_X509_value(chain, 0), &len);
	CHECK_STR(pem, leaf_pem);
	free(pem);
}

static void
test_chain(X509 *leaf, X509 *ca)
{
	STACK_OF(X509)	*chain;
	char		*leaf_pem, *ca_pem, *full, *text, *crlf_full;
	size_t		 len;

	leaf_pem = cert_to_pem(leaf, &len);
	ca_pem = cert_to_pem(ca, &len);
	CHECK(leaf_pem != NULL && ca_pem != NULL);
	if (leaf_pem == NULL || ca_pem == NULL ||
	    asprintf(&full, "%s%s", leaf_pem, ca_pem) == -1)
		goto out;

	chain = pem_chain_parse(full, strlen(full), "fullchain.pem");
	CHECK(chain != NULL && sk_X509_num(chain) == 2);
	if (chain != NULL) {
		CHECK(X509_cmp(sk_X509_value(chain, 0), leaf) == 0);
		CHECK(X509_cmp(sk_X509_value(chain, 1), ca) == 0);
		check_to_pem(chain, leaf_pem, full);
	}
	sk_X509_pop_free(chain, X509_free);

	CHECK(chain_count(leaf_pem) == 1);
	crlf_full = crlf(full);
	CHECK(crlf_full != NULL && chain_count(crlf_full) == 2);
	free(crlf_full);
	if (asprintf(&text, "\n  %s\n\n%s\r\n\t\n", leaf_pem, ca_pem) != -1) {
		CHECK(chain_count(text) == 2);
		free(text);
	}

	/* Text that is not whitespace before, between, after: refused. */
	if (asprintf(&text, "%sgarbage\n%s", leaf_pem, ca_pem) != -1) {
		CHECK(chain_count(text) == -1);
		free(text);
	}
	if (asprintf(&text, "%s%s<html>", leaf_pem, ca_pem) != -1) {
		CHECK(chain_count(text) == -1);
		free(text);
	}
	if (asprintf(&text, "subject=CN x\n%s", leaf_pem) != -1) {
		CHECK(chain_count(text) == -1);
		free(text);
	}
	/* Truncated: no END line, or a broken body. */
	CHECK(chain_count("-----BEGIN CERTIFICATE-----\nMIIB\n") == -1);
	CHECK(chain_count("-----BEGIN CERTIFICATE-----\nMIIB\n"
	    "-----END CERTIFICATE-----\n") == -1);
	CHECK(chain_count("") == -1);
	CHECK(chain_count(" \r\n\n") == -1);
	CHECK(chain_count("{\"type\":\"urn:ietf:params:acme:error\"}") == -1);
	free(full);
out:
	free(leaf_pem);
	free(ca_pem);
}

static void
test_issued(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key)
{
	static char *const reordered[] = { u1, d1, u2 };
	X509		*cert;
	EVP_PKEY	*other;
	const char	*what = "https://ca.test/cert/1";

	cert = make_cert(key, "example.org", "DNS:example.org,"
	    "DNS:www.example.org,DNS:shop.example.org", ca, ca_key, 90);
	CHECK(cert != NULL);
	CHECK(cert_check_issued(cert, key, three, NTHREE, what) == 0);
	CHECK(cert_check_issued(cert, key, reordered, 3, what) == 0);
	/* A name asked for that the certificate lacks. */
	CHECK(cert_check_issued(cert, key, three, 2, what) == -1);
	CHECK(cert_names_match(cert, three, NTHREE));
	CHECK(cert_names_match(cert, reordered, 3));
	CHECK(!cert_names_match(cert, three, 2));
	X509_free(cert);

	/* A certificate with a name that was not asked for. */
	cert = make_cert(key, "example.org", "DNS:example.org,"
	    "DNS:www.example.org,DNS:shop.example.org,DNS:evil.test",
	    ca, ca_key, 90);
	CHECK(cert != NULL &&
	    cert_check_issued(cert, key, three, NTHREE, what) == -1);
	CHECK(cert != NULL && !cert_names_match(cert, three, NTHREE));
	X509_free(cert);

	/* Right names, wrong key. */
	other = key_generate(KEY_TYPE_EC256);
	cert = other == NULL ? NULL : make_cert(other, "example.org",
	    "DNS:example.org,DNS:www.example.org,DNS:shop.example.org",
	    ca, ca_key, 90);
	CHECK(cert != NULL &&
	    cert_check_issued(cert, key, three, NTHREE, what) == -1);
	CHECK(cert != NULL && !key_matches_cert(key, cert));
	CHECK(cert != NULL && key_matches_cert(other, cert));
	X509_free(cert);
	EVP_PKEY_free(other);

	/* No subjectAltName at all. */
	cert = make_cert(key, "example.org", NULL, ca, ca_key, 90);
	CHECK(cert != NULL &&
	    cert_check_issued(cert, key, three, 1, what) == -1);
	CHECK(cert != NULL && !cert_names_match(cert, three, 1));
	X509_free(cert);
}

static void
test_names_and_dates(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key)
{
	X509	*cert;
	char	**names;
	size_t	 n = 0;
	time_t	 nb = 0, na = 0, now;

	now = time(NULL);
	cert = make_cert(key, "a.test", "DNS:a.test,IP:127.0.0.1,"
	    "email:x@a.test,DNS:B.test", ca, ca_key, 10);
	CHECK(cert != NULL);
	if (cert == NULL)
		return;
	names = cert_dns_names(cert, &n);
	CHECK(names != NULL && n == 2);
	if (names != NULL && n == 2) {
		CHECK_STR(names[0], "a.test");
		CHECK_STR(names[1], "B.test");
	}
	strv_free(names, n);
	CHECK(cert_validity(cert, &nb, &na) == 0);
	CHECK(nb >= now - 5 && nb <= now + 5);
	CHECK(na - nb == 10 * 86400);
	CHECK(cert_validity(cert, NULL, &na) == 0);
	X509_free(cert);

	cert = make_cert(key, "a.test", NULL, ca, ca_key, 10);
	names = cert == NULL ? NULL : cert_dns_names(cert, &n);
	CHECK(names != NULL && n == 0);
	strv_free(names, n);
	X509_free(cert);
}

int
main(void)
{
	EVP_PKEY	*key, *ca_key, *rsa;
	X509		*ca = NULL, *leaf = NULL;

	log_setup("aw_x509", LOG_DEBUG, false);
	key = key_generate(KEY_TYPE_EC256);
	ca_key = key_generate(KEY_TYPE_EC384);
	rsa = key_generate(KEY_TYPE_RSA2048);
	CHECK(key != NULL && ca_key != NULL && rsa != NULL);
	if (key == NULL || ca_key == NULL || rsa == NULL)
		goto out;
	ca = make_cert(ca_key, "Test CA", NULL, NULL, ca_key, 365);
	leaf = make_cert(key, "example.org", "DNS:example.org", ca, ca_key,
	    90);
	CHECK(ca != NULL && leaf != NULL);
	if (ca == NULL || leaf == NULL)
		goto out;

	test_csr(key);
	test_csr(rsa);
	test_chain(leaf, ca);
	test_issued(key, ca, ca_key);
	test_issued(rsa, ca, ca_key);
	test_names_and_dates(key, ca, ca_key);
out:
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return t_done("aw_x509");
}
