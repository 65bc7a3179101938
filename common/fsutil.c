/*
 * Atomic file replacement and bounded reads.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "failpoint.h"
#include "fsutil.h"
#include "log.h"

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#define TEMP_HEX	8

/* A temporary name that no other writer picks: ".NAME.XXXXXXXX". */
static int
temp_name(char *out, size_t size, const char *name)
{
	unsigned char	 rnd[TEMP_HEX / 2];
	int		 n;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	n = snprintf(out, size, ".%s.%02x%02x%02x%02x", name,
	    rnd[0], rnd[1], rnd[2], rnd[3]);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Whether entry is a name temp_name() made for name. */
static bool
is_temp_of(const char *entry, const char *name)
{
	size_t	 len = strlen(name), i;

	if (entry[0] != '.' || strncmp(entry + 1, name, len) != 0 ||
	    entry[len + 1] != '.' || strlen(entry + len + 2) != TEMP_HEX)
		return false;
	for (i = len + 2; entry[i] != '\0'; i++)
		if (strchr("0123456789abcdef", entry[i]) == NULL)
			return false;
	return true;
}

int
atomic_write_at(int dirfd, const char *dirpath, const char *name,
    const void *buf, size_t len, mode_t mode, gid_t gid)
{
	char	 tmp[NAME_MAX + 1];
	int	 fd = -1, rc = -1, created = 0;

	if (temp_name(tmp, sizeof(tmp), name) == -1) {
		log_err("%s/%s: name too long for a temporary file",
		    dirpath, name);
		return -1;
	}

	/* Mode 0 first, so nobody can open it before fchmod. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0);
	if (fd == -1) {
		log_err("%s/%s: create: %s", dirpath, tmp, strerror(errno));
		goto out;
	}
	created = 1;

	if (gid != GID_KEEP && fchown(fd, (uid_t)-1, gid) == -1) {
		log_err("%s/%s: chown: %s", dirpath, tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) == -1) {
		log_err("%s/%s: chmod: %s", dirpath, tmp, strerror(errno));
		goto out;
	}

	if (write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		log_err("%s/%s: write: %s", dirpath, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_err("%s/%s: close: %s", dirpath, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	failpoint("atomic-write-before-rename");

	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		log_err("%s/%s: rename: %s", dirpath, name, strerror(errno));
		goto out;
	}
	created = 0;

	if (fsync(dirfd) == -1) {
		log_err("%s: fsync: %s", dirpath, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (created)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

/* The directory of path, allocated, and its last component in *name. */
static char *
split_path(const char *path, const char **name)
{
	const char	*slash = strrchr(path, '/');
	char		*dir;

	if (slash == NULL) {
		dir = strdup(".");
		*name = path;
	} else {
		dir = slash == path ? strdup("/") :
		    strndup(path, (size_t)(slash - path));
		*name = slash + 1;
	}
	if (dir == NULL)
		log_err("%s: out of memory", path);
	return dir;
}

int
atomic_write(const char *path, const void *buf, size_t len, mode_t mode,
    gid_t gid)
{
	char		*dir;
	const char	*name;
	int		 dirfd = -1, rc = -1;

	if ((dir = split_path(path, &name)) == NULL)
		return -1;

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		log_err("%s: open: %s", dir, strerror(errno));
		goto out;
	}
	rc = atomic_write_at(dirfd, dir, name, buf, len, mode, gid);
out:
	if (dirfd != -1)
		close(dirfd);
	free(dir);
	return rc;
}

int
remove_stale_temps(const char *path)
{
	DIR		*d = NULL;
	struct dirent	*de;
	char		*dir;
	const char	*name;
	int		 n = 0;

	if ((dir = split_path(path, &name)) == NULL)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		n = errno == ENOENT ? 0 : -1;
		if (n == -1)
			log_err("%s: open: %s", dir, strerror(errno));
		goto out;
	}

	/* Every name is looked at: the leftovers of many kills may lie
	 * there. */
	while ((de = readdir(d)) != NULL) {
		if (!is_temp_of(de->d_name, name))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			log_err("%s/%s: remove: %s", dir, de->d_name,
			    strerror(errno));
			n = -1;
			goto out;
		}
		log_warn("%s/%s: removed, left by a write that was "
		    "interrupted", dir, de->d_name);
		n++;
	}
out:
	if (d != NULL)
		closedir(d);
	free(dir);
	return n;
}

int
read_file(const char *path, size_t max, char **out, size_t *outlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO put in place of the file must not
	 * wait for a writer; fstat then refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 && errno == ENOENT)
		return -ENOENT;
	if (fd == -1) {
		log_err("%s: open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_err("%s: fstat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s: not a regular file", path);
		goto out;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		log_err("%s: out of memory", path);
		goto out;
	}

	/* Read one byte past the limit to tell "full" from "too big". */
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("%s: read: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		log_err("%s: larger than %zu bytes", path, max);
		goto out;
	}

	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	if (outlen != NULL)
		*outlen = len;
	rc = 0;
out:
	free_secret(buf, max + 1);
	close(fd);
	return rc;
}

int
fsync_dir(const char *path)
{
	int	 fd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fsync(fd) == -1) {
		log_err("%s: fsync: %s", path, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

void
free_secret(void *buf, size_t len)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}
