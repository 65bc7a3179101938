/*
 * A buffer of inotify events as cert-watch reads it from its inotify
 * descriptor.  The watch is made afresh for each input on a live
 * folder holding a.example.test and b.example.test (so live_dir has
 * wd 1 and the two folders 2 and 3), the input is handed to it as if
 * read(2) had returned it, and the watch is freed.
 *
 * Input: struct inotify_event records as the kernel lays them out.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <systemd/sd-event.h>

#include "fuzz.h"
#include "log.h"
#include "watch.h"

static sd_event	*loop;
static char	 live[512];

static void
make_dir(const char *name)
{
	char	 p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", live, name);
	if (mkdir(p, 0700) == -1)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 file[PATH_MAX];

	(void)argc;
	(void)argv;
	fuzz_setup();
	snprintf(live, sizeof(live), "%s/live", fuzz_dir());
	if (mkdir(live, 0700) == -1)
		abort();
	make_dir("a.example.test");
	make_dir("b.example.test");
	snprintf(file, sizeof(file), "%s/README", live);
	fuzz_write_text(file, "not a certificate\n");
	if (sd_event_new(&loop) < 0)
		abort();
	return 0;
}

static void
on_news(void *arg, enum watch_news news)
{
	(void)arg;
	if (news != WATCH_CHANGED && news != WATCH_RESCAN)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch	*w;
	void		*buf;

	/* read(2) fills an aligned buffer; so does this. */
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	if ((w = watch_new(loop, live, 0, on_news, NULL)) == NULL)
		abort();
	watch_feed(w, buf, size);
	watch_free(w);
	free(buf);
	return 0;
}
