/*
 * The state directory (state_dir, /etc/letsencrypt by default), laid out
 * as certbot lays it out so that server configurations and certbot
 * deploy hooks keep working:
 *
 *	archive/NAME/{cert,chain,fullchain,privkey}N.pem   every version
 *	live/NAME/{cert,chain,fullchain,privkey}.pem      relative symlinks
 *	live/NAME/README                                  to the newest N
 *	renewal/NAME.conf            present when certbot manages NAME
 *	accounts/acme-webroot/HASH.THUMB.json   account URL per directory
 *				URL (HASH) and account key (THUMB)
 *	acme-webroot/NAME.json       per-certificate state (this program's)
 *	acme-webroot/NAME.key-pending    new key saved before finalize
 *	acme-webroot/NAME.tokens.json    challenge files being served
 *	.acme-webroot.lock           one run at a time
 *
 * The store deals in PEM bytes only; parsing is the caller's business.
 * Functions return 0, or -1 after logging, unless said otherwise.
 */
#ifndef STORE_H
#define STORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* The four files of one version, PEM each, NUL-terminated on read. */
struct store_files {
	char	*cert;		/* the leaf */
	size_t	 cert_len;
	char	*chain;		/* the intermediates */
	size_t	 chain_len;
	char	*fullchain;	/* leaf then intermediates */
	size_t	 fullchain_len;
	char	*privkey;	/* the leaf's key: a secret */
	size_t	 privkey_len;
};

/* Frees the four buffers (the key with free_secret) and zeroes *f. */
void	 store_files_free(struct store_files *f);

/* True when buf holds something shaped like PEM (BEGIN and END lines),
 * without decoding it. */
bool	 store_looks_like_pem(const char *buf, size_t len);

/*
 * Creates state_dir (0755) when missing and live/, archive/ (0700) and
 * this program's own subdirectories inside it.  Idempotent.
 */
int	 store_init(const char *state_dir);

/*
 * Takes the run lock, flock on STATE/.acme-webroot.lock, and writes our
 * pid into it.  With wait_seconds 0 a busy lock is not waited for;
 * otherwise it is retried until that many seconds have passed.
 * Returns 0 with *fd set (keep it open for the whole run; it is
 * close-on-exec), -1 on error, or STORE_LOCK_BUSY after logging
 * "STATE/.acme-webroot.lock: held by pid N" (the caller exits 75).
 */
#define STORE_LOCK_BUSY	(-EWOULDBLOCK)
int	 store_lock(const char *state_dir, unsigned wait_seconds, int *fd);
void	 store_unlock(int fd);

/*
 * When certbot manages NAME (STATE/renewal/NAME.conf exists), returns
 * true and puts that path in conf (size bytes); false otherwise.
 */
bool	 store_certbot_managed(const char *state_dir, const char *name,
	    char *conf, size_t size);

/* STATE/live/NAME into buf, for RENEWED_LINEAGE; -1 when too long. */
int	 store_live_path(const char *state_dir, const char *name, char *buf,
	    size_t size);

/*
 * Reads the live version through live/NAME's symlinks.  Returns 0,
 * -ENOENT without logging when NAME has no live directory or no
 * certificate yet, -ENOTDIR after logging when live/NAME is not a
 * directory (a symbolic link to one included: no version can be
 * installed there), -1 after logging (a dangling link, an unreadable
 * or oversized file).  *f is all NULL on failure.
 */
int	 store_read_live(const char *state_dir, const char *name,
	    struct store_files *f);

/*
 * Installs a new version: archive files numbered after the highest
 * present, a new live directory built beside the old and exchanged
 * with it in one step, the old one removed.  privkey is written 0600,
 * or 0640 with group key_gid unless key_gid is GID_KEEP; with
 * GID_KEEP a renewed key keeps the group and group-read bit of the key
 * it replaces.  archive/NAME and live/NAME are 0700, or 0750 with the
 * key's group when it has group-read; live/ and archive/ then get
 * search permission for all (0711), without which that group could
 * not reach its key.  The leftovers of an earlier killed run are
 * tidied first.  *version (may be NULL) gets N.  A kill at any point
 * leaves the old or the new version complete.  Where the filesystem
 * cannot exchange directories (or the test-only environment variable
 * ACME_WEBROOT_TEST_NO_EXCHANGE is set), links are replaced one by
 * one, with one warning per run.
 */
int	 store_install(const char *state_dir, const char *name,
	    const struct store_files *f, gid_t key_gid, unsigned *version);

/*
 * Removes what a killed run left behind: live/.NAME.new, temporary
 * files and links in archive/NAME and live/NAME, temporary state
 * files.  Only under the lock.  store_install calls it; a run calls it
 * for each certificate it looks at, so that leftovers go even when
 * nothing is due.
 */
int	 store_tidy(const char *state_dir, const char *name);

/*
 * Account URL per ACME directory URL and account key, the key named by
 * its RFC 7638 thumbprint (base64url), so that an account never meets
 * another key's signature and each key keeps its own.  A NULL
 * thumbprint names the file of earlier versions, which recorded one
 * account per directory without saying for which key.  get returns 0
 * with *url (malloc'd), -ENOENT without logging when none is stored,
 * or -1 after logging (a file that cannot be read, is corrupt, or
 * records another directory, key, or a URL that is not https).
 * forget of an unknown account is not an error.
 */
int	 store_account_get(const char *state_dir, const char *directory,
	    const char *thumbprint, char **url);
int	 store_account_put(const char *state_dir, const char *directory,
	    const char *thumbprint, const char *url);
int	 store_account_forget(const char *state_dir, const char *directory,
	    const char *thumbprint);
/* Renames an account file that cannot be used to FILE.corrupt, with a
 * warning, so that it is kept for a look and no longer read. */
int	 store_account_set_aside(const char *state_dir,
	    const char *directory, const char *thumbprint);

/*
 * Per-certificate state, STATE/acme-webroot/NAME.json.  Times are
 * seconds since the epoch, 0 meaning "none".
 */
struct store_state {
	char		*order_url;	/* order in flight, or NULL */
	time_t		 last_failure;	/* when the last attempt failed */
	char		*failure_msg;	/* why, or NULL */
	unsigned	 failures;	/* failed attempts in a row */
	time_t		 next_try;	/* renew waits until then */
	bool		 deploy_pending;	/* deploy hook still owed */
	char		*deploy_failure;	/* why it failed, or NULL */
};

/*
 * Loads NAME's state.  A missing file gives an empty state and 0.
 * A corrupt one is reported and gives -1, with *st still empty and
 * usable, so the caller may go on as if there were none.
 */
int	 store_state_load(const char *state_dir, const char *name,
	    struct store_state *st);
int	 store_state_save(const char *state_dir, const char *name,
	    const struct store_state *st);
void	 store_state_free(struct store_state *st);

/* The wait after the n-th failure in a row: 1 h doubling, 24 h at most. */
time_t	 store_backoff(unsigned failures);

/*
 * Records a failed attempt at now: failures + 1, the message (copied),
 * next_try = now + store_backoff(), or retry_after when that is later
 * (0 for none).  Returns -1 only when out of memory.
 */
int	 store_state_failed(struct store_state *st, time_t now,
	    const char *msg, time_t retry_after);

/* Clears the failure memory and the order in flight after a success. */
void	 store_state_succeeded(struct store_state *st);

/*
 * The new private key of an order in flight, saved 0600 before
 * finalize so that a run killed after it can resume the order.
 * get returns 0, -ENOENT (no log) or -1; *pem is a secret.
 */
int	 store_pending_key_put(const char *state_dir, const char *name,
	    const char *pem, size_t len);
int	 store_pending_key_get(const char *state_dir, const char *name,
	    char **pem, size_t *len);
int	 store_pending_key_forget(const char *state_dir, const char *name);

/*
 * Challenge files being served, recorded before each is written, so a
 * later run can remove exactly the strays of a killed one.  webroot.c
 * keeps this list; callers use webroot_remove_strays().
 */
struct store_token {
	char	*webroot;	/* as configured */
	char	*token;		/* validated base64url */
	int	 made_dirs;	/* 0, 1: acme-challenge, 2: also .well-known */
};
int	 store_tokens_load(const char *state_dir, const char *name,
	    struct store_token **tokens, size_t *n);
/* Writes the list; an empty list removes the file. */
int	 store_tokens_save(const char *state_dir, const char *name,
	    const struct store_token *tokens, size_t n);
void	 store_tokens_free(struct store_token *tokens, size_t n);

#endif
