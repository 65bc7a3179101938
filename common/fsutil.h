/*
 * Files written so that a crash at any moment leaves either the old or
 * the new content, and files read with a size limit.
 */
#ifndef COMMON_FSUTIL_H
#define COMMON_FSUTIL_H

#include <sys/types.h>
#include <stddef.h>

/* Leaves a gid unchanged where one is asked for. */
#define GID_KEEP	((gid_t)-1)

/*
 * Writes buf to NAME in the directory dirfd through a temporary file in
 * the same directory: the mode (and group, unless GID_KEEP) are set
 * before the first byte, then write, fsync, rename, fsync of the
 * directory.  dirpath only names the directory in error messages.
 * Returns 0, or -1 after logging what failed.
 */
int	 atomic_write_at(int dirfd, const char *dirpath, const char *name,
	    const void *buf, size_t len, mode_t mode, gid_t gid);

/* The same for a whole path. */
int	 atomic_write(const char *path, const void *buf, size_t len,
	    mode_t mode, gid_t gid);

/*
 * Removes the temporary files that atomic_write() of path left behind
 * when the process was killed before its rename.  Only for a file that
 * one process alone writes: another writer's file in progress would
 * go too.  Returns how many were removed, or -1 after logging.
 */
int	 remove_stale_temps(const char *path);

/*
 * Reads a whole file of at most max bytes into a NUL-terminated
 * buffer.  Symbolic links are followed; anything but a regular file
 * (a FIFO, a device, a directory) is refused without waiting on it.
 * Returns 0, -1 after logging, or -ENOENT without logging when the
 * file does not exist (a normal case for state files).
 */
int	 read_file(const char *path, size_t max, char **out, size_t *outlen);

/* fsync of a directory by path; 0 or -1 after logging. */
int	 fsync_dir(const char *path);

/* Clears len bytes with OPENSSL_cleanse, then frees. NULL is fine. */
void	 free_secret(void *buf, size_t len);

#endif
