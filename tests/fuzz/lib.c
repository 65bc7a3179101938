/*
 * Helpers shared by the fuzz targets.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"

static char	 dir[256];

static int
remove_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
remove_dir(void)
{
	if (dir[0] != '\0')
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void __attribute__((noreturn))
die(const char *what)
{
	perror(what);
	exit(1);
}

void
fuzz_setup(void)
{
	log_setup("fuzz", LOG_DEBUG, false);
}

int __attribute__((weak))
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

const char *
fuzz_dir(void)
{
	const char	*tmp = getenv("TMPDIR");

	if (dir[0] != '\0')
		return dir;
	snprintf(dir, sizeof(dir), "%s/fuzz-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die(dir);
	atexit(remove_dir);
	return dir;
}

void
fuzz_write(const char *path, const void *data, size_t size)
{
	const char	*p = data;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		die(path);
	while (size > 0) {
		if ((n = write(fd, p, size)) <= 0)
			die(path);
		p += n;
		size -= (size_t)n;
	}
	if (close(fd) == -1)
		die(path);
}

void
fuzz_write_text(const char *path, const char *text)
{
	fuzz_write(path, text, strlen(text));
}

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		die("malloc");
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
