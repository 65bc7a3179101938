/*
 * cert-watch's configuration: values, defaults, and every error named
 * with its file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "t.h"

static char	 dir[] = "/tmp/cw_config.XXXXXX";
static char	 errors[8192];

static int	 saved_stderr = -1;

/* stderr to a file until capture_end(), which reads it into errors. */
static void
capture_start(void)
{
	char	 errpath[256];

	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	if (freopen(errpath, "w", stderr) == NULL)
		abort();
}

static void
capture_end(void)
{
	char	 errpath[256];
	FILE	*f;
	size_t	 n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	f = fopen(errpath, "r");
	n = fread(errors, 1, sizeof(errors) - 1, f);
	errors[n] = '\0';
	fclose(f);
}

/* Loads text as a configuration with loader; what was logged ends in
 * errors. */
static struct cw_config *
load_with(struct cw_config *(*loader)(const char *), const char *text)
{
	struct cw_config	*c;
	char			 path[256];
	FILE			*f;

	snprintf(path, sizeof(path), "%s/cw.ini", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	capture_start();
	c = loader(path);
	capture_end();
	return c;
}

static struct cw_config *
load(const char *text)
{
	return load_with(config_load, text);
}

/* config_check_state_dir_in(), its messages in errors. */
static int
capture_check(const struct cw_config *c, bool lenient, const char *unit_dir)
{
	int	 rc;

	capture_start();
	rc = config_check_state_dir_in(c, lenient, unit_dir);
	capture_end();
	return rc;
}

static bool
logged(const char *what)
{
	if (strstr(errors, what) != NULL)
		return true;
	fprintf(stdout, "not logged: %s\nlog:\n%s", what, errors);
	return false;
}

static void
test_good(void)
{
	struct cw_config	*c;

	c = load("; comment\n[cert-watch]\nlive_dir = /srv/live\n"
	    "settle_ms = 150\nmax_settle_ms = 2s\npoll_interval = 3\n"
	    "state_file = /srv/state.json\n\n"
	    "[action one]\ntype = exec\ncommand = true\n"
	    "certs = a.example, b.example c.example\nmin_interval = 1m\n"
	    "retry_max = 2\n"
	    "[action two]\ntype = exec\ncommand = true\n");
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_STR(c->live_dir, "/srv/live");
	CHECK_STR(c->state_file, "/srv/state.json");
	CHECK(c->settle_ms == 150);
	CHECK(c->max_settle_ms == 2000);
	CHECK(c->poll_interval_ms == 3000);
	CHECK(c->nactions == 2);
	CHECK_STR(c->actions[0].name, "one");
	CHECK(c->actions[0].ncerts == 3);
	CHECK(!c->actions[0].all_certs);
	CHECK(config_action_wants(&c->actions[0], "b.example"));
	CHECK(!config_action_wants(&c->actions[0], "d.example"));
	CHECK(c->actions[0].min_interval_ms == 60000);
	CHECK(c->actions[0].retry_max == 2);
	CHECK(c->actions[1].all_certs);
	CHECK(config_action_wants(&c->actions[1], "d.example"));
	CHECK(c->actions[1].retry_max == 5);
	config_free(c);
}

static void
test_defaults(void)
{
	struct cw_config	*c;

	c = load("[action a]\ntype = exec\ncommand = true\n");
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_STR(c->live_dir, "/etc/letsencrypt/live");
	CHECK_STR(c->state_file, "/var/lib/cert-watch/state.json");
	CHECK(c->settle_ms == 2000);
	CHECK(c->max_settle_ms == 60000);
	CHECK(c->poll_interval_ms == 0);
	config_free(c);
}

static bool
not_logged(const char *what)
{
	if (strstr(errors, what) == NULL)
		return true;
	fprintf(stdout, "logged: %s\nlog:\n%s", what, errors);
	return false;
}

/* Action sections get hints too, and a bad type is one error. */
static void
test_action_hints(void)
{
	CHECK(load("[action a]\ntype = exex\ncomand = true\ncert = x\n"
	    "min_intervl = 5\n") == NULL);
	CHECK(logged("cw.ini:2: type = exex: type must be systemd, signal, "
	    "docker or exec (did you mean \"exec\"?)"));
	CHECK(logged("cw.ini:3: unknown key \"comand\" (did you mean "
	    "\"command\"?)"));
	CHECK(logged("cw.ini:4: unknown key \"cert\" (did you mean "
	    "\"certs\"?)"));
	CHECK(logged("cw.ini:5: unknown key \"min_intervl\" (did you mean "
	    "\"min_interval\"?)"));
	CHECK(not_logged("type is missing"));
	CHECK(logged("cw.ini: 4 errors"));

	CHECK(load("[action a]\ntype = exec\ncommand = true\n"
	    "colour = blue\n") == NULL);
	CHECK(logged("cw.ini:4: unknown key \"colour\"\n"));
}

/* A section with a bad or repeated name still has its keys checked. */
static void
test_bad_section_keys(void)
{
	CHECK(load("[action a!]\ntype = exec\ncomand = true\n") == NULL);
	CHECK(logged("cw.ini:1: \"a!\": action names are letters"));
	CHECK(logged("cw.ini:3: unknown key \"comand\" (did you mean"));
	CHECK(logged("cw.ini:1: [action a!]: type exec needs command"));
	CHECK(logged("cw.ini: 3 errors"));

	CHECK(load("[action a]\ntype = exec\ncommand = true\n"
	    "[action a]\ntype = exex\n") == NULL);
	CHECK(logged("cw.ini:4: [action a] given twice"));
	CHECK(logged("cw.ini:5: type = exex: type must be"));
	CHECK(logged("cw.ini: 2 errors"));
}

/* A refused value is one error: the key counts as given after it. */
static void
test_refused_is_given(void)
{
	CHECK(load("[action n]\ntype = signal\npidfile = relative.pid\n"
	    "process = /usr/sbin/nginx\n") == NULL);
	CHECK(logged("cw.ini:3: pidfile = relative.pid: "));
	CHECK(logged("cw.ini:4: process = /usr/sbin/nginx: must be a"));
	CHECK(not_logged("needs"));
	CHECK(logged("cw.ini: 2 errors"));

	CHECK(load("[action d]\ntype = docker\ncontainer = c\n"
	    "docker_action = exce\nexec = nginx -s reload\n"
	    "install_key = /k/%x\ninstall_group = 0\n"
	    "verify = nowhere\nverify_timeout = 5s\n") == NULL);
	CHECK(logged("cw.ini:4: docker_action = exce: "));
	CHECK(logged("cw.ini:6: install_key = /k/%x: "));
	CHECK(logged("cw.ini:8: verify = nowhere: "));
	CHECK(not_logged("only for"));
	CHECK(not_logged("without verify"));
	CHECK(logged("cw.ini: 3 errors"));
}

/* An example pasted with its indent: each line said to be indented,
 * none joined to the value before it, the rest read as meant. */
static void
test_indented(void)
{
	CHECK(load("    [cert-watch]\n    live_dir = /srv/live\n"
	    "    state_file = /srv/s.json\n\t; a comment may be indented\n"
	    "    [action show]\n    type = exec\n    command = true\n")
	    == NULL);
	CHECK(logged("cw.ini:1: a [section] line must not be indented"));
	CHECK(logged("cw.ini:3: a key = value line must not be indented"));
	CHECK(logged("cw.ini:5: a [section] line must not be indented"));
	CHECK(logged("cw.ini:7: a key = value line must not be indented"));
	CHECK(not_logged("cw.ini:4"));
	CHECK(not_logged("given twice"));
	CHECK(not_logged("unknown key"));
	CHECK(not_logged("needs"));
	CHECK(logged("cw.ini: 6 errors"));

	CHECK(load("[action a]\ntype = exec\ncommand = true\n"
	    "  [action b]\ntype = exec\ncommand = true\n") == NULL);
	CHECK(logged("cw.ini:4: a [section] line must not be indented"));
	CHECK(logged("cw.ini: 1 error\n"));

	CHECK(load("[cert-watch]\nlive_dir = /srv/live\n"
	    "  state_file = /srv/s.json\n[action a]\ntype = exec\n"
	    "command = true\n  and more\n") == NULL);
	CHECK(logged("cw.ini:3: a key = value line must not be indented"));
	CHECK(logged("cw.ini:7: line must not be indented"));
	CHECK(not_logged("given twice"));
	CHECK(logged("cw.ini: 2 errors"));
}

static void
test_errors(void)
{
	char	 longline[400];

	CHECK(load("[cert-watch]\nsettle_msec = 5\n") == NULL);
	CHECK(logged("cw.ini:2: unknown key \"settle_msec\" "
	    "(did you mean \"settle_ms\"?)"));
	CHECK(logged("no [action NAME] section"));

	CHECK(load("[cert-watch]\nsettle_ms = 5\nsettle_ms = 6\n"
	    "[cert-watch]\n[weird]\nx = 1\n[action a]\ntype = exec\n"
	    "command = true\n[action a]\n") == NULL);
	CHECK(logged("cw.ini:3: \"settle_ms\" given twice"));
	CHECK(logged("cw.ini:4: [cert-watch] given twice"));
	CHECK(logged("cw.ini:5: unknown section [weird]"));
	CHECK(logged("cw.ini:10: [action a] given twice"));

	CHECK(load("x = 1\n[cert-watch]\nlive_dir = relative\n"
	    "settle_ms = soon\nmax_settle_ms = 100\nsettle_ms = 200\n"
	    "just words\n[action b/c]\n") == NULL);
	CHECK(logged("cw.ini:1: key outside of any section"));
	CHECK(logged("cw.ini:3: live_dir: \"relative\" is not an absolute"));
	CHECK(logged("cw.ini:4: settle_ms: \"soon\" is not a duration"));
	CHECK(logged("cw.ini:7: expected KEY = VALUE"));
	CHECK(logged("cw.ini:8: \"b/c\": action names"));

	CHECK(load("[cert-watch]\nmax_settle_ms = 100\nsettle_ms = 200\n"
	    "[action a]\ntype = exec\ncommand = true\ncerts = ../x\n"
	    "retry_max = 0\nmin_interval = 5 parsecs\n") == NULL);
	CHECK(logged("max_settle_ms (100) is below settle_ms (200)"));
	CHECK(logged("cw.ini:7: certs: \"../x\" is not a certificate"));
	CHECK(logged("cw.ini:8: retry_max: \"0\""));
	CHECK(logged("cw.ini:9: min_interval: \"5 parsecs\""));

	memset(longline, 'a', sizeof(longline) - 2);
	memcpy(longline, "live_dir = /", 12);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	CHECK(load("[cert-watch]\n") == NULL);
	{
		char	 text[600];

		snprintf(text, sizeof(text), "[cert-watch]\n%s[action a]\n"
		    "type = exec\ncommand = true\n", longline);
		CHECK(load(text) == NULL);
		CHECK(logged("cw.ini:2: line longer than"));
	}
}

/* The folder of state_file must exist: cert-watch does not make it. */
static void
test_state_dir(void)
{
	struct cw_config	*c;
	char			 text[512], want[512];
	int			 rc;

	snprintf(text, sizeof(text), "[cert-watch]\nstate_file = %s/no/s.json"
	    "\n[action a]\ntype = exec\ncommand = true\n", dir);
	c = load(text);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(c->state_file_line == 2);
	rc = capture_check(c, true, CONFIG_UNIT_STATE_DIR);
	CHECK(rc == -1);
	snprintf(want, sizeof(want), "cw.ini:2: state_file %s/no/s.json: "
	    "%s/no does not exist", dir, dir);
	CHECK(logged(want));
	free(c->state_file);
	snprintf(want, sizeof(want), "%s/cw.ini/s.json", dir);
	c->state_file = strdup(want);
	CHECK(capture_check(c, false, CONFIG_UNIT_STATE_DIR) == -1);
	CHECK(logged("cw.ini: not a directory"));
	free(c->state_file);
	snprintf(want, sizeof(want), "%s/s.json", dir);
	c->state_file = strdup(want);
	CHECK(capture_check(c, false, CONFIG_UNIT_STATE_DIR) == 0);
	config_free(c);
}

/* --check reports a missing folder of state_file with the other
 * errors, and none for a state_file it refused. */
static void
test_check_all_errors(void)
{
	char	 text[512], want[512];

	snprintf(text, sizeof(text), "[cert-watch]\nstate_file = %s/no/s.json"
	    "\nsettle_ms = soon\n[action a]\ntype = exec\ncommand = true\n",
	    dir);
	CHECK(load_with(config_load_check, text) == NULL);
	CHECK(logged("cw.ini:3: settle_ms: \"soon\" is not a duration"));
	snprintf(want, sizeof(want), "cw.ini:2: state_file %s/no/s.json: "
	    "%s/no does not exist", dir, dir);
	CHECK(logged(want));
	CHECK(logged("cw.ini: 2 errors"));

	CHECK(load_with(config_load_check, "[cert-watch]\n"
	    "state_file = relative\n[action a]\ntype = exec\n"
	    "command = true\n") == NULL);
	CHECK(logged("cw.ini:2: state_file: \"relative\" is not an"));
	CHECK(not_logged("/var/lib/cert-watch"));
	CHECK(logged("cw.ini: 1 error\n"));
}

/* Replaces c->state_file with DIR/rest. */
static void
set_state_file(struct cw_config *c, const char *rest)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rest);
	free(c->state_file);
	c->state_file = strdup(path);
}

/*
 * The shipped example names its state_file in the folder the unit
 * makes: --check before the unit first ran warns, whether the key is
 * written or not.  A missing folder under dir stands for that one.
 */
static void
test_example_state_dir(void)
{
	struct cw_config	*c;
	char			 unit_dir[512];

	capture_start();
	c = config_load("etc/cert-watch.ini");
	capture_end();
	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(c->state_file_line > 0);
	CHECK_STR(c->state_file, CONFIG_UNIT_STATE_DIR "/state.json");

	snprintf(unit_dir, sizeof(unit_dir), "%s/unit", dir);
	set_state_file(c, "unit/state.json");
	CHECK(capture_check(c, true, unit_dir) == 0);
	CHECK(logged("/unit does not exist yet; cert-watch.service makes"));
	CHECK(capture_check(c, false, unit_dir) == -1);
	CHECK(logged("/unit does not exist (cert-watch does not create"));

	/* The unit makes its folder, not one below it. */
	set_state_file(c, "unit/sub/state.json");
	CHECK(capture_check(c, true, unit_dir) == -1);
	CHECK(logged("/unit/sub does not exist (cert-watch does not"));
	config_free(c);
}

static void
test_durations(void)
{
	uint64_t	 v = 0;

	CHECK(config_parse_duration("250", 1, &v) == 0 && v == 250);
	CHECK(config_parse_duration("3", 1000, &v) == 0 && v == 3000);
	CHECK(config_parse_duration("3ms", 1000, &v) == 0 && v == 3);
	CHECK(config_parse_duration("2 h", 1, &v) == 0 && v == 7200000);
	CHECK(config_parse_duration("1m", 1, &v) == 0 && v == 60000);
	CHECK(config_parse_duration("-1", 1, &v) == -1);
	CHECK(config_parse_duration("", 1, &v) == -1);
	CHECK(config_parse_duration("5x", 1, &v) == -1);
	CHECK(config_parse_duration("99999999999", 1, &v) == -1);
}

static void
cleanup(void)
{
	char	 path[256];

	snprintf(path, sizeof(path), "%s/cw.ini", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/err", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	log_setup("cw_config", LOG_WARNING, false);
	if (mkdtemp(dir) == NULL)
		return 1;
	test_good();
	test_defaults();
	test_errors();
	test_action_hints();
	test_bad_section_keys();
	test_refused_is_given();
	test_indented();
	test_state_dir();
	test_example_state_dir();
	test_check_all_errors();
	test_durations();
	cleanup();
	return t_done("cw_config");
}
