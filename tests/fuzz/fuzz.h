/*
 * What every fuzz target has: the libFuzzer entry points, and a
 * private folder for the parsers that read files.
 *
 * A target is built twice: with libFuzzer (`make fuzz`) and with
 * driver.c, which replays the corpus and the regression inputs under
 * the sanitizers as part of `make check`.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	 LLVMFuzzerInitialize(int *argc, char ***argv);
int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Logs everything, down to LOG_DEBUG, so that every message is
 * formatted: libFuzzer (-close_fd_mask=2) and the driver send it to
 * /dev/null.  lib.c's LLVMFuzzerInitialize() does only this; a target
 * that needs more defines its own, which calls it.
 */
void		 fuzz_setup(void);

/*
 * A folder of its own for the whole run, removed at exit; every call
 * returns the same one.  Exits the process when it cannot be made.
 */
const char	*fuzz_dir(void);

/* Writes size bytes to path (made or truncated); exits on failure. */
void		 fuzz_write(const char *path, const void *data,
		    size_t size);

/* fuzz_write() of a NUL-terminated text. */
void		 fuzz_write_text(const char *path, const char *text);

/* A NUL-terminated copy of data; exits when out of memory. */
char		*fuzz_strndup(const uint8_t *data, size_t size);

#endif
