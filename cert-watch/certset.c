/*
 * Reading and checking one live certificate set.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certset.h"
#include "fsutil.h"
#include "log.h"

#define MAX_PEM_SIZE	(1024 * 1024)

bool
certset_name_ok(const char *name)
{
	/* Dot names are temporary (acme-webroot's .NAME.new) or hidden;
	 * an empty one would be live_dir itself. */
	return name[0] != '\0' && name[0] != '.' &&
	    strchr(name, '/') == NULL && !certset_name_unsafe(name);
}

bool
certset_name_unsafe(const char *name)
{
	const unsigned char	*p;

	/* CERT_WATCH_NAMES separates names by blanks, and a newline
	 * would start a log line of its own. */
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return true;
	return false;
}

static void __attribute__((format(printf, 3, 4)))
fail(struct certset *cs, enum certset_status st, const char *fmt, ...)
{
	va_list	 ap;

	cs->status = st;
	va_start(ap, fmt);
	vsnprintf(cs->why, sizeof(cs->why), fmt, ap);
	va_end(ap);
	ERR_clear_error();
}

static void
to_hex(const unsigned char *md, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Reads lineage/file, fills hex with its SHA-256; the content is kept
 * in *data for parsing (NULL data: not kept). */
static int
read_hashed(struct certset *cs, const char *file, char *hex, char **data,
    size_t *len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		 path[4096], *buf = NULL;
	size_t		 n = 0;
	int		 rc;

	snprintf(path, sizeof(path), "%s/%s", cs->lineage, file);
	/* read_file() logs what is not ENOENT; a directory being rewritten
	 * can give other errors for a moment, so test first quietly. */
	if (access(path, R_OK) == -1) {
		fail(cs, errno == ENOENT ? CERTSET_INCOMPLETE :
		    CERTSET_INVALID, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = read_file(path, MAX_PEM_SIZE, &buf, &n);
	if (rc < 0) {
		fail(cs, rc == -ENOENT ? CERTSET_INCOMPLETE :
		    CERTSET_INVALID, "%s: cannot be read", path);
		return -1;
	}
	if (EVP_Digest(buf, n, md, &mdlen, EVP_sha256(), NULL) != 1) {
		free_secret(buf, n);
		fail(cs, CERTSET_INVALID, "%s: SHA-256 failed", path);
		return -1;
	}
	to_hex(md, mdlen, hex);
	*data = buf;
	*len = n;
	return 0;
}

static int
add_domain(struct certset *cs, const char *name, int len)
{
	char	**d;

	d = reallocarray(cs->domains, cs->ndomains + 1, sizeof(*d));
	if (d == NULL)
		return -1;
	cs->domains = d;
	if ((d[cs->ndomains] = strndup(name, (size_t)len)) == NULL)
		return -1;
	cs->ndomains++;
	return 0;
}

static int
read_domains(struct certset *cs, X509 *leaf)
{
	GENERAL_NAMES	*names;
	int		 i, rc = 0;

	names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME	*gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type != GEN_DNS)
			continue;
		if (add_domain(cs, (const char *)ASN1_STRING_get0_data(
		    gn->d.dNSName), ASN1_STRING_length(gn->d.dNSName)) == -1)
			rc = -1;
	}
	GENERAL_NAMES_free(names);
	return rc;
}

static int
check_validity(struct certset *cs, X509 *leaf)
{
	if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0) {
		fail(cs, CERTSET_INVALID, "%s/fullchain.pem: not valid yet",
		    cs->lineage);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
		fail(cs, CERTSET_INVALID, "%s/fullchain.pem: expired",
		    cs->lineage);
		return -1;
	}
	return 0;
}

/* Parses the leaf and the key and checks that they belong together. */
static void
check_pair(struct certset *cs, const char *chain, size_t chainlen,
    const char *key, size_t keylen)
{
	BIO		*b = NULL;
	X509		*leaf = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((b = BIO_new_mem_buf(chain, (int)chainlen)) == NULL ||
	    (leaf = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		fail(cs, CERTSET_INVALID, "%s/fullchain.pem: no certificate",
		    cs->lineage);
		goto out;
	}
	BIO_free(b);
	if ((b = BIO_new_mem_buf(key, (int)keylen)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		fail(cs, CERTSET_INVALID, "%s/privkey.pem: no private key",
		    cs->lineage);
		goto out;
	}
	if (X509_check_private_key(leaf, pkey) != 1) {
		fail(cs, CERTSET_INVALID, "%s/privkey.pem does not match "
		    "%s/fullchain.pem", cs->lineage, cs->lineage);
		goto out;
	}
	if (check_validity(cs, leaf) == -1)
		goto out;
	if (read_domains(cs, leaf) == -1)
		fail(cs, CERTSET_INVALID, "%s: out of memory", cs->lineage);
out:
	BIO_free(b);
	X509_free(leaf);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
}

struct certset *
certset_read(const char *live_dir, const char *name, bool check)
{
	struct certset	*cs;
	struct stat	 st;
	char		*chain = NULL, *key = NULL;
	size_t		 chainlen = 0, keylen = 0;

	if ((cs = calloc(1, sizeof(*cs))) == NULL ||
	    (cs->name = strdup(name)) == NULL ||
	    asprintf(&cs->lineage, "%s/%s", live_dir, name) == -1) {
		log_err("%s/%s: out of memory", live_dir, name);
		if (cs != NULL)
			free(cs->name);
		free(cs);
		return NULL;
	}
	cs->status = CERTSET_OK;
	if (stat(cs->lineage, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fail(cs, CERTSET_GONE, "%s: not a directory", cs->lineage);
		return cs;
	}
	if (read_hashed(cs, "fullchain.pem", cs->fullchain_sha, &chain,
	    &chainlen) == -1 ||
	    read_hashed(cs, "privkey.pem", cs->privkey_sha, &key,
	    &keylen) == -1)
		goto out;
	if (check)
		check_pair(cs, chain, chainlen, key, keylen);
out:
	free(chain);
	free_secret(key, keylen);
	return cs;
}

void
certset_free(struct certset *cs)
{
	size_t	 i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->ndomains; i++)
		free(cs->domains[i]);
	free(cs->domains);
	free(cs->lineage);
	free(cs->name);
	free(cs);
}

struct certset *
certset_dup(const struct certset *cs)
{
	struct certset	*c;
	size_t		 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	*c = *cs;
	c->domains = NULL;
	c->ndomains = 0;
	c->name = strdup(cs->name);
	c->lineage = strdup(cs->lineage);
	if (c->name == NULL || c->lineage == NULL)
		goto nomem;
	for (i = 0; i < cs->ndomains; i++)
		if (add_domain(c, cs->domains[i],
		    (int)strlen(cs->domains[i])) == -1)
			goto nomem;
	return c;
nomem:
	log_err("%s: out of memory", cs->lineage);
	certset_free(c);
	return NULL;
}
