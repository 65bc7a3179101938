/*
 * JWK, JWK thumbprints and flattened JWS for ACME requests.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "jws.h"
#include "log.h"

/* The largest field: P-384's 48 bytes; RSA moduli up to 16384 bits. */
#define EC_FIELD_MAX	48
#define RSA_BYTES_MAX	2048
/* Longer than any CA sends; a bound on what goes into a header. */
#define NONCE_MAX	512

/*
 * A big-number parameter of the key as base64url of its big-endian
 * bytes, left-padded with zeros to width, or minimal when width is 0.
 */
static char *
bn_param_b64(EVP_PKEY *key, const char *name, size_t width)
{
	BIGNUM		*bn = NULL;
	unsigned char	 buf[RSA_BYTES_MAX];
	char		*out = NULL;
	int		 n;

	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
		log_openssl("key: no parameter %s", name);
		return NULL;
	}
	if (width == 0)
		width = (size_t)BN_num_bytes(bn);
	if (width > sizeof(buf) ||
	    (n = BN_bn2binpad(bn, buf, (int)width)) < 0) {
		log_err("key: parameter %s is too large", name);
		goto out;
	}
	out = b64url_encode(buf, (size_t)n);
out:
	BN_free(bn);
	return out;
}

/* Sets member name of obj to a string it takes over; NULL fails. */
static int
set_b64(json_t *obj, const char *name, char *value)
{
	int	 rc;

	if (value == NULL)
		return -1;
	rc = json_object_set_new(obj, name, json_string(value));
	free(value);
	if (rc == -1)
		log_err("jwk: out of memory");
	return rc;
}

static int
jwk_ec(json_t *jwk, EVP_PKEY *key, const char *crv)
{
	size_t	 width;

	/* RFC 7518 section 6.2.1.2: coordinates are the full field size,
	 * even when the leading bytes are zero. */
	width = (size_t)(EVP_PKEY_get_bits(key) + 7) / 8;
	if (width == 0 || width > EC_FIELD_MAX) {
		log_err("jwk: unexpected EC field size");
		return -1;
	}
	if (json_object_set_new(jwk, "crv", json_string(crv)) == -1 ||
	    json_object_set_new(jwk, "kty", json_string("EC")) == -1) {
		log_err("jwk: out of memory");
		return -1;
	}
	if (set_b64(jwk, "x", bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_X,
	    width)) == -1 ||
	    set_b64(jwk, "y", bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y,
	    width)) == -1)
		return -1;
	return 0;
}

static int
jwk_rsa(json_t *jwk, EVP_PKEY *key)
{
	if (set_b64(jwk, "e", bn_param_b64(key, OSSL_PKEY_PARAM_RSA_E,
	    0)) == -1)
		return -1;
	if (json_object_set_new(jwk, "kty", json_string("RSA")) == -1) {
		log_err("jwk: out of memory");
		return -1;
	}
	return set_b64(jwk, "n", bn_param_b64(key, OSSL_PKEY_PARAM_RSA_N,
	    0));
}

json_t *
jwk_public(EVP_PKEY *key)
{
	enum key_type	 type;
	json_t		*jwk;
	int		 rc;

	if (key_type_of(key, &type) == -1) {
		log_err("jwk: unsupported key (%s, %d bits)",
		    EVP_PKEY_get0_type_name(key), EVP_PKEY_get_bits(key));
		return NULL;
	}
	if ((jwk = json_object()) == NULL) {
		log_err("jwk: out of memory");
		return NULL;
	}
	if (type == KEY_TYPE_EC256)
		rc = jwk_ec(jwk, key, "P-256");
	else if (type == KEY_TYPE_EC384)
		rc = jwk_ec(jwk, key, "P-384");
	else
		rc = jwk_rsa(jwk, key);
	if (rc == -1) {
		json_decref(jwk);
		return NULL;
	}
	return jwk;
}

char *
jwk_thumbprint(EVP_PKEY *key)
{
	json_t		*jwk;
	char		*text = NULL, *out = NULL;
	unsigned char	 md[32];

	if ((jwk = jwk_public(key)) == NULL)
		return NULL;
	/* The JWK holds exactly the required members; sorted and compact
	 * is the canonical form of RFC 7638 section 3.2, as no string in
	 * it needs escaping. */
	text = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		log_err("jwk: out of memory");
		goto out;
	}
	if (sha256(text, strlen(text), md) == -1)
		goto out;
	out = b64url_encode(md, sizeof(md));
out:
	free(text);
	json_decref(jwk);
	return out;
}

char *
key_authorization(const char *token, EVP_PKEY *account_key)
{
	char	*thumb, *out = NULL;

	if ((thumb = jwk_thumbprint(account_key)) == NULL)
		return NULL;
	if (asprintf(&out, "%s.%s", token, thumb) == -1) {
		log_err("key authorization: out of memory");
		out = NULL;
	}
	free(thumb);
	return out;
}

const char *
jws_alg(EVP_PKEY *key)
{
	enum key_type	 type;

	if (key_type_of(key, &type) == -1)
		return NULL;
	switch (type) {
	case KEY_TYPE_EC256:
		return "ES256";
	case KEY_TYPE_EC384:
		return "ES384";
	default:
		return "RS256";
	}
}

/*
 * JWS wants ECDSA signatures as R and S, each left-padded to the field
 * size and concatenated (RFC 7518 section 3.4); OpenSSL gives DER.
 */
static int
ecdsa_der_to_raw(const unsigned char *der, size_t derlen,
    unsigned char *raw, size_t width)
{
	const unsigned char	*p = der;
	const BIGNUM		*r, *s;
	ECDSA_SIG		*sig;
	int			 rc = -1;

	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL) {
		log_openssl("jws: reading the ECDSA signature");
		return -1;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, (int)width) < 0 ||
	    BN_bn2binpad(s, raw + width, (int)width) < 0) {
		log_err("jws: ECDSA signature larger than the field");
		goto out;
	}
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	return rc;
}

/*
 * Signs "protected.payload" and returns the signature, base64url
 * encoded, in the form alg asks for.
 */
static char *
sign_b64(EVP_PKEY *key, const char *alg, const char *input)
{
	EVP_MD_CTX	*ctx;
	unsigned char	*sig = NULL, raw[2 * EC_FIELD_MAX];
	size_t		 siglen = 0, width;
	char		*out = NULL;
	const EVP_MD	*md;

	md = strcmp(alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256();
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1 ||
	    (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1) {
		log_openssl("jws: %s signature failed", alg);
		goto out;
	}
	if (alg[0] == 'E') {
		width = (size_t)(EVP_PKEY_get_bits(key) + 7) / 8;
		if (ecdsa_der_to_raw(sig, siglen, raw, width) == -1)
			goto out;
		out = b64url_encode(raw, 2 * width);
	} else
		out = b64url_encode(sig, siglen);
out:
	OPENSSL_free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* The protected header, serialized and base64url encoded. */
static char *
protected_b64(EVP_PKEY *key, const char *alg, const char *kid,
    const char *nonce, const char *url)
{
	json_t	*hdr, *jwk = NULL;
	char	*text = NULL, *out = NULL;
	int	 rc;

	if ((hdr = json_object()) == NULL)
		goto oom;
	rc = json_object_set_new(hdr, "alg", json_string(alg));
	if (nonce != NULL && rc == 0)
		rc = json_object_set_new(hdr, "nonce", json_string(nonce));
	if (rc == 0)
		rc = json_object_set_new(hdr, "url", json_string(url));
	if (rc == 0 && kid != NULL)
		rc = json_object_set_new(hdr, "kid", json_string(kid));
	else if (rc == 0) {
		if ((jwk = jwk_public(key)) == NULL)
			goto out;
		rc = json_object_set_new(hdr, "jwk", jwk);
	}
	if (rc == -1 || (text = json_dumps(hdr, JSON_COMPACT)) == NULL)
		goto oom;
	out = b64url_encode(text, strlen(text));
	goto out;
oom:
	log_err("jws: %s: cannot build the protected header", url);
out:
	free(text);
	json_decref(hdr);
	return out;
}

/* The flattened JSON serialization of the three parts. */
static char *
jws_serialize(const char *prot, const char *payload, const char *sig)
{
	json_t	*jws;
	char	*out = NULL;

	jws = json_pack("{s:s, s:s, s:s}", "protected", prot,
	    "payload", payload, "signature", sig);
	if (jws != NULL)
		out = json_dumps(jws, JSON_COMPACT);
	if (out == NULL)
		log_err("jws: out of memory");
	json_decref(jws);
	return out;
}

char *
jws_sign(EVP_PKEY *key, const char *kid, const char *nonce,
    const char *url, const char *payload)
{
	const char	*alg;
	char		*prot = NULL, *body = NULL, *input = NULL;
	char		*sig = NULL, *out = NULL, *esc;

	if ((alg = jws_alg(key)) == NULL) {
		log_err("jws: %s: unsupported key (%s, %d bits)", url,
		    EVP_PKEY_get0_type_name(key), EVP_PKEY_get_bits(key));
		return NULL;
	}
	if (nonce != NULL && !b64url_valid(nonce, 1, NONCE_MAX)) {
		esc = log_escape(nonce, strlen(nonce), 80);
		log_err("jws: %s: nonce \"%s\" is not base64url", url, esc);
		log_escape_free(esc);
		return NULL;
	}
	/* POST-as-GET (RFC 8555 section 6.3) signs the empty string. */
	if (payload == NULL)
		payload = "";
	if ((prot = protected_b64(key, alg, kid, nonce, url)) == NULL ||
	    (body = b64url_encode(payload, strlen(payload))) == NULL)
		goto out;
	if (asprintf(&input, "%s.%s", prot, body) == -1) {
		log_err("jws: %s: out of memory", url);
		input = NULL;
		goto out;
	}
	if ((sig = sign_b64(key, alg, input)) == NULL)
		goto out;
	out = jws_serialize(prot, body, sig);
out:
	free(prot);
	free(body);
	free(input);
	free(sig);
	return out;
}
