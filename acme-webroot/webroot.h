/*
 * HTTP-01 challenge files in the webroots of the sites being certified.
 *
 * A webroot belongs to the site's owner while we write there as root:
 * .well-known and acme-challenge below it are opened without following
 * symlinks (a symlink is accepted only when root owns it), a token
 * must be base64url before it becomes a file name, and a token file is
 * never put in place over an existing one.  Every file written is
 * recorded in the state directory first (store_tokens_save), so that a
 * run killed while serving leaves strays a later run can remove, and
 * nothing else is ever removed: other files below .well-known
 * (security.txt, mta-sts.txt) are not touched.
 */
#ifndef WEBROOT_H
#define WEBROOT_H

#include <stdbool.h>
#include <stddef.h>

/* The challenge files of one certificate's order. */
struct webroot_set;

/* True when token is 1 to 256 characters of A-Za-z0-9-_. */
bool	 webroot_token_valid(const char *token);

/* An empty set recording into state_dir for certificate name; NULL
 * on allocation failure (logged).  Both strings are copied. */
struct webroot_set *webroot_set_new(const char *state_dir,
	    const char *name);

/*
 * Serves keyauth as WEBROOT/.well-known/acme-challenge/TOKEN, mode
 * 0644, creating the two directories 0755 when missing.  The file
 * appears whole or not at all.  Returns 0, or -1 after logging (an
 * invalid token, a symlink not owned by root, an existing file).
 */
int	 webroot_put(struct webroot_set *set, const char *webroot,
	    const char *token, const char *keyauth);

/*
 * Removes every file of the set, and the directories it created when
 * they are empty, then the record.  Safe to call more than once and
 * on every path: success, failure, or after SIGINT/SIGTERM set the
 * caller's flag (nothing here is meant for a signal handler).
 * Returns 0, or -1 when something could not be removed (logged).
 */
int	 webroot_remove_all(struct webroot_set *set);

/* Frees the set; it does not remove files (call remove_all first). */
void	 webroot_set_free(struct webroot_set *set);

/*
 * Removes the files a killed run recorded for name, and nothing else.
 * Returns 0 (also when there were none), or -1 after logging.
 */
int	 webroot_remove_strays(const char *state_dir, const char *name);

#endif
