/*
 * CSRs, PEM certificate chains, and the checks on what the CA issued.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "log.h"
#include "x509.h"

/* RFC 5280's upper bound for a commonName. */
#define CN_MAX		64

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

void
strv_free(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The subjectAltName extension listing every domain as a DNS name. */
static X509_EXTENSION *
san_extension(char *const *domains, size_t n)
{
	GENERAL_NAMES	*names;
	GENERAL_NAME	*gn;
	ASN1_IA5STRING	*ia5;
	X509_EXTENSION	*ext = NULL;
	size_t		 i;

	if ((names = sk_GENERAL_NAME_new_null()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((gn = GENERAL_NAME_new()) == NULL)
			goto out;
		if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(ia5, domains[i], -1) != 1) {
			ASN1_IA5STRING_free(ia5);
			GENERAL_NAME_free(gn);
			goto out;
		}
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		if (sk_GENERAL_NAME_push(names, gn) == 0) {
			GENERAL_NAME_free(gn);
			goto out;
		}
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names);
out:
	GENERAL_NAMES_free(names);
	return ext;
}

/* The request's subject, CN and subjectAltName, unsigned. */
static X509_REQ *
csr_build(EVP_PKEY *key, char *const *domains, size_t n)
{
	X509_REQ			*req;
	X509_NAME			*name;
	X509_EXTENSION			*ext = NULL;
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	int				 ok = 0;

	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1)
		goto out;
	/* A CN longer than 64 cannot be encoded; the SAN carries it. */
	name = X509_REQ_get_subject_name(req);
	if (strlen(domains[0]) <= CN_MAX &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)domains[0], -1, -1, 0) != 1)
		goto out;
	if ((ext = san_extension(domains, n)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    sk_X509_EXTENSION_push(exts, ext) == 0)
		goto out;
	ext = NULL;
	if (X509_REQ_add_extensions(req, exts) != 1)
		goto out;
	ok = 1;
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (!ok) {
		X509_REQ_free(req);
		req = NULL;
	}
	return req;
}

char *
csr_make(EVP_PKEY *key, char *const *domains, size_t n)
{
	X509_REQ	*req = NULL;
	unsigned char	*der = NULL;
	char		*out = NULL;
	int		 len;

	if (n == 0) {
		log_err("csr: no domain names");
		return NULL;
	}
	if ((req = csr_build(key, domains, n)) == NULL ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_REQ(req, &der)) <= 0) {
		log_openssl("csr for %s: cannot be made", domains[0]);
		goto out;
	}
	out = b64url_encode(der, (size_t)len);
out:
	OPENSSL_free(der);
	X509_REQ_free(req);
	return out;
}

/* Where the next non-whitespace byte is, or end. */
static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	return p;
}

/* Logs the first bytes that are not a certificate, escaped. */
static void
log_garbage(const char *what, const char *p, const char *end)
{
	char	*esc;

	esc = log_escape(p, (size_t)(end - p), 40);
	log_err("%s: unexpected text instead of a PEM certificate: \"%s\"",
	    what, esc);
	log_escape_free(esc);
}

/*
 * One PEM certificate starting at p (at its BEGIN line); *next is set
 * past its END line.
 */
static X509 *
pem_one(const char *p, const char *end, const char **next,
    const char *what, int index)
{
	const char	*stop;
	BIO		*bio;
	X509		*cert;

	stop = memmem(p, (size_t)(end - p), pem_end, sizeof(pem_end) - 1);
	if (stop == NULL) {
		log_err("%s: certificate %d has no END line", what, index);
		return NULL;
	}
	stop += sizeof(pem_end) - 1;
	/* Only a line end may follow the END marker. */
	if (stop < end && *stop != '\n' && *stop != '\r') {
		log_garbage(what, stop, end);
		return NULL;
	}
	*next = stop;
	if ((bio = BIO_new_mem_buf(p, (int)(stop - p))) == NULL) {
		log_openssl("%s: reading certificate %d", what, index);
		return NULL;
	}
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (cert == NULL)
		log_openssl("%s: certificate %d does not parse", what, index);
	return cert;
}

STACK_OF(X509) *
pem_chain_parse(const char *pem, size_t len, const char *what)
{
	STACK_OF(X509)	*chain;
	const char	*p = pem, *end = pem + len;
	X509		*cert;

	if (len > INT_MAX) {
		log_err("%s: too large for a certificate chain", what);
		return NULL;
	}
	if ((chain = sk_X509_new_null()) == NULL) {
		log_err("%s: out of memory", what);
		return NULL;
	}
	while ((p = skip_space(p, end)) < end) {
		if ((size_t)(end - p) < sizeof(pem_begin) - 1 ||
		    memcmp(p, pem_begin, sizeof(pem_begin) - 1) != 0) {
			log_garbage(what, p, end);
			goto bad;
		}
		cert = pem_one(p, end, &p, what, sk_X509_num(chain) + 1);
		if (cert == NULL)
			goto bad;
		if (sk_X509_push(chain, cert) == 0) {
			X509_free(cert);
			log_err("%s: out of memory", what);
			goto bad;
		}
	}
	if (sk_X509_num(chain) == 0) {
		log_err("%s: no certificate", what);
		goto bad;
	}
	return chain;
bad:
	sk_X509_pop_free(chain, X509_free);
	return NULL;
}

bool
key_matches_cert(EVP_PKEY *key, X509 *cert)
{
	EVP_PKEY	*pub;

	if ((pub = X509_get0_pubkey(cert)) == NULL) {
		ERR_clear_error();
		return false;
	}
	return EVP_PKEY_eq(key, pub) == 1;
}

/* Whether name is among the n names, ignoring case. */
static bool
name_in(const char *name, char *const *names, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

/*
 * Counts the names of a that b lacks, logging each as "what: how NAME"
 * unless what is NULL.
 */
static size_t
names_lacking(char *const *a, size_t na, char *const *b, size_t nb,
    const char *what, const char *how)
{
	size_t	 i, count = 0;
	char	*esc;

	for (i = 0; i < na; i++) {
		if (name_in(a[i], b, nb))
			continue;
		count++;
		if (what == NULL)
			continue;
		esc = log_escape(a[i], strlen(a[i]), 256);
		log_err("%s: %s %s", what, how, esc);
		log_escape_free(esc);
	}
	return count;
}

/* Compares the certificate's DNS names with domains; what as above. */
static int
names_compare(X509 *cert, char *const *domains, size_t n,
    const char *what)
{
	char	**names;
	size_t	 nn = 0, bad;

	if ((names = cert_dns_names(cert, &nn)) == NULL)
		return -1;
	bad = names_lacking(domains, n, names, nn, what,
	    "certificate lacks the requested name");
	bad += names_lacking(names, nn, domains, n, what,
	    "certificate has the unrequested name");
	strv_free(names, nn);
	return bad == 0 ? 0 : -1;
}

bool
cert_names_match(X509 *cert, char *const *domains, size_t n)
{
	return names_compare(cert, domains, n, NULL) == 0;
}

int
cert_check_issued(X509 *leaf, EVP_PKEY *key, char *const *domains,
    size_t n, const char *what)
{
	if (!key_matches_cert(key, leaf)) {
		log_err("%s: the certificate's public key is not the key "
		    "of the request", what);
		return -1;
	}
	return names_compare(leaf, domains, n, what);
}

/* An ASN1_TIME as seconds since the epoch. */
static int
asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm	 tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

int
cert_validity(X509 *cert, time_t *not_before, time_t *not_after)
{
	time_t	 nb, na;

	if (asn1_time(X509_get0_notBefore(cert), &nb) == -1 ||
	    asn1_time(X509_get0_notAfter(cert), &na) == -1) {
		log_openssl("certificate: unreadable validity dates");
		return -1;
	}
	if (not_before != NULL)
		*not_before = nb;
	if (not_after != NULL)
		*not_after = na;
	return 0;
}

/* Copies the DNS entries of names into *out (sized for all). */
static int
dns_copy(GENERAL_NAMES *names, char **out, size_t *n)
{
	const GENERAL_NAME	*gn;
	const unsigned char	*data;
	int			 i, len;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type != GEN_DNS)
			continue;
		data = ASN1_STRING_get0_data(gn->d.dNSName);
		len = ASN1_STRING_length(gn->d.dNSName);
		/* An embedded NUL would make two different names equal. */
		if (memchr(data, '\0', (size_t)len) != NULL) {
			log_err("certificate: DNS name with a NUL byte");
			return -1;
		}
		if ((out[*n] = strndup((const char *)data,
		    (size_t)len)) == NULL) {
			log_err("certificate: out of memory");
			return -1;
		}
		(*n)++;
	}
	return 0;
}

char **
cert_dns_names(X509 *cert, size_t *n)
{
	GENERAL_NAMES	*names;
	char		**out;
	int		 crit = 0, count = 0;

	*n = 0;
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	/* crit -1: there is no such extension, which is not an error. */
	if (names == NULL && crit != -1) {
		log_openssl("certificate: unreadable subjectAltName");
		return NULL;
	}
	if (names != NULL)
		count = sk_GENERAL_NAME_num(names);
	if ((out = calloc((size_t)count + 1, sizeof(*out))) == NULL) {
		log_err("certificate: out of memory");
		goto out;
	}
	if (names != NULL && dns_copy(names, out, n) == -1) {
		strv_free(out, *n);
		out = NULL;
		*n = 0;
	}
out:
	GENERAL_NAMES_free(names);
	return out;
}

/* The memory BIO's contents as a malloc'd, NUL-terminated string. */
static char *
bio_string(BIO *bio, size_t *len)
{
	char	*data, *out;
	long	 n;

	n = BIO_get_mem_data(bio, &data);
	if (n < 0 || (out = malloc((size_t)n + 1)) == NULL) {
		log_err("certificate: out of memory");
		return NULL;
	}
	if (n > 0)
		memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	return out;
}

char *
chain_to_pem(STACK_OF(X509) *chain, size_t from, size_t *len)
{
	BIO	*bio;
	char	*out = NULL;
	int	 i;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		log_openssl("certificate: PEM encoding");
		return NULL;
	}
	for (i = from > INT_MAX ? INT_MAX : (int)from;
	    i < sk_X509_num(chain); i++) {
		if (PEM_write_bio_X509(bio, sk_X509_value(chain, i)) != 1) {
			log_openssl("certificate %d: PEM encoding", i + 1);
			goto out;
		}
	}
	out = bio_string(bio, len);
out:
	BIO_free(bio);
	return out;
}

char *
cert_to_pem(X509 *cert, size_t *len)
{
	BIO	*bio;
	char	*out = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bio, cert) != 1)
		log_openssl("certificate: PEM encoding");
	else
		out = bio_string(bio, len);
	BIO_free(bio);
	return out;
}
