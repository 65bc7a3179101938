/*
 * HTTP-01 challenge files, written as root into directories that the
 * sites' owners control.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "webroot.h"

#define TOKEN_MAX	256
/* Longest token that still leaves room for ".TOKEN.tmp" in NAME_MAX. */
#define TOKEN_FILE_MAX	(NAME_MAX - 5)

struct webroot_set {
	char			*state_dir;
	char			*name;
	struct store_token	*tokens;	/* recorded, in order */
	size_t			 n;
};

/* The three directories down to the challenge files. */
struct acme_dirs {
	int	 root;		/* WEBROOT, as configured */
	int	 wk;		/* .well-known */
	int	 ac;		/* acme-challenge */
};

bool
webroot_token_valid(const char *token)
{
	size_t	 len;

	len = strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_");
	return len >= 1 && len <= TOKEN_MAX && token[len] == '\0';
}

/* True when token may be used as a file name here; logs otherwise. */
static bool
token_usable(const char *token)
{
	char	*esc;

	if (webroot_token_valid(token) && strlen(token) <= TOKEN_FILE_MAX)
		return true;
	esc = log_escape(token, strlen(token), 64);
	log_err("challenge token \"%s\": not base64url of a usable length",
	    esc);
	log_escape_free(esc);
	return false;
}

/*
 * Opens one directory below parent without following a symlink, unless
 * root owns that symlink (an administrator's choice, then honoured).
 * When create is set, a missing directory is made 0755 whatever the
 * umask, and *made is set.  Returns the fd, -ENOENT (no log) when it is
 * missing and create is not set, or -1 after logging.
 */
static int
open_below(int parent, const char *ppath, const char *comp, bool create,
    bool *made)
{
	struct stat	 st;
	int		 fd;

	fd = openat(parent, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(parent, comp, 0755) == 0)
			*made = true;
		else if (errno != EEXIST) {
			log_err("%s/%s: mkdir: %s", ppath, comp,
			    strerror(errno));
			return -1;
		}
		fd = openat(parent, comp, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1 && *made && fchmod(fd, 0755) == -1) {
			log_err("%s/%s: chmod: %s", ppath, comp,
			    strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (fd != -1)
		return fd;
	if (errno == ENOENT)
		return -ENOENT;
	if ((errno == ELOOP || errno == ENOTDIR) &&
	    fstatat(parent, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		if (st.st_uid != 0) {
			log_err("%s/%s: a symlink owned by uid %lu, not "
			    "followed", ppath, comp, (unsigned long)st.st_uid);
			return -1;
		}
		fd = openat(parent, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd != -1)
			return fd;
	}
	log_err("%s/%s: open: %s", ppath, comp, strerror(errno));
	return -1;
}

static void
dirs_close(struct acme_dirs *d)
{
	if (d->ac >= 0)
		close(d->ac);
	if (d->wk >= 0)
		close(d->wk);
	if (d->root >= 0)
		close(d->root);
	d->root = d->wk = d->ac = -1;
}

/*
 * Opens WEBROOT/.well-known/acme-challenge, creating what is missing
 * when made is not NULL (and counting it there: 1 for acme-challenge,
 * 2 for both).  w is the webroot escaped for messages.  Returns 0,
 * -ENOENT (no log, only without made) or -1.
 */
static int
dirs_open(struct acme_dirs *d, const char *webroot, const char *w,
    int *made)
{
	char	 wk[PATH_MAX];
	bool	 made_wk = false, made_ac = false;
	int	 rc;

	d->root = d->wk = d->ac = -1;
	snprintf(wk, sizeof(wk), "%s/.well-known", w);
	d->root = open(webroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->root == -1) {
		log_err("%s: open: %s", w, strerror(errno));
		return -1;
	}
	if ((rc = open_below(d->root, w, ".well-known", made != NULL,
	    &made_wk)) < 0)
		goto fail;
	d->wk = rc;
	if ((rc = open_below(d->wk, wk, "acme-challenge", made != NULL,
	    &made_ac)) < 0)
		goto fail;
	d->ac = rc;
	if (made != NULL)
		*made = made_wk ? 2 : made_ac ? 1 : 0;
	return 0;
fail:
	/* What we made stays until remove_all, which knows about it. */
	if (made != NULL)
		*made = made_wk ? 2 : made_ac ? 1 : 0;
	dirs_close(d);
	return rc;
}

/*
 * Writes a temporary file, then links it under the token's name:
 * the file appears whole, and link (unlike rename) never replaces
 * what is there.  No fsync: the file lives for a minute and a crash
 * makes it useless anyway.
 */
static int
write_token(int ac, const char *w, const char *token, const char *keyauth)
{
	char	 tmp[NAME_MAX + 1];
	int	 fd, rc = -1;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", token);
	unlinkat(ac, tmp, 0);
	fd = openat(ac, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		log_err("%s/.well-known/acme-challenge/%s: create: %s", w,
		    tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0644) == -1 ||
	    dprintf(fd, "%s", keyauth) != (int)strlen(keyauth)) {
		log_err("%s/.well-known/acme-challenge/%s: write: %s", w,
		    tmp, strerror(errno));
		goto out;
	}
	if (linkat(ac, tmp, ac, token, 0) == -1) {
		log_err("%s/.well-known/acme-challenge/%s: %s", w, token,
		    errno == EEXIST ? "already there, not replaced" :
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	unlinkat(ac, tmp, 0);
	return rc;
}

/* Appends a record and saves the list before the file is written. */
static int
record(struct webroot_set *set, const char *webroot, const char *token,
    int made)
{
	struct store_token	*t;

	t = reallocarray(set->tokens, set->n + 1, sizeof(*t));
	if (t == NULL) {
		log_err("%s: out of memory", set->name);
		return -1;
	}
	set->tokens = t;
	t = &set->tokens[set->n];
	t->webroot = strdup(webroot);
	t->token = strdup(token);
	t->made_dirs = made;
	if (t->webroot == NULL || t->token == NULL) {
		free(t->webroot);
		free(t->token);
		log_err("%s: out of memory", set->name);
		return -1;
	}
	set->n++;
	return store_tokens_save(set->state_dir, set->name, set->tokens,
	    set->n);
}

/*
 * Drops the newest record when its file could not be written: a file
 * of that name which was already there is not ours to remove.  (In
 * directories we just made, nothing can have been there.)
 */
static void
forget_last(struct webroot_set *set)
{
	set->n--;
	free(set->tokens[set->n].webroot);
	free(set->tokens[set->n].token);
	store_tokens_save(set->state_dir, set->name, set->tokens, set->n);
}

struct webroot_set *
webroot_set_new(const char *state_dir, const char *name)
{
	struct webroot_set	*set;

	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (set->state_dir = strdup(state_dir)) == NULL ||
	    (set->name = strdup(name)) == NULL) {
		log_err("%s: out of memory", name);
		webroot_set_free(set);
		return NULL;
	}
	/*
	 * Strays of a killed run join the set, so that they are removed
	 * with ours and never dropped from the record before that.
	 */
	if (store_tokens_load(state_dir, name, &set->tokens, &set->n) == -1)
		log_warn("%s: earlier challenge files, if any, are left",
		    name);
	return set;
}

int
webroot_put(struct webroot_set *set, const char *webroot,
    const char *token, const char *keyauth)
{
	struct acme_dirs	 d = { -1, -1, -1 };
	char			*w;
	int			 made = 0, rc = -1;

	if (!token_usable(token))
		return -1;
	w = log_escape(webroot, strlen(webroot), 512);
	if (webroot[0] != '/') {
		log_err("%s: webroot is not an absolute path", w);
		goto out;
	}
	rc = dirs_open(&d, webroot, w, &made);
	/* Recorded even on failure when it made directories: they must
	 * go. */
	if ((rc == 0 || made > 0) &&
	    record(set, webroot, token, made) == -1)
		rc = -1;
	if (rc != 0) {
		rc = -1;
		goto out;
	}
	rc = write_token(d.ac, w, token, keyauth);
	if (rc == 0)
		log_debug("%s/.well-known/acme-challenge/%s: written", w,
		    token);
	else if (made == 0)
		forget_last(set);
out:
	dirs_close(&d);
	log_escape_free(w);
	return rc;
}

/*
 * Removes one recorded file, its temporary, and the directories the
 * record says we made, when they are empty.  A webroot or directory
 * that is gone leaves nothing to do.
 */
static int
remove_one(const struct store_token *t)
{
	struct acme_dirs	 d;
	char			*w, tmp[NAME_MAX + 1];
	int			 rc;

	w = log_escape(t->webroot, strlen(t->webroot), 512);
	rc = dirs_open(&d, t->webroot, w, NULL);
	if (rc != 0) {
		rc = rc == -ENOENT ? 0 : -1;
		goto out;
	}
	if (unlinkat(d.ac, t->token, 0) == -1 && errno != ENOENT) {
		log_err("%s/.well-known/acme-challenge/%s: unlink: %s", w,
		    t->token, strerror(errno));
		rc = -1;
	}
	/* The temporary of a run killed while writing. */
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", t->token) <
	    (int)sizeof(tmp))
		unlinkat(d.ac, tmp, 0);
	if (t->made_dirs >= 1 &&
	    unlinkat(d.wk, "acme-challenge", AT_REMOVEDIR) == -1 &&
	    errno != ENOTEMPTY && errno != ENOENT && errno != EEXIST)
		log_warn("%s/.well-known/acme-challenge: rmdir: %s", w,
		    strerror(errno));
	if (t->made_dirs >= 2 &&
	    unlinkat(d.root, ".well-known", AT_REMOVEDIR) == -1 &&
	    errno != ENOTEMPTY && errno != ENOENT && errno != EEXIST)
		log_warn("%s/.well-known: rmdir: %s", w, strerror(errno));
	dirs_close(&d);
out:
	log_escape_free(w);
	return rc;
}

int
webroot_remove_all(struct webroot_set *set)
{
	size_t	 i, kept = 0;
	int	 rc = 0;

	if (set == NULL || set->n == 0)
		return 0;
	/*
	 * Newest first, so that the entry which made the directories
	 * comes last, when they are empty.  What cannot be removed stays
	 * recorded for a later run.
	 */
	for (i = set->n; i-- > 0;) {
		if (remove_one(&set->tokens[i]) == 0) {
			free(set->tokens[i].webroot);
			free(set->tokens[i].token);
			continue;
		}
		rc = -1;
		set->tokens[set->n - 1 - kept++] = set->tokens[i];
	}
	memmove(set->tokens, set->tokens + set->n - kept,
	    kept * sizeof(*set->tokens));
	set->n = kept;
	if (store_tokens_save(set->state_dir, set->name, set->tokens,
	    set->n) == -1)
		rc = -1;
	return rc;
}

void
webroot_set_free(struct webroot_set *set)
{
	if (set == NULL)
		return;
	store_tokens_free(set->tokens, set->n);
	free(set->state_dir);
	free(set->name);
	free(set);
}

int
webroot_remove_strays(const char *state_dir, const char *name)
{
	struct webroot_set	*set;
	int			 rc;

	if ((set = webroot_set_new(state_dir, name)) == NULL)
		return -1;
	if (set->n > 0)
		log_info("%s: removing %zu challenge files of an interrupted "
		    "run", name, set->n);
	rc = webroot_remove_all(set);
	webroot_set_free(set);
	return rc;
}
