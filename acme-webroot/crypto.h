/*
 * Keys, hashes and base64url: the primitives the ACME exchange and the
 * certificate store are built on.  OpenSSL 3 EVP interfaces only.
 *
 * Every function logs its own failure (with the whole OpenSSL error
 * queue) and returns NULL or -1; predicates return bool and log
 * nothing.
 */
#ifndef AW_CRYPTO_H
#define AW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "keytype.h"

/* Largest key file read, PEM of an RSA-4096 key with room to spare. */
#define KEY_FILE_MAX	(64 * 1024)

/* base64url without padding (RFC 7515 section 2) of len bytes. */
char		*b64url_encode(const void *data, size_t len);

/*
 * Decodes strict base64url: the URL-safe alphabet only, no padding, no
 * whitespace, and no length that base64 cannot produce (len % 4 == 1)
 * nor leftover bits set in the last character.  NULL without logging
 * when the text is not that (running out of memory is logged).  The
 * result is NUL-terminated for convenience; *len does not count it.
 */
unsigned char	*b64url_decode(const char *text, size_t *len);

/*
 * Whether text is made of base64url characters only and its length is
 * within [min, max]: the check an ACME token passes before it becomes
 * a file name.
 */
bool		 b64url_valid(const char *text, size_t min, size_t max);

/* A new private key of the given type. */
EVP_PKEY	*key_generate(enum key_type type);

/*
 * A private key from PEM text (PKCS#8, or the traditional RSA and EC
 * forms), never prompting for a pass phrase.  Keys that no enum
 * key_type names (other curves or sizes, Ed25519, DSA) are refused, so
 * that every key in use can sign ACME requests.  what names the source
 * in error messages, usually the file name.
 */
EVP_PKEY	*key_from_pem(const char *pem, size_t len, const char *what);

/*
 * The private key as unencrypted PKCS#8 PEM, NUL-terminated, its
 * length in *len.  The caller releases it with free_secret(pem, *len).
 */
char		*key_to_pem(EVP_PKEY *key, size_t *len);

/*
 * Loads a private key file.  A file that others can read, or that
 * anyone but its owner can write, is refused with its name and mode,
 * as is anything but a regular file.  Buffers that held the PEM are
 * cleared.  A missing file is an error here too.
 */
EVP_PKEY	*key_load(const char *path);

/*
 * key_load(), or when path does not exist, a new key of the given type
 * written there atomically with mode 0600 (logged at LOG_NOTICE).  An
 * existing key is returned as it is, whatever its type: callers that
 * care compare with key_is_type().
 */
EVP_PKEY	*key_load_or_create(const char *path, enum key_type type);

/* Whether key is of that type: algorithm, and curve or modulus size. */
bool		 key_is_type(EVP_PKEY *key, enum key_type type);

/*
 * The key's type into *type: 0, or -1 without logging for a key that
 * matches no enum key_type (another curve, RSA-1024, Ed25519...).
 */
int		 key_type_of(EVP_PKEY *key, enum key_type *type);

/* SHA-256 of the data as 64 lowercase hex digits and a NUL. */
int		 sha256_hex(const void *data, size_t len, char out[65]);

/* SHA-256 of the data into out (32 bytes). */
int		 sha256(const void *data, size_t len, unsigned char out[32]);

#endif
