/*
 * type = exec: the environment a command sees, per_cert runs, exit
 * codes, output logged by line, and the timeout that kills the group.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_action_t.h"
#include "fsutil.h"

static char	 dir[] = "/tmp/cw_action_exec.XXXXXX";
static char	 d1[] = "a.example.org", d2[] = "www.a.example.org";
static char *const doms[] = { d1, d2 };
static const struct changed_cert certs[] = {
	{ "a.example.org", "/live/a.example.org", doms, 2 },
	{ "b", "/live/b", doms, 1 },
};

/* An exec action with command cmd (and per_cert, timeout). */
static struct action *
exec_action(const char *cmd, const char *per_cert, const char *timeout)
{
	char		 c[512], p[32], t[32];
	const char	*kv[] = { "type=exec", c, p, t, NULL };
	int		 rc;
	struct action	*a;

	snprintf(c, sizeof(c), "command=%s", cmd);
	snprintf(p, sizeof(p), "per_cert=%s", per_cert);
	snprintf(t, sizeof(t), "timeout=%s", timeout);
	a = section("e", kv, &rc);
	CHECK(rc == 0);
	return a;
}

static char *
slurp(const char *name)
{
	char	 path[256], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file(path, 65536, &text, NULL) != 0)
		return NULL;
	return text;
}

static void
test_env(void)
{
	struct action	*a;
	char		*out;

	setenv("NOTIFY_SOCKET", "/run/notify", 1);
	setenv("WATCHDOG_USEC", "1000000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	setenv("RENEWED_LINEAGE", "/stale", 1);
	a = exec_action("echo \"$CERT_WATCH_NAMES|$CERT_WATCH_LINEAGES|"
	    "${NOTIFY_SOCKET-none}|${WATCHDOG_USEC-none}|"
	    "${WATCHDOG_PID-none}|${RENEWED_LINEAGE-none}|$KEEP\" "
	    "> \"$T_DIR/env\"", "no", "10");
	setenv("KEEP", "kept", 1);
	CHECK(run_quiet(a, certs, 2) == 0);
	out = slurp("env");
	CHECK_STR(out, "a.example.org b|/live/a.example.org /live/b|none|"
	    "none|none|none|kept\n");
	free(out);
	action_free(a);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("RENEWED_LINEAGE");
}

static void
test_per_cert(void)
{
	struct action	*a;
	char		*out;

	a = exec_action("echo \"$CERT_WATCH_NAMES:$RENEWED_LINEAGE:"
	    "$RENEWED_DOMAINS\" >> \"$T_DIR/per\"", "yes", "10");
	CHECK(run_quiet(a, certs, 2) == 0);
	out = slurp("per");
	CHECK_STR(out, "a.example.org:/live/a.example.org:a.example.org "
	    "www.a.example.org\nb:/live/b:a.example.org\n");
	free(out);
	action_free(a);
}

static void
test_output_and_status(void)
{
	struct action	*a;

	a = exec_action("printf 'one\\ntwo\\n'; read x; echo \"[$x]\"; "
	    "printf 'tail \\033'; exit 3", "no", "10");
	CHECK(run_quiet(a, certs, 1) == -1);
	CHECK_LOG("action e: one\n");
	CHECK_LOG("action e: two\n");
	CHECK_LOG("action e: []\n");
	CHECK_LOG("action e: tail \\x1b\n");
	CHECK_LOG("exit status 3");
	action_free(a);

	/* Without info level, a failure still shows the last lines. */
	log_setup("cw_action_exec", LOG_WARNING, false);
	a = exec_action("seq 1 12; exit 1", "no", "10");
	CHECK(run_quiet(a, certs, 1) == -1);
	CHECK(strstr(logged(), "output: 2\n") == NULL);
	CHECK_LOG("action e: output: 3\n");
	CHECK_LOG("action e: output: 12\n");
	action_free(a);
	a = exec_action("echo fine", "no", "10");
	CHECK(run_quiet(a, certs, 1) == 0);
	CHECK(strstr(logged(), "fine") == NULL);
	action_free(a);
	log_setup("cw_action_exec", LOG_DEBUG, false);

	a = exec_action("kill -TERM $$", "no", "10");
	CHECK(run_quiet(a, certs, 1) == -1);
	CHECK_LOG("killed by signal 15");
	action_free(a);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether pid is dead (a zombie waiting for init to reap it counts). */
static bool
gone(pid_t pid)
{
	char	 path[64], *stat = NULL, *p;
	bool	 dead;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, 4096, &stat, NULL) != 0)
		return true;
	p = strrchr(stat, ')');
	dead = p != NULL && (p[2] == 'Z' || p[2] == 'X');
	free(stat);
	return dead;
}

static void
test_timeout(void)
{
	struct action	*a;
	long long	 t0;
	char		*pid;

	/* The background sleep is in the command's group: killed too. */
	a = exec_action("sleep 30 & echo $! > \"$T_DIR/bg\"; sleep 30",
	    "no", "300ms");
	t0 = now_ms();
	CHECK(run_quiet(a, certs, 1) == -1);
	CHECK(now_ms() - t0 < 3000);
	CHECK_LOG("still running after 300 ms, killed");
	pid = slurp("bg");
	CHECK(pid != NULL);
	if (pid != NULL) {
		/* SIGKILL is delivered at once, but the process leaves
		 * /proc only once it has exited: allow it a moment. */
		for (int i = 0; i < 200 && !gone(atoi(pid)); i++)
			usleep(10000);
		CHECK(gone(atoi(pid)));
		free(pid);
	}
	action_free(a);

	/* A daemon it starts keeps the pipe open; that is not waited on. */
	a = exec_action("sleep 5 > /dev/null 2>&1 & sleep 5 & echo ok",
	    "no", "10");
	t0 = now_ms();
	CHECK(run_quiet(a, certs, 1) == 0);
	CHECK(now_ms() - t0 < 3000);
	action_free(a);
}

static void
cleanup(void)
{
	const char *const	 files[] = { "env", "per", "bg" };
	char			 path[256];
	size_t			 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
main(void)
{
	log_setup("cw_action_exec", LOG_DEBUG, false);
	if (mkdtemp(dir) == NULL || setenv("T_DIR", dir, 1) == -1)
		return 2;
	test_env();
	test_per_cert();
	test_output_and_status();
	test_timeout();
	cleanup();
	return t_done("cw_action_exec");
}
