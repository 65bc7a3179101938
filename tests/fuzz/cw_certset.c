/*
 * A live certificate set as cert-watch reads it before acting:
 * fullchain.pem and privkey.pem of live/NAME hashed, parsed, the leaf's
 * validity checked against the key, its DNS names read.
 *
 * Input: fullchain.pem, a line "--", then privkey.pem (all of it is
 * fullchain.pem when there is no such line).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certset.h"
#include "fuzz.h"

#define FILES_SEP	"\n--\n"

static char	 lineage[PATH_MAX], live[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	snprintf(live, sizeof(live), "%s/live", fuzz_dir());
	snprintf(lineage, sizeof(lineage), "%s/example.test", live);
	if (mkdir(live, 0700) == -1 || mkdir(lineage, 0700) == -1)
		abort();
	return 0;
}

static void
write_in_lineage(const char *file, const void *data, size_t size)
{
	char	 path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", lineage, file);
	fuzz_write(path, data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*sep;
	size_t		 chain_len = size, skip = strlen(FILES_SEP);
	struct certset	*cs, *copy;

	sep = memmem(data, size, FILES_SEP, skip);
	if (sep != NULL)
		chain_len = (size_t)(sep - data);
	write_in_lineage("fullchain.pem", data, chain_len);
	if (sep != NULL)
		write_in_lineage("privkey.pem", sep + skip,
		    size - chain_len - skip);
	else
		write_in_lineage("privkey.pem", "", 0);

	if ((cs = certset_read(live, "example.test", true)) == NULL)
		abort();
	/* Only a good set has names, and a copy has the same. */
	if (cs->status != CERTSET_OK && cs->ndomains != 0)
		abort();
	if ((copy = certset_dup(cs)) == NULL ||
	    copy->ndomains != cs->ndomains)
		abort();
	certset_free(copy);
	certset_free(cs);
	return 0;
}
