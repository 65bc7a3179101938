/*
 * Keys, SHA-256 and base64url on OpenSSL 3's EVP interfaces.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "fsutil.h"
#include "log.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
b64url_encode(const void *data, size_t len)
{
	const unsigned char	*in = data;
	char			*out, *p;
	uint32_t		 v;
	size_t			 i, rest;

	if (len > (SIZE_MAX - 1) / 4 * 3) {
		log_err("base64url: %zu bytes are too many", len);
		return NULL;
	}
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL) {
		log_err("base64url: out of memory");
		return NULL;
	}
	p = out;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		*p++ = b64url_alphabet[v >> 18 & 63];
		*p++ = b64url_alphabet[v >> 12 & 63];
		*p++ = b64url_alphabet[v >> 6 & 63];
		*p++ = b64url_alphabet[v & 63];
	}
	/* One or two bytes left give two or three characters, no '='. */
	rest = len - i;
	if (rest > 0) {
		v = (uint32_t)in[i] << 16;
		if (rest == 2)
			v |= (uint32_t)in[i + 1] << 8;
		*p++ = b64url_alphabet[v >> 18 & 63];
		*p++ = b64url_alphabet[v >> 12 & 63];
		if (rest == 2)
			*p++ = b64url_alphabet[v >> 6 & 63];
	}
	*p = '\0';
	return out;
}

/* The 6-bit value of a base64url character, or -1. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

unsigned char *
b64url_decode(const char *text, size_t *len)
{
	unsigned char	*out;
	size_t		 n, i, o = 0;
	uint32_t	 acc = 0;
	int		 v, bits = 0;

	n = strlen(text);
	/* A lone character after full groups encodes no whole byte. */
	if (n % 4 == 1)
		return NULL;
	if ((out = malloc(n / 4 * 3 + 3)) == NULL) {
		log_err("base64url: out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((v = b64url_value((unsigned char)text[i])) == -1)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Canonical encodings leave the unused low bits at zero. */
	if (acc != 0)
		goto bad;
	out[o] = '\0';
	*len = o;
	return out;
bad:
	free(out);
	return NULL;
}

bool
b64url_valid(const char *text, size_t min, size_t max)
{
	size_t	 n;

	if (text == NULL)
		return false;
	n = strspn(text, b64url_alphabet);
	return text[n] == '\0' && n >= min && n <= max;
}

EVP_PKEY *
key_generate(enum key_type type)
{
	EVP_PKEY	*key = NULL;

	switch (type) {
	case KEY_TYPE_EC256:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case KEY_TYPE_EC384:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case KEY_TYPE_RSA2048:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case KEY_TYPE_RSA3072:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case KEY_TYPE_RSA4096:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	}
	if (key == NULL)
		log_openssl("%s key: generation failed", key_type_name(type));
	return key;
}

int
key_type_of(EVP_PKEY *key, enum key_type *type)
{
	char	 group[64];
	int	 nid;

	if (EVP_PKEY_is_a(key, "RSA")) {
		switch (EVP_PKEY_get_bits(key)) {
		case 2048:
			*type = KEY_TYPE_RSA2048;
			return 0;
		case 3072:
			*type = KEY_TYPE_RSA3072;
			return 0;
		case 4096:
			*type = KEY_TYPE_RSA4096;
			return 0;
		}
		return -1;
	}
	if (!EVP_PKEY_is_a(key, "EC"))
		return -1;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1) {
		ERR_clear_error();
		return -1;
	}
	nid = OBJ_txt2nid(group);
	if (nid == NID_X9_62_prime256v1)
		*type = KEY_TYPE_EC256;
	else if (nid == NID_secp384r1)
		*type = KEY_TYPE_EC384;
	else
		return -1;
	return 0;
}

bool
key_is_type(EVP_PKEY *key, enum key_type type)
{
	enum key_type	 actual;

	return key_type_of(key, &actual) == 0 && actual == type;
}

/* Refuses to ask for a pass phrase: keys here are never encrypted. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

EVP_PKEY *
key_from_pem(const char *pem, size_t len, const char *what)
{
	EVP_PKEY	*key = NULL;
	BIO		*bio;
	enum key_type	 type;

	if (len > INT_MAX) {
		log_err("%s: too large for a key", what);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		log_openssl("%s: reading key", what);
		return NULL;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (key == NULL) {
		log_openssl("%s: no usable private key", what);
		return NULL;
	}
	/* Only keys that ACME signing and key_type can name are used. */
	if (key_type_of(key, &type) == -1) {
		log_err("%s: unsupported key (%s, %d bits); use EC P-256, "
		    "P-384 or RSA 2048, 3072, 4096", what,
		    EVP_PKEY_get0_type_name(key), EVP_PKEY_get_bits(key));
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

char *
key_to_pem(EVP_PKEY *key, size_t *len)
{
	BIO	*bio;
	char	*data, *pem = NULL;
	long	 n;

	/* A secure memory BIO clears its buffer when it is freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		log_openssl("key: PEM encoding");
		return NULL;
	}
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) != 1) {
		log_openssl("key: PEM encoding");
		goto out;
	}
	if ((n = BIO_get_mem_data(bio, &data)) <= 0) {
		log_openssl("key: PEM encoding gave nothing");
		goto out;
	}
	if ((pem = malloc((size_t)n + 1)) == NULL) {
		log_err("key: PEM encoding: out of memory");
		goto out;
	}
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	*len = (size_t)n;
out:
	BIO_free(bio);
	return pem;
}

/*
 * A key file must be a regular file that only its owner (and, for
 * key_group, its group) can read, and only its owner can write.  It is
 * checked by path before reading: whoever could swap the file between
 * the two steps already controls the key's directory.
 */
static int
key_file_check(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			return -ENOENT;
		log_err("%s: stat: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		log_err("%s: mode %04o lets others read or write the private "
		    "key; refusing it (chmod 600 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* key_load(), but a missing file gives -ENOENT without a message. */
static int
key_read(const char *path, EVP_PKEY **out)
{
	char	*pem = NULL;
	size_t	 len = 0;
	int	 rc;

	*out = NULL;
	if ((rc = key_file_check(path)) != 0)
		return rc;
	if ((rc = read_file(path, KEY_FILE_MAX, &pem, &len)) != 0)
		return rc;
	*out = key_from_pem(pem, len, path);
	free_secret(pem, len);
	return *out == NULL ? -1 : 0;
}

EVP_PKEY *
key_load(const char *path)
{
	EVP_PKEY	*key;

	if (key_read(path, &key) == -ENOENT)
		log_err("%s: no such file", path);
	return key;
}

EVP_PKEY *
key_load_or_create(const char *path, enum key_type type)
{
	EVP_PKEY	*key;
	char		*pem = NULL;
	size_t		 len = 0;

	if (key_read(path, &key) != -ENOENT)
		return key;

	if ((key = key_generate(type)) == NULL)
		return NULL;
	if ((pem = key_to_pem(key, &len)) == NULL ||
	    atomic_write(path, pem, len, 0600, GID_KEEP) == -1) {
		EVP_PKEY_free(key);
		key = NULL;
		goto out;
	}
	log_notice("%s: created a new %s key", path, key_type_name(type));
out:
	free_secret(pem, len);
	return key;
}

int
sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int	 n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32) {
		log_openssl("sha256");
		return -1;
	}
	return 0;
}

int
sha256_hex(const void *data, size_t len, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[32];
	size_t			 i;

	if (sha256(data, len, md) == -1)
		return -1;
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}
