/*
 * The certificate store: layout, modes, versions, the exchange and its
 * fallback, leftovers of killed runs, the lock, and the state files.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "t.h"

static char	 state[256];

static char *
pem(const char *label, unsigned n)
{
	char	*s;

	if (asprintf(&s, "-----BEGIN %s-----\nVERSION%u\n-----END %s-----\n",
	    label, n, label) == -1)
		abort();
	return s;
}

/* Files whose contents say which version they belong to. */
static void
files_make(struct store_files *f, unsigned n)
{
	f->cert = pem("CERTIFICATE", n);
	f->chain = pem("CERTIFICATE", n + 1000);
	f->fullchain = pem("CERTIFICATE", n + 2000);
	f->privkey = pem("PRIVATE KEY", n);
	f->cert_len = strlen(f->cert);
	f->chain_len = strlen(f->chain);
	f->fullchain_len = strlen(f->fullchain);
	f->privkey_len = strlen(f->privkey);
}

static int
install(const char *name, unsigned tag, gid_t gid, unsigned *version)
{
	struct store_files	 f;
	int			 rc;

	files_make(&f, tag);
	rc = store_install(state, name, &f, gid, version);
	store_files_free(&f);
	return rc;
}

static const char *
at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A path below the state directory (one at a time: a static buffer). */
static const char *
at(const char *fmt, ...)
{
	static char	 buf[PATH_MAX];
	va_list		 ap;
	int		 n;

	n = snprintf(buf, sizeof(buf), "%s/", state);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	return buf;
}

static mode_t
mode_of(const char *path)
{
	struct stat	 st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : 01;
}

static gid_t
group_of(const char *path)
{
	struct stat	 st;

	return lstat(path, &st) == 0 ? st.st_gid : (gid_t)-2;
}

/* The version a live link points to, through its relative target. */
static unsigned
link_version(const char *name, const char *kind)
{
	char	 target[PATH_MAX], want[PATH_MAX], path[PATH_MAX], *end;
	ssize_t	 n;
	size_t	 len;
	unsigned v;

	snprintf(path, sizeof(path), "%s/live/%s/%s.pem", state, name, kind);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	len = (size_t)snprintf(want, sizeof(want), "../../archive/%s/%s",
	    name, kind);
	if (strncmp(target, want, len) != 0 || access(path, R_OK) == -1)
		return 0;
	v = (unsigned)strtoul(target + len, &end, 10);
	return strcmp(end, ".pem") == 0 ? v : 0;
}

static void
test_first_and_second(void)
{
	struct store_files	 f;
	unsigned		 v = 0;
	const char		*kinds[] = { "cert", "chain", "fullchain",
	    "privkey" };
	size_t			 i;

	CHECK(store_read_live(state, "a.org", &f) == -ENOENT);
	CHECK(install("a.org", 1, GID_KEEP, &v) == 0);
	CHECK(v == 1);
	for (i = 0; i < 4; i++)
		CHECK(link_version("a.org", kinds[i]) == 1);
	CHECK(access(at("live/%s/README", "a.org"), R_OK) == 0);
	CHECK(mode_of(at("live/%s", "a.org")) == 0700);
	CHECK(mode_of(at("archive/%s", "a.org")) == 0700);
	CHECK(mode_of(at("archive/%s/privkey1.pem", "a.org")) == 0600);
	CHECK(mode_of(at("archive/%s/cert1.pem", "a.org")) == 0644);
	CHECK(mode_of(at("live")) == 0700);
	CHECK(mode_of(at("archive")) == 0700);

	CHECK(install("a.org", 2, GID_KEEP, &v) == 0);
	CHECK(v == 2);
	for (i = 0; i < 4; i++)
		CHECK(link_version("a.org", kinds[i]) == 2);
	CHECK(access(at("archive/%s/cert1.pem", "a.org"), F_OK) == 0);
	CHECK(access(at("live/.%s.new", "a.org"), F_OK) == -1);
	CHECK(mode_of(at("archive/%s/privkey2.pem", "a.org")) == 0600);

	CHECK(store_read_live(state, "a.org", &f) == 0);
	CHECK(f.cert != NULL && strstr(f.cert, "VERSION2\n") != NULL);
	CHECK(f.privkey != NULL && strstr(f.privkey, "VERSION2\n") != NULL);
	CHECK(f.chain != NULL && strstr(f.chain, "VERSION1002\n") != NULL);
	store_files_free(&f);
}

/* N continues after the highest N present, whatever file holds it. */
static void
test_numbering(void)
{
	unsigned	 v = 0;
	int		 fd;

	fd = open(at("archive/%s/privkey7.pem", "a.org"),
	    O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd != -1);
	close(fd);
	CHECK(install("a.org", 8, GID_KEEP, &v) == 0);
	CHECK(v == 8);
	CHECK(link_version("a.org", "fullchain") == 8);
}

static void
test_refuses(void)
{
	struct store_files	 f = { 0 };
	char			 junk[] = "not a certificate";

	files_make(&f, 1);
	free(f.cert);
	f.cert = strdup(junk);
	f.cert_len = strlen(junk);
	CHECK(store_install(state, "bad.org", &f, GID_KEEP, NULL) == -1);
	CHECK(access(at("live/%s", "bad.org"), F_OK) == -1);
	store_files_free(&f);
	CHECK(install("../x", 1, GID_KEEP, NULL) == -1);
	CHECK(install(".hidden", 1, GID_KEEP, NULL) == -1);
	CHECK(!store_looks_like_pem("", 0));
	CHECK(store_looks_like_pem("x\n-----BEGIN A-----\n-----END A-----",
	    33));
}

static void
test_key_group(void)
{
	struct group	*gr;
	unsigned	 v = 0;
	gid_t		 adm;

	if (geteuid() != 0 || (gr = getgrnam("adm")) == NULL) {
		fprintf(stderr, "aw_store: key group: skipped (needs root "
		    "and group adm)\n");
		return;
	}
	adm = gr->gr_gid;
	CHECK(install("g.org", 1, adm, &v) == 0);
	CHECK(mode_of(at("archive/%s/privkey1.pem", "g.org")) == 0640);
	CHECK(group_of(at("archive/%s/privkey1.pem", "g.org")) == adm);
	CHECK(mode_of(at("archive/%s", "g.org")) == 0750);
	CHECK(group_of(at("archive/%s", "g.org")) == adm);
	CHECK(mode_of(at("live/%s", "g.org")) == 0750);
	CHECK(group_of(at("live/%s", "g.org")) == adm);
	/* The group can pass through live/ and archive/ to its key. */
	CHECK((mode_of(at("live")) & 0011) == 0011);

	/* Without key_group, a renewal keeps the key's group and mode. */
	CHECK(install("g.org", 2, GID_KEEP, &v) == 0 && v == 2);
	CHECK(mode_of(at("archive/%s/privkey2.pem", "g.org")) == 0640);
	CHECK(group_of(at("archive/%s/privkey2.pem", "g.org")) == adm);
	CHECK(mode_of(at("live/%s", "g.org")) == 0750);

	/* A key the admin made private stays private. */
	CHECK(chmod(at("archive/%s/privkey2.pem", "g.org"), 0600) == 0);
	CHECK(install("g.org", 3, GID_KEEP, &v) == 0 && v == 3);
	CHECK(mode_of(at("archive/%s/privkey3.pem", "g.org")) == 0600);
}

static void
test_tidy(void)
{
	unsigned	 v = 0;
	int		 fd;

	CHECK(mkdir(at("live/.%s.new", "a.org"), 0700) == 0);
	CHECK(symlink("x", at("live/.%s.new/cert.pem", "a.org")) == 0);
	fd = open(at("archive/%s/.cert9.pem.1a2b3c4d", "a.org"),
	    O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd != -1);
	close(fd);
	CHECK(symlink("x", at("live/%s/.chain.pem.new", "a.org")) == 0);
	fd = open(at("acme-webroot/.%s.json.0badf00d", "a.org"),
	    O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd != -1);
	close(fd);
	CHECK(install("a.org", 9, GID_KEEP, &v) == 0);
	CHECK(v == 9);
	CHECK(access(at("live/.%s.new", "a.org"), F_OK) == -1);
	CHECK(access(at("archive/%s/.cert9.pem.1a2b3c4d", "a.org"),
	    F_OK) == -1);
	CHECK(faccessat(AT_FDCWD, at("live/%s/.chain.pem.new", "a.org"),
	    F_OK, AT_SYMLINK_NOFOLLOW) == -1);
	CHECK(access(at("acme-webroot/.%s.json.0badf00d", "a.org"), F_OK) ==
	    -1);
}

/* Runs f with stderr in a file and returns what was written. */
static char *
capture(int (*f)(unsigned), unsigned arg, int *rc)
{
	char	 path[PATH_MAX], *out = NULL;
	int	 fd, saved;

	snprintf(path, sizeof(path), "%s/stderr", state);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	*rc = f(arg);
	dup2(saved, 2);
	close(saved);
	close(fd);
	if (read_file(path, 65536, &out, NULL) != 0)
		return strdup("");
	return out;
}

/* Two installs at versions tag and tag + 1 in one run. */
static int
install_twice(unsigned tag)
{
	if (install("a.org", tag, GID_KEEP, NULL) == -1)
		return -1;
	return install("a.org", tag + 1, GID_KEEP, NULL);
}

/* The test-only variable makes the exchange fail as on old filesystems:
 * the links are replaced one by one, with one warning per run. */
static void
test_fallback(void)
{
	char	*err, *first;
	int	 rc;

	setenv("ACME_WEBROOT_TEST_NO_EXCHANGE", "1", 1);
	log_setup("aw_store", LOG_WARNING, false);
	err = capture(install_twice, 10, &rc);
	log_setup("aw_store", LOG_ERR, false);
	unsetenv("ACME_WEBROOT_TEST_NO_EXCHANGE");
	CHECK(rc == 0);
	first = strstr(err, "cannot exchange directories");
	CHECK(first != NULL && strstr(first + 1, "cannot exchange") == NULL);
	free(err);
	CHECK(link_version("a.org", "cert") == 11);
	CHECK(link_version("a.org", "privkey") == 11);
	CHECK(access(at("live/%s/README", "a.org"), F_OK) == 0);
	CHECK(access(at("live/.%s.new", "a.org"), F_OK) == -1);
	CHECK(faccessat(AT_FDCWD, at("live/%s/.cert.pem.new", "a.org"),
	    F_OK, AT_SYMLINK_NOFOLLOW) == -1);
}

/* The four links of k.org all name one version, which is complete. */
static bool
live_consistent(unsigned *v)
{
	const char	*kinds[] = { "cert", "chain", "fullchain",
	    "privkey" };
	size_t		 i;

	*v = link_version("k.org", "cert");
	for (i = 1; i < 4; i++)
		if (link_version("k.org", kinds[i]) != *v)
			return false;
	return *v > 0;
}

/* SIGKILL at random moments of an install: old or new, never a mix. */
static void
test_killed(void)
{
	struct timespec	 t0, t1;
	unsigned	 v, before, i, bad = 0;
	long		 window;
	pid_t		 pid;
	int		 status;

	/* Kills spread over about twice the time an install takes here. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(install("k.org", 1, GID_KEEP, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	window = 2 * ((t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000) + 100;
	srand((unsigned)getpid());
	for (i = 0; i < 40; i++) {
		CHECK(live_consistent(&before));
		if ((pid = fork()) == 0)
			_exit(install("k.org", i, GID_KEEP, NULL) == 0 ? 0 :
			    1);
		usleep((useconds_t)(rand() % window));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (!live_consistent(&v) || v < before)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(store_tidy(state, "k.org") == 0);
	CHECK(access(at("live/.%s.new", "k.org"), F_OK) == -1);
	CHECK(install("k.org", 99, GID_KEEP, &v) == 0);
	CHECK(live_consistent(&before) && before == v);
}

static void
test_certbot(void)
{
	char	 conf[PATH_MAX];
	int	 fd;

	CHECK(!store_certbot_managed(state, "c.org", conf, sizeof(conf)));
	CHECK(mkdir(at("renewal"), 0755) == 0);
	fd = open(at("renewal/%s.conf", "c.org"), O_WRONLY | O_CREAT |
	    O_CLOEXEC, 0644);
	CHECK(fd != -1);
	close(fd);
	CHECK(store_certbot_managed(state, "c.org", conf, sizeof(conf)));
	CHECK_STR(conf, at("renewal/%s.conf", "c.org"));
}

static int	 lock_fd = -1;

static int
try_lock(unsigned wait)
{
	return store_lock(state, wait, &lock_fd);
}

static void
test_lock(void)
{
	char	 want[128], *err, *pid_text = NULL;
	int	 go[2], ready[2], rc, status;
	time_t	 t0;
	pid_t	 pid;
	char	 c;

	CHECK(pipe(go) == 0 && pipe(ready) == 0);
	if ((pid = fork()) == 0) {
		int	 fd;

		if (store_lock(state, 0, &fd) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	CHECK(read(ready[0], &c, 1) == 1);

	err = capture(try_lock, 0, &rc);
	CHECK(rc == STORE_LOCK_BUSY);
	snprintf(want, sizeof(want), "/.acme-webroot.lock: held by pid %ld",
	    (long)pid);
	CHECK(strstr(err, want) != NULL);
	free(err);

	t0 = time(NULL);
	err = capture(try_lock, 1, &rc);
	CHECK(rc == STORE_LOCK_BUSY);
	CHECK(time(NULL) - t0 >= 1 && time(NULL) - t0 < 5);
	free(err);

	/* The holder goes away while we wait: we get it. */
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(try_lock(5) == 0);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(fcntl(lock_fd, F_GETFD) & FD_CLOEXEC);
	CHECK(read_file(at(".acme-webroot.lock"), 64, &pid_text,
	    NULL) == 0);
	CHECK(pid_text != NULL && atol(pid_text) == (long)getpid());
	free(pid_text);
	store_unlock(lock_fd);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

static void
test_state(void)
{
	struct store_state	 st = { 0 }, got;
	int			 fd;

	CHECK(store_state_load(state, "s.org", &got) == 0);
	CHECK(got.order_url == NULL && got.failures == 0);

	st.order_url = strdup("https://ca.test/order/1");
	st.deploy_pending = true;
	CHECK(store_state_failed(&st, 1000, "https://ca.test: \"broken\"",
	    0) == 0);
	CHECK(store_state_save(state, "s.org", &st) == 0);
	CHECK(mode_of(at("acme-webroot/%s.json", "s.org")) == 0600);
	CHECK(store_state_load(state, "s.org", &got) == 0);
	CHECK_STR(got.order_url, "https://ca.test/order/1");
	CHECK_STR(got.failure_msg, "https://ca.test: \"broken\"");
	CHECK(got.last_failure == 1000 && got.failures == 1);
	CHECK(got.next_try == 1000 + 3600);
	CHECK(got.deploy_pending);
	store_state_free(&got);

	store_state_succeeded(&st);
	CHECK(st.order_url == NULL && st.failures == 0 && st.next_try == 0);
	CHECK(st.deploy_pending);
	store_state_free(&st);

	fd = open(at("acme-webroot/%s.json", "s.org"), O_WRONLY | O_TRUNC |
	    O_CLOEXEC);
	CHECK(fd != -1 && write(fd, "{\"failures\": \"x\"}", 17) == 17);
	close(fd);
	CHECK(store_state_load(state, "s.org", &got) == -1);
	CHECK(got.order_url == NULL && got.failures == 0);
}

static void
test_backoff(void)
{
	struct store_state	 st = { 0 };
	int			 i;

	CHECK(store_backoff(0) == 0);
	CHECK(store_backoff(1) == 3600);
	CHECK(store_backoff(2) == 7200);
	CHECK(store_backoff(3) == 14400);
	CHECK(store_backoff(5) == 57600);
	CHECK(store_backoff(6) == 86400);
	CHECK(store_backoff(4000000) == 86400);

	for (i = 0; i < 3; i++)
		CHECK(store_state_failed(&st, 5000, "x", 0) == 0);
	CHECK(st.failures == 3 && st.next_try == 5000 + 14400);
	/* A later Retry-After from the CA wins, an earlier one does not. */
	CHECK(store_state_failed(&st, 5000, "x", 5000 + 200000) == 0);
	CHECK(st.next_try == 5000 + 200000);
	CHECK(store_state_failed(&st, 5000, NULL, 5001) == 0);
	CHECK(st.next_try == 5000 + 57600 && st.failure_msg == NULL);
	store_state_free(&st);
}

/* Whether the account stored for directory and thumbprint is want. */
static bool
account_is(const char *directory, const char *thumbprint, const char *want)
{
	char	*url = NULL;
	bool	 same;

	if (store_account_get(state, directory, thumbprint, &url) != 0)
		return false;
	same = strcmp(url, want) == 0;
	free(url);
	return same;
}

static void
test_accounts(void)
{
	const char	*d1 = "https://127.0.0.1:14000/dir";
	const char	*d2 = "https://ca.test/directory";
	const char	*k1 = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
	const char	*k2 = "2kZmXyE4Zl2Tq0kQeQmWgD0dJ9oU2m8Xn9yXq2a4wJQ";
	const char	*a0 = "https://127.0.0.1:14000/a/0";
	const char	*a1 = "https://127.0.0.1:14000/a/1";
	const char	*a2 = "https://127.0.0.1:14000/a/2";
	char		*url = NULL;

	CHECK(store_account_get(state, d1, k1, &url) == -ENOENT);
	CHECK(store_account_put(state, d1, k1, a1) == 0);
	CHECK(store_account_put(state, d2, k1, "https://ca.test/acct/9")
	    == 0);
	CHECK(account_is(d1, k1, a1));

	/* Another key of the same directory has its own account. */
	CHECK(store_account_get(state, d1, k2, &url) == -ENOENT);
	CHECK(store_account_put(state, d1, k2, a2) == 0);
	CHECK(account_is(d1, k1, a1));

	/* The file that names no key is apart from the keyed ones. */
	CHECK(store_account_get(state, d1, NULL, &url) == -ENOENT);
	CHECK(store_account_put(state, d1, NULL, a0) == 0);
	CHECK(account_is(d1, NULL, a0));
	CHECK(store_account_forget(state, d1, NULL) == 0);

	CHECK(store_account_forget(state, d1, k1) == 0);
	CHECK(store_account_get(state, d1, k1, &url) == -ENOENT);
	CHECK(store_account_forget(state, d1, k1) == 0);
	CHECK(account_is(d1, k2, a2));
	CHECK(account_is(d2, k1, "https://ca.test/acct/9"));

	/* A thumbprint that could leave the directory is refused. */
	CHECK(store_account_put(state, d1, "../x", a0) == -1);
}

static void
test_pending_key(void)
{
	char	*key = pem("PRIVATE KEY", 5), *got = NULL;
	size_t	 len = 0;

	CHECK(store_pending_key_get(state, "p.org", &got, &len) == -ENOENT);
	CHECK(store_pending_key_put(state, "p.org", key, strlen(key)) == 0);
	CHECK(mode_of(at("acme-webroot/%s.key-pending", "p.org")) == 0600);
	CHECK(store_pending_key_get(state, "p.org", &got, &len) == 0);
	CHECK(got != NULL && len == strlen(key) && memcmp(got, key,
	    len) == 0);
	free_secret(got, len);
	CHECK(store_pending_key_forget(state, "p.org") == 0);
	CHECK(store_pending_key_get(state, "p.org", &got, &len) == -ENOENT);
	free(key);
}

static void
test_tokens(void)
{
	char			 w1[] = "/var/www", t1[] = "abc_-9";
	char			 w2[] = "/srv/x", t2[] = "Zz";
	struct store_token	 t[2] = { { w1, t1, 2 }, { w2, t2, 0 } };
	struct store_token	*got = NULL;
	size_t			 n = 0;
	int			 fd;

	CHECK(store_tokens_load(state, "t.org", &got, &n) == 0 && n == 0);
	CHECK(store_tokens_save(state, "t.org", t, 2) == 0);
	CHECK(store_tokens_load(state, "t.org", &got, &n) == 0 && n == 2);
	CHECK(got != NULL && strcmp(got[0].token, "abc_-9") == 0 &&
	    strcmp(got[1].webroot, "/srv/x") == 0 && got[0].made_dirs == 2);
	store_tokens_free(got, n);
	CHECK(store_tokens_save(state, "t.org", t, 0) == 0);
	CHECK(access(at("acme-webroot/%s.tokens.json", "t.org"), F_OK) ==
	    -1);

	/* A recorded token that is not base64url is never used. */
	fd = open(at("acme-webroot/%s.tokens.json", "t.org"), O_WRONLY |
	    O_CREAT | O_CLOEXEC, 0600);
	dprintf(fd, "{\"tokens\": [{\"webroot\": \"/w\", \"token\": "
	    "\"../x\"}]}");
	close(fd);
	CHECK(store_tokens_load(state, "t.org", &got, &n) == -1 && n == 0);
}

int
main(void)
{
	char	 cmd[PATH_MAX + 16];

	log_setup("aw_store", LOG_ERR, false);
	snprintf(state, sizeof(state), "/tmp/aw_store.XXXXXX");
	if (mkdtemp(state) == NULL)
		return 1;
	umask(022);
	CHECK(store_init(state) == 0);

	test_first_and_second();
	test_numbering();
	test_refuses();
	test_key_group();
	test_tidy();
	test_fallback();
	test_killed();
	test_certbot();
	test_lock();
	test_state();
	test_backoff();
	test_accounts();
	test_pending_key();
	test_tokens();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: not removed\n", state);
	return t_done("aw_store");
}
