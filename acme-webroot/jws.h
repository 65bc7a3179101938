/*
 * JSON Web Keys and JSON Web Signatures as ACME uses them (RFC 7515,
 * 7517, 7518, 7638, and RFC 8555 section 6.2).  Keys are EC P-256,
 * P-384, or RSA.
 *
 * Failures are logged here; the functions return NULL.
 */
#ifndef AW_JWS_H
#define AW_JWS_H

#include <jansson.h>
#include <openssl/evp.h>

/*
 * The public key as a JWK object: {"crv","kty":"EC","x","y"} with
 * coordinates padded to the field size, or {"e","kty":"RSA","n"}.
 * The caller owns the reference.
 */
json_t	*jwk_public(EVP_PKEY *key);

/*
 * RFC 7638 thumbprint: base64url of the SHA-256 of the required
 * members in lexicographic order, without whitespace.
 */
char	*jwk_thumbprint(EVP_PKEY *key);

/* The HTTP-01 key authorization: token "." thumbprint(account_key). */
char	*key_authorization(const char *token, EVP_PKEY *account_key);

/* The JWS "alg" for a key: "ES256", "ES384", "RS256", or NULL. */
const char *jws_alg(EVP_PKEY *key);

/*
 * A signed ACME request body in the flattened JSON serialization
 * {"protected","payload","signature"}.  The protected header carries
 * alg, nonce, url, and kid when kid is not NULL, else the jwk (for
 * newAccount).  A nonce that is not base64url is refused; a NULL nonce
 * is left out, as the inner JWS of a key change wants.  payload is
 * JSON text, or NULL for POST-as-GET, which sends the empty payload
 * "".  EC signatures are the fixed-width R||S of RFC 7518 section 3.4,
 * not DER.
 */
char	*jws_sign(EVP_PKEY *key, const char *kid, const char *nonce,
	    const char *url, const char *payload);

#endif
