/*
 * Certificate signing requests and the certificates the CA returns:
 * parsing PEM chains, checking that what was issued is what was asked
 * for, and writing the pieces of a lineage.
 *
 * Failures are logged here; functions return -1 or NULL, predicates
 * return bool and log nothing.
 */
#ifndef AW_X509_H
#define AW_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * A CSR for the n domains (n >= 1) signed with key using SHA-256, as
 * base64url of its DER, ready for the finalize request.  The subject
 * is CN = domains[0] and every domain is a DNS subjectAltName.
 */
char		*csr_make(EVP_PKEY *key, char *const *domains, size_t n);

/*
 * Parses one or more PEM certificates, leaf first as the CA sent them.
 * CRLF line endings are accepted; anything between or after the
 * certificates other than whitespace, and text with no certificate at
 * all, is an error naming what (a URL or a file name).  The caller
 * frees it with sk_X509_pop_free(chain, X509_free).
 */
STACK_OF(X509)	*pem_chain_parse(const char *pem, size_t len,
		    const char *what);

/*
 * Whether the leaf is the certificate that was ordered: 0 when its
 * public key equals key's and its DNS subjectAltNames are exactly the
 * n domains (case-insensitive, in any order, duplicates ignored).
 * Otherwise logs which of the two differs, with the names missing or
 * extra, naming what, and returns -1.
 */
int		 cert_check_issued(X509 *leaf, EVP_PKEY *key,
		    char *const *domains, size_t n, const char *what);

/*
 * The same comparison of names as cert_check_issued(), silent: whether
 * the certificate's DNS subjectAltNames are exactly the n domains.  A
 * certificate whose names cannot be read does not match (and that is
 * logged, being a broken file rather than a changed config).
 */
bool		 cert_names_match(X509 *cert, char *const *domains,
		    size_t n);

/* notBefore and notAfter as time_t (either pointer may be NULL). */
int		 cert_validity(X509 *cert, time_t *not_before,
		    time_t *not_after);

/*
 * The DNS subjectAltNames, as a malloc'd array of *n malloc'd strings
 * (free with strv_free).  A certificate without any gives an empty
 * array, not NULL; names holding NUL bytes are refused.
 */
char		**cert_dns_names(X509 *cert, size_t *n);

/* Frees an array of n strings and the array; NULL is fine. */
void		 strv_free(char **v, size_t n);

/*
 * PEM of the certificates from index from to the end, NUL-terminated,
 * its length in *len: from 1 for chain.pem, from 0 for fullchain.pem.
 * An empty range gives an empty string.
 */
char		*chain_to_pem(STACK_OF(X509) *chain, size_t from,
		    size_t *len);

/* PEM of one certificate, as chain_to_pem(): the leaf for cert.pem. */
char		*cert_to_pem(X509 *cert, size_t *len);

/* Whether the certificate's public key is the public half of key. */
bool		 key_matches_cert(EVP_PKEY *key, X509 *cert);

#endif
