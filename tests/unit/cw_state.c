/*
 * The state file: what each action last succeeded on survives a save
 * and a load; files that are not ours are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "t.h"

static char	 dir[] = "/tmp/cw_state.XXXXXX";
static char	 path[256];

static void
write_text(const char *text)
{
	FILE	*f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void
test_roundtrip(void)
{
	struct state	*st = NULL;
	const char	*fc = NULL, *pk = NULL;

	CHECK(state_load(path, &st) == -ENOENT);
	CHECK(st != NULL);
	CHECK(!state_has_action(st, "nginx"));
	CHECK(state_add_action(st, "nginx") == 0);
	CHECK(state_has_action(st, "nginx"));
	CHECK(!state_get(st, "nginx", "a", &fc, &pk));
	CHECK(state_set(st, "nginx", "a", "f1", "p1") == 0);
	CHECK(state_set(st, "nginx", "b", "f2", "p2") == 0);
	CHECK(state_set(st, "push", "a", "f3", "p3") == 0);
	CHECK(state_save(st, path) == 0);
	state_free(st);

	CHECK(state_load(path, &st) == 0);
	CHECK(state_get(st, "nginx", "a", &fc, &pk));
	CHECK_STR(fc, "f1");
	CHECK_STR(pk, "p1");
	CHECK(state_get(st, "push", "a", &fc, &pk));
	CHECK_STR(fc, "f3");
	state_forget_cert(st, "a");
	CHECK(!state_get(st, "nginx", "a", &fc, &pk));
	CHECK(!state_get(st, "push", "a", &fc, &pk));
	CHECK(state_get(st, "nginx", "b", &fc, &pk));
	CHECK(state_has_action(st, "push"));
	state_free(st);
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"version\": 2, \"actions\": {}}",
		"{\"actions\": {}}",
		"{\"version\": 1, \"actions\": []}",
		"{\"version\": 1, \"actions\": {\"a\": {\"c\": "
		    "{\"fullchain\": 1, \"privkey\": \"x\"}}}}",
		"{\"version\": 1, \"actions\": {\"a\": 5}}",
		NULL
	};
	struct state	*st;
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		write_text(bad[i]);
		st = NULL;
		CHECK(state_load(path, &st) == -1);
		CHECK(st != NULL && !state_has_action(st, "a"));
		state_free(st);
	}
}

int
main(void)
{
	log_setup("cw_state", LOG_EMERG, false);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	test_roundtrip();
	test_refused();
	unlink(path);
	rmdir(dir);
	return t_done("cw_state");
}
