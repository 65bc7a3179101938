/*
 * A main() for the fuzz targets without libFuzzer: every file of the
 * directories (or the files) given is passed to LLVMFuzzerTestOneInput
 * once, in name order.  Built with gcc and the sanitizers, it replays
 * the seed corpus and the inputs that once crashed (`make check`).
 *
 * What the code under test logs goes to /dev/null, as with libFuzzer's
 * -close_fd_mask=2, unless FUZZ_VERBOSE is set; the sanitizers' reports
 * still reach the real stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

void	 __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static FILE	*out;

/* Keeps stderr for the sanitizers and this driver, silences the rest. */
static void
quiet_stderr(void)
{
	int	 saved, null;

	out = stderr;
	if (getenv("FUZZ_VERBOSE") != NULL)
		return;
	if ((saved = dup(2)) == -1 || (out = fdopen(saved, "w")) == NULL ||
	    (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1 ||
	    dup2(null, 2) == -1) {
		perror("driver: keeping stderr");
		exit(1);
	}
	close(null);
	if (__sanitizer_set_report_fd != NULL)
		__sanitizer_set_report_fd((void *)(intptr_t)saved);
}

static int
run_file(const char *path)
{
	struct stat	 st;
	uint8_t		*buf = NULL;
	ssize_t		 n = 0;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	/* One byte more, so that an empty file is not malloc(0). */
	if (fstat(fd, &st) == 0 &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL)
		while (got < (size_t)st.st_size && (n = read(fd, buf + got,
		    (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
	close(fd);
	if (buf == NULL || n == -1) {
		fprintf(out, "%s: cannot be read\n", path);
		free(buf);
		return -1;
	}
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(out, "%s\n", path);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file of dir; the count in *n. */
static int
run_dir(const char *dir, size_t *n)
{
	struct dirent	**list;
	char		  path[4096];
	int		  i, count, rc = 0;

	if ((count = scandir(dir, &list, NULL, by_name)) == -1) {
		fprintf(out, "%s: cannot be listed\n", dir);
		return -1;
	}
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (list[i]->d_name[0] != '.') {
			if (run_file(path) == -1)
				rc = -1;
			else
				(*n)++;
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	size_t		 n = 0;
	int		 i, rc = 0;

	quiet_stderr();
	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc |= run_dir(argv[i], &n);
		else if (run_file(argv[i]) == 0)
			n++;
		else
			rc = -1;
	}
	fprintf(out, "%s: %zu inputs replayed\n", argv[0], n);
	return rc == 0 ? 0 : 1;
}
