/*
 * The certbot-compatible certificate store, the run lock, and the
 * small state files this program keeps per certificate and per CA.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "failpoint.h"
#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "webroot.h"

/* Upper bounds for what is read back: PEM chains, keys, small JSON. */
#define PEM_MAX		(1024 * 1024)
#define KEY_MAX		(64 * 1024)
#define JSON_MAX	(256 * 1024)

#define OWN_DIR		"acme-webroot"
#define LOCK_NAME	".acme-webroot.lock"

/*
 * Set by tests to make the exchange of live directories fail with
 * EINVAL, as it does on filesystems without RENAME_EXCHANGE, so that
 * the link-by-link fallback runs.  Read nowhere else.
 */
#define NO_EXCHANGE_ENV	"ACME_WEBROOT_TEST_NO_EXCHANGE"

static const char *const kinds[] = { "cert", "chain", "fullchain",
    "privkey" };
#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

static const char readme[] =
    "This directory holds the current version of a certificate as\n"
    "symbolic links into ../../archive/, managed by acme-webroot.\n"
    "\n"
    "`privkey.pem`  : the private key of the certificate.\n"
    "`fullchain.pem`: the certificate followed by the intermediates;\n"
    "                 what most servers want as their certificate.\n"
    "`cert.pem`     : the certificate alone.\n"
    "`chain.pem`    : the intermediates alone.\n"
    "\n"
    "Point server configurations here, never into archive/: the links\n"
    "move to each new version.\n";

static int
pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf that logs and fails when the path does not fit. */
static int
pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		log_err("%s...: path too long", buf);
		return -1;
	}
	return 0;
}

/*
 * A certificate name becomes a directory name: one component, not
 * hidden (dot names are our temporaries), no control characters.
 */
static bool
name_ok(const char *name)
{
	const unsigned char	*p;

	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 200)
		return false;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int
check_name(const char *name)
{
	char	*esc;

	if (name_ok(name))
		return 0;
	esc = log_escape(name, strlen(name), 64);
	log_err("%s: not usable as a certificate directory name", esc);
	log_escape_free(esc);
	return -1;
}

bool
store_looks_like_pem(const char *buf, size_t len)
{
	const char	*begin, *end;

	if (buf == NULL || len == 0 || memchr(buf, '\0', len) != NULL)
		return false;
	begin = memmem(buf, len, "-----BEGIN ", 11);
	if (begin == NULL)
		return false;
	end = memmem(begin, len - (size_t)(begin - buf), "-----END ", 9);
	return end != NULL;
}

void
store_files_free(struct store_files *f)
{
	free(f->cert);
	free(f->chain);
	free(f->fullchain);
	free_secret(f->privkey, f->privkey_len);
	memset(f, 0, sizeof(*f));
}

/* mkdir that accepts an existing directory and, when it creates one,
 * gives it mode whatever the umask. */
static int
make_dir(const char *path, mode_t mode)
{
	struct stat	 st;

	if (mkdir(path, mode) == 0) {
		if (chmod(path, mode) == -1) {
			log_err("%s: chmod: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST) {
		log_err("%s: mkdir: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory", path);
		return -1;
	}
	return 0;
}

int
store_init(const char *state_dir)
{
	static const char *const subdirs[] = { "live", "archive",
	    "accounts", "accounts/" OWN_DIR, OWN_DIR };
	char	 path[PATH_MAX];
	size_t	 i;

	if (make_dir(state_dir, 0755) == -1)
		return -1;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (pathf(path, sizeof(path), "%s/%s", state_dir,
		    subdirs[i]) == -1 || make_dir(path, 0700) == -1)
			return -1;
	}
	return 0;
}

/* The pid the lock file names, or 0 when it names none (yet). */
static long
lock_holder(int fd)
{
	char	 buf[32];
	ssize_t	 n;
	char	*end;
	long	 pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || pid <= 0)
		return 0;
	return pid;
}

/*
 * Polls for the lock every 100 ms until the deadline: flock has no
 * timeout of its own, and an alarm would disturb the rest of the run.
 */
static int
lock_wait(int fd, const char *path, unsigned wait_seconds)
{
	const struct timespec	 tick = { 0, 100 * 1000 * 1000 };
	unsigned long		 tries;
	long			 pid;

	for (tries = 0;; tries++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			log_err("%s: flock: %s", path, strerror(errno));
			return -1;
		}
		if (tries >= 10UL * wait_seconds)
			break;
		if (tries == 0)
			log_info("%s: busy, waiting up to %u s", path,
			    wait_seconds);
		nanosleep(&tick, NULL);
	}
	if ((pid = lock_holder(fd)) > 0)
		log_err("%s: held by pid %ld", path, pid);
	else
		log_err("%s: held by another run", path);
	return STORE_LOCK_BUSY;
}

int
store_lock(const char *state_dir, unsigned wait_seconds, int *fdp)
{
	char	 path[PATH_MAX], pid[32];
	int	 fd = -1, rc = -1, n;

	*fdp = -1;
	if (make_dir(state_dir, 0755) == -1 ||
	    pathf(path, sizeof(path), "%s/%s", state_dir, LOCK_NAME) == -1)
		return -1;
	/* Close-on-exec, so that no hook keeps the lock after we exit. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("%s: open: %s", path, strerror(errno));
		return -1;
	}
	if ((rc = lock_wait(fd, path, wait_seconds)) != 0)
		goto out;

	rc = -1;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pid, (size_t)n, 0) != (ssize_t)n) {
		log_err("%s: write: %s", path, strerror(errno));
		goto out;
	}
	*fdp = fd;
	fd = -1;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

void
store_unlock(int fd)
{
	if (fd == -1)
		return;
	/* Nobody holds it now; the file stays for the next run. */
	if (ftruncate(fd, 0) == -1)
		log_debug("lock file: truncate: %s", strerror(errno));
	close(fd);
}

bool
store_certbot_managed(const char *state_dir, const char *name, char *conf,
    size_t size)
{
	struct stat	 st;
	int		 n;

	n = snprintf(conf, size, "%s/renewal/%s.conf", state_dir, name);
	if (n < 0 || (size_t)n >= size)
		return false;
	return lstat(conf, &st) == 0;
}

int
store_live_path(const char *state_dir, const char *name, char *buf,
    size_t size)
{
	return pathf(buf, size, "%s/live/%s", state_dir, name);
}

/* Reads live/NAME/KIND.pem; a missing file is an error here, since
 * the directory exists. */
static int
read_live_file(const char *dir, const char *kind, size_t max, char **buf,
    size_t *len)
{
	char	 path[PATH_MAX];
	int	 rc;

	if (pathf(path, sizeof(path), "%s/%s.pem", dir, kind) == -1)
		return -1;
	rc = read_file(path, max, buf, len);
	if (rc == -ENOENT) {
		log_err("%s: missing or a dangling link", path);
		rc = -1;
	}
	return rc;
}

int
store_read_live(const char *state_dir, const char *name,
    struct store_files *f)
{
	char		 dir[PATH_MAX];
	struct stat	 st;
	int		 rc = -1;

	memset(f, 0, sizeof(*f));
	if (check_name(name) == -1 ||
	    store_live_path(state_dir, name, dir, sizeof(dir)) == -1)
		return -1;
	/* Not followed: a new version could not replace a link. */
	if (lstat(dir, &st) == -1) {
		if (errno == ENOENT)
			return -ENOENT;
		log_err("%s: stat: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory%s", dir, S_ISLNK(st.st_mode) ?
		    " but a symbolic link" : "");
		return -ENOTDIR;
	}

	if (read_live_file(dir, "cert", PEM_MAX, &f->cert,
	    &f->cert_len) == -1 ||
	    read_live_file(dir, "chain", PEM_MAX, &f->chain,
	    &f->chain_len) == -1 ||
	    read_live_file(dir, "fullchain", PEM_MAX, &f->fullchain,
	    &f->fullchain_len) == -1 ||
	    read_live_file(dir, "privkey", KEY_MAX, &f->privkey,
	    &f->privkey_len) == -1)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		store_files_free(f);
	return rc;
}

/*
 * Empties a directory of ours (files and links only) and removes it.
 * A missing directory is fine.
 */
static int
remove_dir_at(int parentfd, const char *parentpath, const char *dirname)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, rc = 0;

	fd = openat(parentfd, dirname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return 0;
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		log_err("%s/%s: open: %s", parentpath, dirname,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			log_err("%s/%s/%s: unlink: %s", parentpath, dirname,
			    de->d_name, strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	if (rc == 0 && unlinkat(parentfd, dirname, AT_REMOVEDIR) == -1) {
		log_err("%s/%s: rmdir: %s", parentpath, dirname,
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

/* Removes the dot files (our temporaries) of a directory, if it exists. */
static int
remove_temps(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	int		 rc = 0;

	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_err("%s: open: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			log_err("%s/%s: unlink: %s", path, de->d_name,
			    strerror(errno));
			rc = -1;
			continue;
		}
		log_info("%s/%s: removed a leftover of an interrupted run",
		    path, de->d_name);
	}
	closedir(d);
	return rc;
}

int
store_tidy(const char *state_dir, const char *name)
{
	char	 live[PATH_MAX], path[PATH_MAX], new[NAME_MAX + 1];
	int	 livefd, rc = 0;

	if (check_name(name) == -1 ||
	    pathf(live, sizeof(live), "%s/live", state_dir) == -1 ||
	    pathf(new, sizeof(new), ".%s.new", name) == -1)
		return -1;

	livefd = open(live, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (livefd == -1 && errno != ENOENT) {
		log_err("%s: open: %s", live, strerror(errno));
		return -1;
	}
	if (livefd != -1) {
		if (faccessat(livefd, new, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			log_info("%s/%s: removing a leftover of an "
			    "interrupted run", live, new);
		if (remove_dir_at(livefd, live, new) == -1)
			rc = -1;
		close(livefd);
	}

	if (pathf(path, sizeof(path), "%s/%s", live, name) == -1 ||
	    remove_temps(path) == -1)
		rc = -1;
	if (pathf(path, sizeof(path), "%s/archive/%s", state_dir,
	    name) == -1 || remove_temps(path) == -1)
		rc = -1;
	/* Under the lock, any temporary among the state files is a
	 * leftover, whichever certificate it was for. */
	if (pathf(path, sizeof(path), "%s/" OWN_DIR, state_dir) == -1 ||
	    remove_temps(path) == -1)
		rc = -1;
	return rc;
}

/* Parses "KINDN.pem" and returns N, or 0 when the name is not one. */
static unsigned
archive_version(const char *fname)
{
	size_t		 i, k;
	unsigned long	 n;
	char		*end;

	for (i = 0; i < NKINDS; i++) {
		k = strlen(kinds[i]);
		if (strncmp(fname, kinds[i], k) != 0 ||
		    fname[k] < '1' || fname[k] > '9')
			continue;
		errno = 0;
		n = strtoul(fname + k, &end, 10);
		if (errno == 0 && strcmp(end, ".pem") == 0 && n < 1000000)
			return (unsigned)n;
	}
	return 0;
}

/* The highest version present in archive/NAME (0 when none). */
static int
highest_version(int archfd, const char *path, unsigned *high)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;
	unsigned	 n;

	*high = 0;
	if ((fd = dup(archfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_err("%s: open: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if ((n = archive_version(de->d_name)) > *high)
			*high = n;
	closedir(d);
	return 0;
}

/*
 * Where the new key's mode and group come from: key_group when set,
 * otherwise the key being replaced (its group and group-read bit), as
 * certbot does, otherwise 0600 and our own group.
 */
static void
key_access(const char *state_dir, const char *name, gid_t key_gid,
    mode_t *mode, gid_t *gid)
{
	char		 path[PATH_MAX];
	struct stat	 st;

	*mode = 0600;
	*gid = key_gid;
	if (key_gid != GID_KEEP) {
		*mode = 0640;
		return;
	}
	if (pathf(path, sizeof(path), "%s/live/%s/privkey.pem", state_dir,
	    name) == -1 || stat(path, &st) == -1)
		return;
	*gid = st.st_gid;
	*mode |= st.st_mode & S_IRGRP;
}

/* Gives a directory of a lineage its mode and group. */
static int
set_dir_access(int fd, const char *path, mode_t mode, gid_t gid)
{
	if (gid != GID_KEEP && fchown(fd, (uid_t)-1, gid) == -1) {
		log_err("%s: chown: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) == -1) {
		log_err("%s: chmod: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * With a key group, that group must be able to pass through live/ and
 * archive/ (0700 as certbot makes them) to reach its key; the
 * directories below keep everyone else out.
 */
static int
open_traversable(const char *state_dir, const char *sub, bool group)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	int		 fd;

	if (pathf(path, sizeof(path), "%s/%s", state_dir, sub) == -1 ||
	    make_dir(path, 0700) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		log_err("%s: open: %s", path, strerror(errno));
		goto fail;
	}
	if (group && (st.st_mode & 0011) != 0011) {
		log_info("%s: allowing traversal for the key group", path);
		if (fchmod(fd, (st.st_mode & 07777) | 0011) == -1) {
			log_err("%s: chmod: %s", path, strerror(errno));
			goto fail;
		}
	}
	return fd;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

enum dir_how { DIR_OPEN, DIR_MAKE, DIR_MAKE_NEW };

/*
 * Opens the lineage directory name below parent (path names it in
 * messages), made first when how says so, and sets its mode and group.
 */
static int
open_lineage_dir(int parent, const char *path, const char *name,
    enum dir_how how, mode_t mode, gid_t gid)
{
	int	 fd;

	if (how != DIR_OPEN && mkdirat(parent, name, 0700) == -1 &&
	    (how == DIR_MAKE_NEW || errno != EEXIST)) {
		log_err("%s: mkdir: %s", path, strerror(errno));
		return -1;
	}
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		log_err("%s: open: %s", path, strerror(errno));
		return -1;
	}
	if (set_dir_access(fd, path, mode, gid) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes the four archive files of version n. */
static int
write_archive(int archfd, const char *path, const struct store_files *f,
    unsigned n, mode_t keymode, gid_t keygid)
{
	const char	*bufs[NKINDS] = { f->cert, f->chain, f->fullchain,
	    f->privkey };
	size_t		 lens[NKINDS] = { f->cert_len, f->chain_len,
	    f->fullchain_len, f->privkey_len };
	char		 fname[NAME_MAX + 1];
	size_t		 i;
	bool		 key;

	for (i = 0; i < NKINDS; i++) {
		key = strcmp(kinds[i], "privkey") == 0;
		if (pathf(fname, sizeof(fname), "%s%u.pem", kinds[i],
		    n) == -1 ||
		    atomic_write_at(archfd, path, fname, bufs[i], lens[i],
		    key ? keymode : 0644, key ? keygid : GID_KEEP) == -1)
			return -1;
	}
	return 0;
}

/* Makes link lname in dirfd point at KINDn.pem of the archive. */
static int
make_link(int dirfd, const char *dirpath, const char *lname,
    const char *name, const char *kind, unsigned n)
{
	char	 target[PATH_MAX];

	if (pathf(target, sizeof(target), "../../archive/%s/%s%u.pem",
	    name, kind, n) == -1)
		return -1;
	if (symlinkat(target, dirfd, lname) == -1) {
		log_err("%s/%s: symlink: %s", dirpath, lname,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Writes the README and points the four links of a live directory at
 * version n, each link made under a temporary name and renamed over
 * the old one, so that this also serves an existing directory.
 */
static int
fill_live(int fd, const char *path, const char *name, unsigned n)
{
	char	 tmp[NAME_MAX + 1], lname[NAME_MAX + 1];
	size_t	 i;

	if (atomic_write_at(fd, path, "README", readme, sizeof(readme) - 1,
	    0644, GID_KEEP) == -1)
		return -1;
	for (i = 0; i < NKINDS; i++) {
		if (pathf(lname, sizeof(lname), "%s.pem", kinds[i]) == -1 ||
		    pathf(tmp, sizeof(tmp), ".%s.pem.new", kinds[i]) == -1)
			return -1;
		unlinkat(fd, tmp, 0);
		if (make_link(fd, path, tmp, name, kinds[i], n) == -1)
			return -1;
		if (renameat(fd, tmp, fd, lname) == -1) {
			log_err("%s/%s: rename: %s", path, lname,
			    strerror(errno));
			return -1;
		}
	}
	if (fsync(fd) == -1) {
		log_err("%s: fsync: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Makes live/DIR (a new .NAME.new, or NAME itself in the fallback) a
 * complete live directory of NAME's version n.
 */
static int
write_live(int livefd, const char *livepath, const char *dir,
    enum dir_how how, const char *name, unsigned n, mode_t mode, gid_t gid)
{
	char	 path[PATH_MAX];
	int	 fd, rc;

	if (pathf(path, sizeof(path), "%s/%s", livepath, dir) == -1 ||
	    (fd = open_lineage_dir(livefd, path, dir, how, mode,
	    gid)) == -1)
		return -1;
	rc = fill_live(fd, path, name, n);
	close(fd);
	return rc;
}

static int
exchange(int livefd, const char *new, const char *name)
{
	if (getenv(NO_EXCHANGE_ENV) != NULL) {
		errno = EINVAL;
		return -1;
	}
	return renameat2(livefd, new, livefd, name, RENAME_EXCHANGE);
}

/*
 * Where the filesystem cannot exchange two directories, each link of
 * the existing live directory is replaced by a rename of its own: each
 * path still resolves at every instant, but for a moment they may
 * resolve to different versions.
 */
static int
replace_links(int livefd, const char *livepath, const char *name,
    unsigned n, mode_t mode, gid_t gid)
{
	static bool	 warned;

	if (!warned) {
		log_warn("%s: the filesystem cannot exchange directories "
		    "atomically; replacing links one by one", livepath);
		warned = true;
	}
	return write_live(livefd, livepath, name, DIR_OPEN, name, n, mode,
	    gid);
}

/*
 * Puts live/.NAME.new in place of live/NAME: a plain rename the first
 * time, an exchange later, so that at every instant live/NAME is one
 * complete version.  What ends up in .NAME.new is removed after.
 */
static int
switch_live(int livefd, const char *livepath, const char *name,
    unsigned n, mode_t mode, gid_t gid)
{
	char		 new[NAME_MAX + 1];
	struct stat	 st;

	if (pathf(new, sizeof(new), ".%s.new", name) == -1)
		return -1;
	if (fstatat(livefd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT) {
			log_err("%s/%s: stat: %s", livepath, name,
			    strerror(errno));
			return -1;
		}
		/* NOREPLACE where the filesystem knows it; we checked. */
		if (renameat2(livefd, new, livefd, name,
		    RENAME_NOREPLACE) == -1 && (errno != EINVAL ||
		    renameat(livefd, new, livefd, name) == -1)) {
			log_err("%s/%s: rename: %s", livepath, name,
			    strerror(errno));
			return -1;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		log_err("%s/%s: not a directory", livepath, name);
		return -1;
	} else if (exchange(livefd, new, name) == -1) {
		if (errno != EINVAL && errno != ENOSYS) {
			log_err("%s/%s: exchange: %s", livepath, name,
			    strerror(errno));
			return -1;
		}
		if (replace_links(livefd, livepath, name, n, mode, gid) == -1)
			return -1;
	}
	failpoint("live-exchanged");
	if (fsync(livefd) == -1) {
		log_err("%s: fsync: %s", livepath, strerror(errno));
		return -1;
	}
	return remove_dir_at(livefd, livepath, new);
}

/* Whether the four files are PEM; the log names where they were
 * going (the certificate's name is the log context already). */
static bool
files_ok(const struct store_files *f, const char *state_dir,
    const char *name)
{
	if (store_looks_like_pem(f->cert, f->cert_len) &&
	    store_looks_like_pem(f->chain, f->chain_len) &&
	    store_looks_like_pem(f->fullchain, f->fullchain_len) &&
	    store_looks_like_pem(f->privkey, f->privkey_len))
		return true;
	log_err("%s/archive/%s: refusing to store files that are not PEM",
	    state_dir, name);
	return false;
}

int
store_install(const char *state_dir, const char *name,
    const struct store_files *f, gid_t key_gid, unsigned *version)
{
	char	 live[PATH_MAX], arch[PATH_MAX], new[NAME_MAX + 1];
	int	 livefd = -1, archroot = -1, archfd = -1, rc = -1;
	mode_t	 keymode, dirmode;
	gid_t	 gid, dirgid;
	unsigned n;

	if (check_name(name) == -1 || !files_ok(f, state_dir, name) ||
	    store_tidy(state_dir, name) == -1)
		return -1;
	key_access(state_dir, name, key_gid, &keymode, &gid);
	dirmode = keymode & S_IRGRP ? 0750 : 0700;
	dirgid = keymode & S_IRGRP ? gid : GID_KEEP;

	if (pathf(live, sizeof(live), "%s/live", state_dir) == -1 ||
	    pathf(arch, sizeof(arch), "%s/archive/%s", state_dir,
	    name) == -1 || pathf(new, sizeof(new), ".%s.new", name) == -1)
		goto out;
	if ((livefd = open_traversable(state_dir, "live",
	    dirgid != GID_KEEP)) == -1 ||
	    (archroot = open_traversable(state_dir, "archive",
	    dirgid != GID_KEEP)) == -1 ||
	    (archfd = open_lineage_dir(archroot, arch, name, DIR_MAKE,
	    dirmode, dirgid)) == -1)
		goto out;

	if (highest_version(archfd, arch, &n) == -1)
		goto out;
	n++;
	if (write_archive(archfd, arch, f, n, keymode, gid) == -1)
		goto out;
	failpoint("archive-written");
	if (write_live(livefd, live, new, DIR_MAKE_NEW, name, n, dirmode,
	    dirgid) == -1 ||
	    switch_live(livefd, live, name, n, dirmode, dirgid) == -1)
		goto out;
	log_info("%s/%s: version %u in place", live, name, n);
	if (version != NULL)
		*version = n;
	rc = 0;
out:
	if (rc != 0 && livefd != -1)
		remove_dir_at(livefd, live, new);
	if (archfd != -1)
		close(archfd);
	if (archroot != -1)
		close(archroot);
	if (livefd != -1)
		close(livefd);
	return rc;
}

/* Whether a thumbprint is base64url, and so safe in a file name. */
static bool
thumbprint_ok(const char *thumbprint)
{
	size_t	 len = strspn(thumbprint, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_");

	return len > 0 && len <= 128 && thumbprint[len] == '\0';
}

/* STATE/accounts/acme-webroot/SHA256(directory).THUMBPRINT.json, or
 * without .THUMBPRINT for the file that names no key. */
static int
account_path(const char *state_dir, const char *directory,
    const char *thumbprint, char *path, size_t size)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int	 mdlen, i;

	if (thumbprint != NULL && !thumbprint_ok(thumbprint)) {
		log_err("%s: account key thumbprint is not base64url",
		    directory);
		return -1;
	}
	if (EVP_Digest(directory, strlen(directory), md, &mdlen,
	    EVP_sha256(), NULL) != 1) {
		log_openssl("sha256");
		return -1;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return pathf(path, size, "%s/accounts/" OWN_DIR "/%s%s%s.json",
	    state_dir, hex, thumbprint ? "." : "",
	    thumbprint ? thumbprint : "");
}

/* Reads and parses a JSON object file: 0, -ENOENT (no log) or -1. */
static int
load_json(const char *path, json_t **out)
{
	json_error_t	 jerr;
	char		*buf = NULL;
	size_t		 len;
	int		 rc;

	*out = NULL;
	if ((rc = read_file(path, JSON_MAX, &buf, &len)) != 0)
		return rc;
	*out = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (*out == NULL || !json_is_object(*out)) {
		log_err("%s: corrupt, ignored: %s", path,
		    *out == NULL ? jerr.text : "not a JSON object");
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Writes a JSON value to path atomically, 0600. Consumes the value. */
static int
save_json(const char *path, json_t *value)
{
	char	*text;
	int	 rc;

	if (value == NULL) {
		log_err("%s: out of memory", path);
		return -1;
	}
	text = json_dumps(value, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(value);
	if (text == NULL) {
		log_err("%s: out of memory", path);
		return -1;
	}
	rc = atomic_write(path, text, strlen(text), 0600, GID_KEEP);
	free(text);
	return rc;
}

static int
remove_file(const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT) {
		log_err("%s: unlink: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Whether obj records an account of directory for thumbprint (a file
 * that names no key records none). */
static bool
account_matches(json_t *obj, const char *directory, const char *thumbprint)
{
	const char	*dir, *url, *thumb;

	dir = json_string_value(json_object_get(obj, "directory"));
	url = json_string_value(json_object_get(obj, "url"));
	thumb = json_string_value(json_object_get(obj, "thumbprint"));
	if (dir == NULL || url == NULL || strcmp(dir, directory) != 0 ||
	    strncmp(url, "https://", 8) != 0)
		return false;
	if (thumbprint == NULL)
		return thumb == NULL;
	return thumb != NULL && strcmp(thumb, thumbprint) == 0;
}

int
store_account_get(const char *state_dir, const char *directory,
    const char *thumbprint, char **url)
{
	char		 path[PATH_MAX];
	json_t		*obj;
	int		 rc;

	*url = NULL;
	if (account_path(state_dir, directory, thumbprint, path,
	    sizeof(path)) == -1)
		return -1;
	if ((rc = load_json(path, &obj)) != 0)
		return rc;
	if (!account_matches(obj, directory, thumbprint)) {
		log_err("%s: not an account of %s%s%s, ignored", path,
		    directory, thumbprint ? " for key " : "",
		    thumbprint ? thumbprint : "");
		rc = -1;
	} else if ((*url = strdup(json_string_value(json_object_get(obj,
	    "url")))) == NULL) {
		log_err("%s: out of memory", path);
		rc = -1;
	}
	json_decref(obj);
	return rc;
}

int
store_account_put(const char *state_dir, const char *directory,
    const char *thumbprint, const char *url)
{
	char	 path[PATH_MAX];

	if (account_path(state_dir, directory, thumbprint, path,
	    sizeof(path)) == -1)
		return -1;
	return save_json(path, json_pack("{s:s, s:s, s:s*}", "directory",
	    directory, "url", url, "thumbprint", thumbprint));
}

int
store_account_set_aside(const char *state_dir, const char *directory,
    const char *thumbprint)
{
	char	 path[PATH_MAX], aside[PATH_MAX];

	if (account_path(state_dir, directory, thumbprint, path,
	    sizeof(path)) == -1 ||
	    pathf(aside, sizeof(aside), "%s.corrupt", path) == -1)
		return -1;
	if (rename(path, aside) == -1) {
		log_err("%s: rename to %s: %s", path, aside,
		    strerror(errno));
		return -1;
	}
	log_warn("%s: set aside as %s; the CA is asked for the account",
	    path, aside);
	return 0;
}

int
store_account_forget(const char *state_dir, const char *directory,
    const char *thumbprint)
{
	char	 path[PATH_MAX];

	if (account_path(state_dir, directory, thumbprint, path,
	    sizeof(path)) == -1)
		return -1;
	return remove_file(path);
}

/* STATE/acme-webroot/NAME.SUFFIX */
static int
own_path(const char *state_dir, const char *name, const char *suffix,
    char *path, size_t size)
{
	if (check_name(name) == -1)
		return -1;
	return pathf(path, size, "%s/" OWN_DIR "/%s.%s", state_dir, name,
	    suffix);
}

/* A copy of a JSON string member, NULL when absent; -1 on a bad type. */
static int
get_string(json_t *obj, const char *key, char **out)
{
	json_t	*v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || (*out = strdup(json_string_value(v))) ==
	    NULL)
		return -1;
	return 0;
}

static int
get_time(json_t *obj, const char *key, time_t *out)
{
	json_t	*v = json_object_get(obj, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (time_t)json_integer_value(v);
	return 0;
}

static int
state_from_json(json_t *obj, struct store_state *st)
{
	json_t	*v;
	time_t	 failures;

	if (get_string(obj, "order_url", &st->order_url) == -1 ||
	    get_string(obj, "failure_msg", &st->failure_msg) == -1 ||
	    get_string(obj, "deploy_failure", &st->deploy_failure) == -1 ||
	    get_time(obj, "last_failure", &st->last_failure) == -1 ||
	    get_time(obj, "next_try", &st->next_try) == -1 ||
	    get_time(obj, "failures", &failures) == -1 ||
	    failures > 1000000)
		return -1;
	st->failures = (unsigned)failures;
	v = json_object_get(obj, "deploy_pending");
	if (v != NULL && !json_is_boolean(v))
		return -1;
	st->deploy_pending = json_is_true(v);
	return 0;
}

int
store_state_load(const char *state_dir, const char *name,
    struct store_state *st)
{
	char	 path[PATH_MAX];
	json_t	*obj;
	int	 rc;

	memset(st, 0, sizeof(*st));
	if (own_path(state_dir, name, "json", path, sizeof(path)) == -1)
		return -1;
	if ((rc = load_json(path, &obj)) != 0)
		return rc == -ENOENT ? 0 : -1;
	rc = state_from_json(obj, st);
	json_decref(obj);
	if (rc == -1) {
		log_err("%s: corrupt, ignored: a member has the wrong type",
		    path);
		store_state_free(st);
	}
	return rc;
}

int
store_state_save(const char *state_dir, const char *name,
    const struct store_state *st)
{
	char	 path[PATH_MAX];

	if (own_path(state_dir, name, "json", path, sizeof(path)) == -1)
		return -1;
	return save_json(path, json_pack("{s:s?, s:I, s:s?, s:I, s:I, s:b, "
	    "s:s?}",
	    "order_url", st->order_url,
	    "last_failure", (json_int_t)st->last_failure,
	    "failure_msg", st->failure_msg,
	    "failures", (json_int_t)st->failures,
	    "next_try", (json_int_t)st->next_try,
	    "deploy_pending", st->deploy_pending,
	    "deploy_failure", st->deploy_failure));
}

void
store_state_free(struct store_state *st)
{
	free(st->order_url);
	free(st->failure_msg);
	free(st->deploy_failure);
	memset(st, 0, sizeof(*st));
}

time_t
store_backoff(unsigned failures)
{
	time_t	 wait = 3600;

	if (failures == 0)
		return 0;
	while (--failures > 0 && wait < 24 * 3600)
		wait *= 2;
	return wait < 24 * 3600 ? wait : 24 * 3600;
}

int
store_state_failed(struct store_state *st, time_t now, const char *msg,
    time_t retry_after)
{
	char	*copy = NULL;

	if (msg != NULL && (copy = strdup(msg)) == NULL) {
		log_err("failure memory: out of memory");
		return -1;
	}
	free(st->failure_msg);
	st->failure_msg = copy;
	st->last_failure = now;
	if (st->failures < 1000000)
		st->failures++;
	st->next_try = now + store_backoff(st->failures);
	if (retry_after > st->next_try)
		st->next_try = retry_after;
	return 0;
}

void
store_state_succeeded(struct store_state *st)
{
	free(st->order_url);
	free(st->failure_msg);
	st->order_url = NULL;
	st->failure_msg = NULL;
	st->last_failure = 0;
	st->failures = 0;
	st->next_try = 0;
}

int
store_pending_key_put(const char *state_dir, const char *name,
    const char *pem, size_t len)
{
	char	 path[PATH_MAX];

	if (own_path(state_dir, name, "key-pending", path,
	    sizeof(path)) == -1)
		return -1;
	return atomic_write(path, pem, len, 0600, GID_KEEP);
}

int
store_pending_key_get(const char *state_dir, const char *name, char **pem,
    size_t *len)
{
	char	 path[PATH_MAX];
	int	 rc;

	*pem = NULL;
	if (own_path(state_dir, name, "key-pending", path,
	    sizeof(path)) == -1)
		return -1;
	if ((rc = read_file(path, KEY_MAX, pem, len)) != 0)
		return rc;
	if (!store_looks_like_pem(*pem, *len)) {
		log_err("%s: not a PEM key, ignored", path);
		free_secret(*pem, *len);
		*pem = NULL;
		return -1;
	}
	return 0;
}

int
store_pending_key_forget(const char *state_dir, const char *name)
{
	char	 path[PATH_MAX];

	if (own_path(state_dir, name, "key-pending", path,
	    sizeof(path)) == -1)
		return -1;
	return remove_file(path);
}

static int
token_from_json(json_t *v, struct store_token *t)
{
	json_t	*made = json_object_get(v, "made_dirs");

	if (!json_is_object(v) ||
	    get_string(v, "webroot", &t->webroot) == -1 ||
	    get_string(v, "token", &t->token) == -1 ||
	    t->webroot == NULL || t->webroot[0] != '/' || t->token == NULL ||
	    !webroot_token_valid(t->token) ||
	    (made != NULL && !json_is_integer(made)))
		return -1;
	t->made_dirs = (int)json_integer_value(made);
	return t->made_dirs >= 0 && t->made_dirs <= 2 ? 0 : -1;
}

int
store_tokens_load(const char *state_dir, const char *name,
    struct store_token **tokens, size_t *n)
{
	char	 path[PATH_MAX];
	json_t	*obj = NULL, *list;
	size_t	 i, count = 0;
	int	 rc;

	*tokens = NULL;
	*n = 0;
	if (own_path(state_dir, name, "tokens.json", path,
	    sizeof(path)) == -1)
		return -1;
	if ((rc = load_json(path, &obj)) != 0)
		return rc == -ENOENT ? 0 : -1;
	rc = -1;
	list = json_object_get(obj, "tokens");
	if (!json_is_array(list) || json_array_size(list) > 10000) {
		log_err("%s: corrupt, ignored: no token list", path);
		goto out;
	}
	count = json_array_size(list);
	if ((*tokens = calloc(count + 1, sizeof(**tokens))) == NULL) {
		log_err("%s: out of memory", path);
		goto out;
	}
	for (i = 0; i < count; i++)
		if (token_from_json(json_array_get(list, i),
		    &(*tokens)[i]) == -1) {
			log_err("%s: corrupt, ignored: entry %zu", path, i);
			goto out;
		}
	*n = count;
	rc = 0;
out:
	json_decref(obj);
	if (rc != 0) {
		store_tokens_free(*tokens, count);
		*tokens = NULL;
	}
	return rc;
}

int
store_tokens_save(const char *state_dir, const char *name,
    const struct store_token *tokens, size_t n)
{
	char	 path[PATH_MAX];
	json_t	*list;
	size_t	 i;

	if (own_path(state_dir, name, "tokens.json", path,
	    sizeof(path)) == -1)
		return -1;
	if (n == 0)
		return remove_file(path);
	if ((list = json_array()) == NULL) {
		log_err("%s: out of memory", path);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:i}",
		    "webroot", tokens[i].webroot, "token", tokens[i].token,
		    "made_dirs", tokens[i].made_dirs)) == -1) {
			json_decref(list);
			log_err("%s: out of memory", path);
			return -1;
		}
	return save_json(path, json_pack("{s:o}", "tokens", list));
}

void
store_tokens_free(struct store_token *tokens, size_t n)
{
	size_t	 i;

	if (tokens == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(tokens[i].webroot);
		free(tokens[i].token);
	}
	free(tokens);
}
