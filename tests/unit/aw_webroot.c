/*
 * Challenge files: where they land, their modes, what is refused, and
 * that exactly what was written is removed, after a kill too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "t.h"
#include "webroot.h"

static char	 top[256];

static const char *
at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A path below the test's directory, in one of two static buffers,
 * so that a call can take two of them. */
static const char *
at(const char *fmt, ...)
{
	static char	 bufs[2][PATH_MAX];
	static int	 next;
	char		*buf = bufs[next++ % 2];
	va_list		 ap;
	int		 n;

	n = snprintf(buf, PATH_MAX, "%s/", top);
	va_start(ap, fmt);
	vsnprintf(buf + n, PATH_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return buf;
}

/* Whether path exists (not following a last symlink) with mode. */
static bool
has_mode(const char *path, mode_t mode)
{
	struct stat	 st;

	return lstat(path, &st) == 0 && (st.st_mode & 07777) == mode;
}

static bool
exists(const char *path)
{
	return faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
touch(const char *path)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd != -1);
	if (fd != -1)
		close(fd);
}

static char *
content(const char *path)
{
	char	*buf = NULL;

	if (read_file(path, 4096, &buf, NULL) != 0)
		return NULL;
	return buf;
}

/* A fresh webroot: files land 0644, directories 0755 under umask 077. */
static void
test_fresh(const char *state)
{
	struct webroot_set	*set;
	char			*got;

	CHECK(mkdir(at("w1"), 0755) == 0);
	umask(077);
	set = webroot_set_new(state, "a.org");
	CHECK(set != NULL);
	CHECK(webroot_put(set, at("w1"), "tok-1_A", "tok-1_A.thumb") == 0);
	CHECK(webroot_put(set, at("w1"), "tok2", "tok2.thumb") == 0);
	umask(022);
	CHECK(has_mode(at("w1/.well-known"), 0755));
	CHECK(has_mode(at("w1/.well-known/acme-challenge"), 0755));
	CHECK(has_mode(at("w1/.well-known/acme-challenge/tok-1_A"), 0644));
	got = content(at("w1/.well-known/acme-challenge/tok-1_A"));
	CHECK_STR(got, "tok-1_A.thumb");
	free(got);
	CHECK(!exists(at("w1/.well-known/acme-challenge/.tok2.tmp")));
	CHECK(exists(at("state/acme-webroot/a.org.tokens.json")));

	CHECK(webroot_remove_all(set) == 0);
	CHECK(!exists(at("w1/.well-known")));
	CHECK(!exists(at("state/acme-webroot/a.org.tokens.json")));
	/* Twice is harmless: the normal path after a signal does that. */
	CHECK(webroot_remove_all(set) == 0);
	webroot_set_free(set);
}

/* Other files below .well-known stay, and so do the directories. */
static void
test_neighbours(const char *state)
{
	struct webroot_set	*set;

	CHECK(mkdir(at("w2"), 0755) == 0);
	CHECK(mkdir(at("w2/.well-known"), 0755) == 0);
	touch(at("w2/.well-known/mta-sts.txt"));
	touch(at("w2/.well-known/security.txt"));
	set = webroot_set_new(state, "b.org");
	CHECK(webroot_put(set, at("w2"), "t1", "t1.k") == 0);
	CHECK(exists(at("w2/.well-known/acme-challenge/t1")));
	touch(at("w2/.well-known/acme-challenge/site-owners-file"));
	CHECK(webroot_remove_all(set) == 0);
	webroot_set_free(set);
	CHECK(!exists(at("w2/.well-known/acme-challenge/t1")));
	CHECK(exists(at("w2/.well-known/acme-challenge/site-owners-file")));
	CHECK(exists(at("w2/.well-known/mta-sts.txt")));
	CHECK(exists(at("w2/.well-known/security.txt")));

	/* A file of the token's name that was there is not replaced,
	 * nor removed. */
	set = webroot_set_new(state, "b.org");
	CHECK(webroot_put(set, at("w2"), "site-owners-file", "x") == -1);
	CHECK(webroot_remove_all(set) == 0);
	webroot_set_free(set);
	CHECK(exists(at("w2/.well-known/acme-challenge/site-owners-file")));
}

static void
test_bad_tokens(const char *state)
{
	const char	*bad[] = { "../x", "a/b", "", "a.b", "a b", "..",
	    "tok\n", "=" };
	struct webroot_set	*set;
	char		 longtok[300];
	size_t		 i;

	CHECK(mkdir(at("w3"), 0755) == 0);
	set = webroot_set_new(state, "c.org");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!webroot_token_valid(bad[i]));
		CHECK(webroot_put(set, at("w3"), bad[i], "k") == -1);
	}
	memset(longtok, 'A', sizeof(longtok));
	longtok[256] = '\0';
	CHECK(webroot_token_valid(longtok));
	longtok[257] = '\0';
	longtok[256] = 'A';
	CHECK(!webroot_token_valid(longtok));
	CHECK(webroot_put(set, at("w3"), longtok, "k") == -1);
	CHECK(webroot_put(set, "relative/path", "tok", "k") == -1);
	CHECK(!exists(at("w3/.well-known")));
	CHECK(!exists(at("x")));
	CHECK(webroot_remove_all(set) == 0);
	webroot_set_free(set);
}

/* A symlink in the path is followed only when root owns it. */
static void
test_symlinks(const char *state)
{
	struct webroot_set	*set;

	if (geteuid() != 0) {
		fprintf(stderr, "aw_webroot: symlinks: skipped (needs root "
		    "to own a link as another user)\n");
		return;
	}
	CHECK(mkdir(at("w4"), 0755) == 0);
	CHECK(mkdir(at("elsewhere"), 0755) == 0);
	CHECK(symlink(at("elsewhere"), at("w4/.well-known")) == 0);
	CHECK(lchown(at("w4/.well-known"), 65534, 65534) == 0);
	set = webroot_set_new(state, "d.org");
	CHECK(webroot_put(set, at("w4"), "tok", "k") == -1);
	CHECK(!exists(at("elsewhere/acme-challenge")));

	/* The same link owned by root is the admin's and is followed. */
	CHECK(lchown(at("w4/.well-known"), 0, 0) == 0);
	CHECK(webroot_put(set, at("w4"), "tok", "k") == 0);
	CHECK(exists(at("elsewhere/acme-challenge/tok")));

	/* acme-challenge itself as a user's symlink is refused too. */
	CHECK(mkdir(at("w5"), 0755) == 0);
	CHECK(mkdir(at("w5/.well-known"), 0755) == 0);
	CHECK(symlink(at("elsewhere"), at("w5/.well-known/acme-challenge"))
	    == 0);
	CHECK(lchown(at("w5/.well-known/acme-challenge"), 65534, 65534) ==
	    0);
	CHECK(webroot_put(set, at("w5"), "tok5", "k") == -1);
	CHECK(!exists(at("elsewhere/tok5")));

	CHECK(webroot_remove_all(set) == 0);
	webroot_set_free(set);
	CHECK(!exists(at("elsewhere/acme-challenge/tok")));
	CHECK(!exists(at("elsewhere/acme-challenge")));
	CHECK(exists(at("w4/.well-known")));
}

/* A run killed while serving: a later run removes its files only. */
static void
test_strays(const char *state)
{
	struct webroot_set	*set;
	pid_t			 pid;
	int			 status;

	CHECK(mkdir(at("w6"), 0755) == 0);
	CHECK(mkdir(at("w7"), 0755) == 0);
	CHECK(mkdir(at("w7/.well-known"), 0755) == 0);
	CHECK(mkdir(at("w7/.well-known/acme-challenge"), 0755) == 0);
	if ((pid = fork()) == 0) {
		set = webroot_set_new(state, "e.org");
		if (set == NULL ||
		    webroot_put(set, at("w6"), "s1", "k") == -1 ||
		    webroot_put(set, at("w7"), "s2", "k") == -1)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(exists(at("w6/.well-known/acme-challenge/s1")));
	CHECK(exists(at("w7/.well-known/acme-challenge/s2")));
	touch(at("w7/.well-known/acme-challenge/other"));
	touch(at("w6/.well-known/keep.txt"));

	/* Another certificate's record does not touch these. */
	CHECK(webroot_remove_strays(state, "f.org") == 0);
	CHECK(exists(at("w6/.well-known/acme-challenge/s1")));

	CHECK(webroot_remove_strays(state, "e.org") == 0);
	CHECK(!exists(at("w6/.well-known/acme-challenge")));
	CHECK(exists(at("w6/.well-known/keep.txt")));
	CHECK(!exists(at("w7/.well-known/acme-challenge/s2")));
	CHECK(exists(at("w7/.well-known/acme-challenge/other")));
	CHECK(!exists(at("state/acme-webroot/e.org.tokens.json")));
	CHECK(webroot_remove_strays(state, "e.org") == 0);
}

int
main(void)
{
	char	 state[PATH_MAX], cmd[PATH_MAX + 16];

	log_setup("aw_webroot", LOG_ERR, false);
	snprintf(top, sizeof(top), "/tmp/aw_webroot.XXXXXX");
	if (mkdtemp(top) == NULL || chmod(top, 0755) == -1)
		return 1;
	snprintf(state, sizeof(state), "%s/state", top);
	CHECK(store_init(state) == 0);

	test_fresh(state);
	test_neighbours(state);
	test_bad_tokens(state);
	test_symlinks(state);
	test_strays(state);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: not removed\n", top);
	return t_done("aw_webroot");
}
