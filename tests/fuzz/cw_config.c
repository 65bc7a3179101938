/*
 * cert-watch's configuration file: the input is written to a file and
 * loaded as `cert-watch -c FILE --check` would, then its plan printed
 * (to nowhere) and every action asked which certificates it serves.
 * The input is also read as a duration, as settle_ms and its kind are.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

static char	 path[PATH_MAX];
static FILE	*null;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	snprintf(path, sizeof(path), "%s/cert-watch.ini", fuzz_dir());
	if ((null = fopen("/dev/null", "we")) == NULL)
		abort();
	return 0;
}

static void
read_duration(const uint8_t *data, size_t size)
{
	char		*text = fuzz_strndup(data, size);
	uint64_t	 ms;

	config_parse_duration(text, 1000, &ms);
	config_parse_duration(text, 1, &ms);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_config	*conf;
	size_t			 i;

	if (size < 64)
		read_duration(data, size);
	fuzz_write(path, data, size);
	if ((conf = config_load(path)) == NULL)
		return 0;
	config_print_plan(conf, null);
	for (i = 0; i < conf->nactions; i++)
		config_action_wants(&conf->actions[i], "a.example.test");
	config_free(conf);
	return 0;
}
