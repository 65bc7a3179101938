/*
 * ACME (RFC 8555) requests, one function per step.  Every request is
 * signed with the account key, retried on badNonce with the nonce the
 * error carried, and on transport errors and 5xx answers with backoff
 * until the deadline.  Failures are logged with the URL and the CA's
 * problem document.
 */
#ifndef ACME_H
#define ACME_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "http.h"

#define ACME_BADNONCE_MAX	20	/* badNonce retries per request */
#define ACME_RETRY_MAX		5	/* retries after transport or 5xx */

struct acme {
	struct http_client	*http;
	char			*directory_url;
	json_t			*directory;	/* the directory object */
	char			*nonce;		/* next Replay-Nonce to use */
	EVP_PKEY		*account_key;
	char			*kid;		/* account URL */
	bool			 kid_changed;	/* made or replaced this run */
	const char		*email;		/* contact, or NULL */
	bool			 agree_tos;
	time_t			 deadline;	/* no retry or poll after this */
	volatile sig_atomic_t	*stop;		/* set by SIGINT/SIGTERM */

	/* What the last failed request said, for callers' decisions. */
	char			*problem_type;	/* "rateLimited" etc., or NULL */
	time_t			 retry_after;	/* from the CA, or 0 */
	const char		*quiet_problem;	/* a type the caller handles:
						 * not logged as an error */
};

/* The directory; 0 or -1 after logging. */
int	 acme_open(struct acme *acme, struct http_client *http,
	    const char *directory_url, volatile sig_atomic_t *stop);
void	 acme_close(struct acme *acme);

/*
 * The account for key: kid, when the caller has one stored, is used
 * as it is (a CA that no longer knows it gets a new account on the
 * first request that fails for that reason); otherwise newAccount.
 */
int	 acme_account(struct acme *acme, EVP_PKEY *key, const char *kid);

/*
 * Asks the CA which account key has (newAccount with
 * onlyReturnExisting), creating none.  0 with *kid (malloc'd),
 * -ENOENT without logging when key has no account there, or -1.
 */
int	 acme_account_find(struct acme *acme, EVP_PKEY *key, char **kid);

/* A new order for the names; its URL and the order object. */
int	 acme_new_order(struct acme *acme, char *const *names, size_t n,
	    char **order_url, json_t **order);

/* POST-as-GET of an object (order, authorization, challenge). */
int	 acme_fetch(struct acme *acme, const char *url, json_t **obj);

/* Tells the CA to validate a challenge (payload {}). */
int	 acme_respond(struct acme *acme, const char *challenge_url);

/*
 * Polls url until its status is one of the final ones given (a
 * NUL-separated list such as "valid\0invalid\0") or the deadline.
 * obj receives the last object fetched.
 */
int	 acme_poll(struct acme *acme, const char *url, const char *finals,
	    json_t **obj);

/* Sends the CSR (base64url DER) to the order's finalize URL. */
int	 acme_finalize(struct acme *acme, const char *finalize_url,
	    const char *csr, json_t **order);

/* Downloads the PEM chain from the certificate URL. */
int	 acme_download(struct acme *acme, const char *cert_url, char **pem,
	    size_t *len);

/* Logs a problem document (type, detail, every subproblem) for url. */
void	 acme_log_problem(const char *url, json_t *problem);

/* The string member key of obj, or NULL when absent or not a string. */
const char *json_str(json_t *obj, const char *key);

/* true when the last failure was the CA's problem "TYPE". */
bool	 acme_problem_is(const struct acme *acme, const char *type);

#endif
