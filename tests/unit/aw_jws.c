/*
 * JWK, RFC 7638 thumbprints and JWS signatures, verified back with
 * OpenSSL.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto.h"
#include "jws.h"
#include "log.h"
#include "t.h"

/* The RSA public key of RFC 7638 section 3.1. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1"
    "RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5"
    "n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8K"
    "JZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQF"
    "h6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJz"
    "KnqDKgw";
static const char rfc7638_e[] = "AQAB";

/* A big number from base64url. */
static BIGNUM *
bn_b64(const char *text)
{
	unsigned char	*bin;
	size_t		 len = 0;
	BIGNUM		*bn;

	if ((bin = b64url_decode(text, &len)) == NULL)
		return NULL;
	bn = BN_bin2bn(bin, (int)len, NULL);
	free(bin);
	return bn;
}

static EVP_PKEY *
rsa_public(const char *n64, const char *e64)
{
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*key = NULL;
	BIGNUM		*n, *e;

	n = bn_b64(n64);
	e = bn_b64(e64);
	bld = OSSL_PARAM_BLD_new();
	if (n == NULL || e == NULL || bld == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return key;
}

static void
test_rfc7638(void)
{
	EVP_PKEY	*key;
	json_t		*jwk;
	char		*thumb, *ka;

	key = rsa_public(rfc7638_n, rfc7638_e);
	CHECK(key != NULL);
	if (key == NULL)
		return;
	jwk = jwk_public(key);
	CHECK(jwk != NULL && json_object_size(jwk) == 3);
	CHECK_STR(json_string_value(json_object_get(jwk, "n")), rfc7638_n);
	CHECK_STR(json_string_value(json_object_get(jwk, "e")), "AQAB");
	CHECK_STR(json_string_value(json_object_get(jwk, "kty")), "RSA");
	json_decref(jwk);

	thumb = jwk_thumbprint(key);
	CHECK_STR(thumb, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	ka = key_authorization("tok-EN_1", key);
	CHECK_STR(ka, "tok-EN_1.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(ka);
	free(thumb);
	EVP_PKEY_free(key);
}

/* The number of bytes of the x coordinate without leading zeros. */
static int
x_bytes(EVP_PKEY *key)
{
	BIGNUM	*x = NULL;
	int	 n;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1)
		return -1;
	n = BN_num_bytes(x);
	BN_free(x);
	return n;
}

/* Length and first byte of a base64url member of the JWK. */
static void
coordinate(json_t *jwk, const char *name, size_t *len, int *first)
{
	unsigned char	*bin;
	const char	*text;

	*len = 0;
	*first = -1;
	text = json_string_value(json_object_get(jwk, name));
	if (text == NULL || (bin = b64url_decode(text, len)) == NULL)
		return;
	if (*len > 0)
		*first = bin[0];
	free(bin);
}

/*
 * About one P-256 key in 256 has an x whose first byte is zero; the
 * JWK must still give all 32 bytes.
 */
static void
test_leading_zero(void)
{
	EVP_PKEY	*key = NULL;
	json_t		*jwk;
	size_t		 len;
	int		 i, first;

	for (i = 0; i < 20000; i++) {
		if ((key = key_generate(KEY_TYPE_EC256)) == NULL)
			break;
		if (x_bytes(key) < 32)
			break;
		EVP_PKEY_free(key);
		key = NULL;
	}
	CHECK(key != NULL);
	if (key == NULL)
		return;
	jwk = jwk_public(key);
	CHECK(jwk != NULL && json_object_size(jwk) == 4);
	CHECK_STR(json_string_value(json_object_get(jwk, "crv")), "P-256");
	CHECK_STR(json_string_value(json_object_get(jwk, "kty")), "EC");
	coordinate(jwk, "x", &len, &first);
	CHECK(len == 32 && first == 0);
	coordinate(jwk, "y", &len, &first);
	CHECK(len == 32);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

static void
test_ec384_jwk(void)
{
	EVP_PKEY	*key;
	json_t		*jwk;
	size_t		 len;
	int		 first;

	key = key_generate(KEY_TYPE_EC384);
	jwk = key == NULL ? NULL : jwk_public(key);
	CHECK(jwk != NULL);
	CHECK_STR(json_string_value(json_object_get(jwk, "crv")), "P-384");
	coordinate(jwk, "x", &len, &first);
	CHECK(len == 48);
	coordinate(jwk, "y", &len, &first);
	CHECK(len == 48);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

/* R||S back to the DER that OpenSSL verifies. */
static unsigned char *
raw_to_der(const unsigned char *raw, size_t len, int *derlen)
{
	ECDSA_SIG	*sig;
	BIGNUM		*r, *s;
	unsigned char	*der = NULL;

	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)len / 2, NULL);
	s = BN_bin2bn(raw + len / 2, (int)len / 2, NULL);
	if (sig == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	*derlen = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	return *derlen > 0 ? der : NULL;
}

static bool
verify(EVP_PKEY *key, const EVP_MD *md, const char *input,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx;
	int		 rc = 0;

	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1)
		rc = EVP_DigestVerify(ctx, sig, siglen,
		    (const unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(ctx);
	return rc == 1;
}

/* A base64url member of obj, decoded; NULL if absent or invalid. */
static unsigned char *
member_bytes(json_t *obj, const char *name, size_t *len)
{
	const char	*text;

	*len = 0;
	text = json_string_value(json_object_get(obj, name));
	return text == NULL ? NULL : b64url_decode(text, len);
}

static char *
member_decoded(json_t *obj, const char *name)
{
	size_t	 len;

	return (char *)member_bytes(obj, name, &len);
}

/* Checks the protected header of a JWS made by check_jws(). */
static void
check_header(const char *prot, const char *alg, const char *kid,
    EVP_PKEY *key)
{
	json_t		*hdr, *jwk;

	hdr = json_loads(prot, 0, NULL);
	CHECK(hdr != NULL);
	CHECK_STR(json_string_value(json_object_get(hdr, "alg")), alg);
	CHECK_STR(json_string_value(json_object_get(hdr, "nonce")),
	    "bm9uY2U");
	CHECK_STR(json_string_value(json_object_get(hdr,
	    "url")), "https://ca.test/acme/new-order");
	if (kid != NULL) {
		CHECK_STR(json_string_value(json_object_get(hdr, "kid")),
		    kid);
		CHECK(json_object_get(hdr, "jwk") == NULL);
	} else {
		jwk = jwk_public(key);
		CHECK(json_object_get(hdr, "kid") == NULL);
		CHECK(json_equal(json_object_get(hdr, "jwk"), jwk));
		json_decref(jwk);
	}
	json_decref(hdr);
}

/*
 * Signs with key, then checks every part of the flattened JWS and
 * verifies the signature (rawlen > 0: R||S of that many bytes).
 */
static void
check_jws(EVP_PKEY *key, const char *alg, const EVP_MD *md,
    size_t rawlen, const char *kid, const char *payload)
{
	json_t		*jws;
	char		*text, *prot = NULL, *body = NULL, *input = NULL;
	unsigned char	*sig = NULL, *der = NULL;
	size_t		 siglen = 0;
	int		 derlen = 0;

	CHECK_STR(jws_alg(key), alg);
	text = jws_sign(key, kid, "bm9uY2U",
	    "https://ca.test/acme/new-order", payload);
	CHECK(text != NULL);
	jws = text == NULL ? NULL : json_loads(text, 0, NULL);
	CHECK(jws != NULL && json_object_size(jws) == 3);

	prot = member_decoded(jws, "protected");
	body = member_decoded(jws, "payload");
	CHECK(prot != NULL && body != NULL);
	if (prot != NULL)
		check_header(prot, alg, kid, key);
	CHECK_STR(body, payload == NULL ? "" : payload);
	if (payload == NULL)
		CHECK_STR(json_string_value(json_object_get(jws, "payload")),
		    "");

	sig = member_bytes(jws, "signature", &siglen);
	CHECK(sig != NULL);
	if (asprintf(&input, "%s.%s",
	    json_string_value(json_object_get(jws, "protected")),
	    json_string_value(json_object_get(jws, "payload"))) == -1)
		input = NULL;
	if (rawlen > 0) {
		CHECK(siglen == rawlen);
		der = sig == NULL ? NULL : raw_to_der(sig, siglen, &derlen);
		CHECK(der != NULL && input != NULL &&
		    verify(key, md, input, der, (size_t)derlen));
	} else
		CHECK(sig != NULL && input != NULL &&
		    verify(key, md, input, sig, siglen));

	OPENSSL_free(der);
	free(input);
	free(sig);
	free(body);
	free(prot);
	json_decref(jws);
	free(text);
}

static void
test_sign(void)
{
	EVP_PKEY	*ec256, *ec384, *rsa;
	const char	*kid = "https://ca.test/acme/acct/1";

	ec256 = key_generate(KEY_TYPE_EC256);
	ec384 = key_generate(KEY_TYPE_EC384);
	rsa = key_generate(KEY_TYPE_RSA2048);
	CHECK(ec256 != NULL && ec384 != NULL && rsa != NULL);
	if (ec256 == NULL || ec384 == NULL || rsa == NULL)
		goto out;

	check_jws(ec256, "ES256", EVP_sha256(), 64, kid, "{}");
	check_jws(ec256, "ES256", EVP_sha256(), 64, NULL,
	    "{\"termsOfServiceAgreed\":true}");
	check_jws(ec256, "ES256", EVP_sha256(), 64, kid, NULL);
	check_jws(ec384, "ES384", EVP_sha384(), 96, kid, "{}");
	check_jws(ec384, "ES384", EVP_sha384(), 96, NULL, NULL);
	check_jws(rsa, "RS256", EVP_sha256(), 0, kid, "{}");
	check_jws(rsa, "RS256", EVP_sha256(), 0, NULL, NULL);

	/* A nonce is base64url; anything else never reaches a header. */
	CHECK(jws_sign(ec256, kid, "bad\"nonce", "https://ca.test/x",
	    NULL) == NULL);
out:
	EVP_PKEY_free(ec256);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(rsa);
}

int
main(void)
{
	log_setup("aw_jws", LOG_DEBUG, false);
	test_rfc7638();
	test_leading_zero();
	test_ec384_jwk();
	test_sign();
	return t_done("aw_jws");
}
