/*
 * Hooks: the environment they see, the descriptors they do not, their
 * output in the log, exit statuses, timeouts and background children.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "hooks.h"
#include "log.h"
#include "t.h"

static char	 top[256];
static char	 logpath[PATH_MAX];
static int	 saved_stderr = -1;

/* Sends the log (stderr) into a fresh file until log_end(). */
static void
log_begin(void)
{
	int	 fd;

	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* What was logged since log_begin(); the caller frees it. */
static char *
log_end(void)
{
	char	*text = NULL;

	dup2(saved_stderr, 2);
	close(saved_stderr);
	if (read_file(logpath, 1 << 20, &text, NULL) != 0)
		return strdup("");
	return text;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_environment(void)
{
	struct hook_var	 vars[] = {
		{ "RENEWED_LINEAGE", "/etc/letsencrypt/live/a.org" },
		{ "RENEWED_DOMAINS", "a.org www.a.org" },
	};
	char		 cmd[512], *out;
	int		 fd;

	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	setenv("WATCHDOG_PID", "1", 1);
	setenv("WATCHDOG_USEC", "1000", 1);
	setenv("RENEWED_DOMAINS_FILE", "/stale", 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	/* A descriptor without close-on-exec: the hook must not have it. */
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 3);
	snprintf(cmd, sizeof(cmd),
	    "echo \"L=$RENEWED_LINEAGE D=$RENEWED_DOMAINS\"; "
	    "echo \"N=${NOTIFY_SOCKET-unset} W=${WATCHDOG_PID-unset}"
	    "${WATCHDOG_USEC-unset} F=${RENEWED_DOMAINS_FILE-unset}\"; "
	    "echo \"P=$PATH\"; "
	    "if [ -e /proc/$$/fd/%d ]; then echo fd-open; "
	    "else echo fd-closed; fi; "
	    "read line; echo \"stdin=$?\"", fd);
	log_begin();
	CHECK(hook_run("deploy_hook", cmd, vars, 2, 10) == 0);
	out = log_end();
	close(fd);
	CHECK(strstr(out, "deploy_hook: L=/etc/letsencrypt/live/a.org "
	    "D=a.org www.a.org\n") != NULL);
	CHECK(strstr(out, "deploy_hook: N=unset W=unsetunset F=unset\n") !=
	    NULL);
	CHECK(strstr(out, "deploy_hook: P=/usr/bin:/bin:/usr/local/sbin:"
	    "/usr/sbin:/sbin\n") != NULL);
	CHECK(strstr(out, "deploy_hook: fd-closed\n") != NULL);
	CHECK(strstr(out, "deploy_hook: stdin=1\n") != NULL);
	free(out);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	unsetenv("RENEWED_DOMAINS_FILE");

	/* PATH already complete stays as it is. */
	setenv("PATH", "/sbin:/usr/sbin:/usr/local/sbin:/bin:/usr/bin", 1);
	log_begin();
	CHECK(hook_run("h", "echo \"P=$PATH\"", NULL, 0, 10) == 0);
	out = log_end();
	CHECK(strstr(out, "h: P=/sbin:/usr/sbin:/usr/local/sbin:/bin:"
	    "/usr/bin\n") != NULL);
	free(out);
	setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
}

static void
test_status(void)
{
	char	*out;

	log_begin();
	CHECK(hook_run("post_hook", "printf 'one\\ntwo'; exit 3", NULL, 0,
	    10) == -1);
	out = log_end();
	CHECK(strstr(out, "post_hook: one\n") != NULL);
	CHECK(strstr(out, "post_hook: two\n") != NULL);
	CHECK(strstr(out, "post_hook: exited with status 3\n") != NULL);
	free(out);

	log_begin();
	CHECK(hook_run("pre_hook", "kill -USR1 $$", NULL, 0, 10) == -1);
	out = log_end();
	CHECK(strstr(out, "pre_hook: killed by signal 10") != NULL);
	free(out);

	CHECK(hook_run("true", "true", NULL, 0, 10) == 0);
}

static void
test_timeout(void)
{
	struct timespec	 t0;
	char		*out;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_begin();
	CHECK(hook_run("slow", "sleep 100", NULL, 0, 1) == -1);
	out = log_end();
	CHECK(elapsed(&t0) >= 1 && elapsed(&t0) < 8);
	CHECK(strstr(out, "slow: still running after 1 s, sending SIGTERM")
	    != NULL);
	free(out);

	/* One that ignores SIGTERM gets SIGKILL after the grace. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_begin();
	CHECK(hook_run("stubborn", "trap '' TERM; sleep 100", NULL, 0, 1) ==
	    -1);
	out = log_end();
	CHECK(elapsed(&t0) < 15);
	CHECK(strstr(out, "stubborn: still running, sending SIGKILL") !=
	    NULL);
	free(out);
}

/* A hook that leaves a daemon holding its stdout open. */
static void
test_background(void)
{
	struct timespec	 t0;
	char		 cmd[PATH_MAX + 64], pidfile[PATH_MAX], *pid = NULL;

	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", top);
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s; echo started",
	    pidfile);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(hook_run("bg", cmd, NULL, 0, 60) == 0);
	CHECK(elapsed(&t0) < 5);
	CHECK(read_file(pidfile, 64, &pid, NULL) == 0);
	if (pid != NULL && atoi(pid) > 1)
		kill(atoi(pid), SIGKILL);
	free(pid);
}

static void
test_huge(void)
{
	struct hook_var	 var = { "RENEWED_DOMAINS", NULL };
	char		*big, *out, want[64];
	size_t		 len = 100 * 1024, i;

	big = malloc(len + 1);
	for (i = 0; i < len; i++)
		big[i] = i % 12 == 11 ? ' ' : 'a';
	big[len] = '\0';
	var.value = big;
	log_begin();
	CHECK(hook_run("deploy_hook", "echo \"set=${RENEWED_DOMAINS+yes}\"; "
	    "wc -c < \"$RENEWED_DOMAINS_FILE\"", &var, 1, 10) == 0);
	out = log_end();
	CHECK(strstr(out, "deploy_hook: set=\n") != NULL);
	snprintf(want, sizeof(want), "deploy_hook: %zu\n", len + 1);
	CHECK(strstr(out, want) != NULL);
	free(out);
	free(big);
}

static void
write_script(const char *name, const char *body, mode_t mode)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/hooks/%s", top, name);
	CHECK(atomic_write(path, body, strlen(body), mode, GID_KEEP) == 0);
}

static void
test_dir(void)
{
	struct hook_var	 var = { "RENEWED_LINEAGE", "/x/live/a.org" };
	char		 dir[PATH_MAX], *out;

	snprintf(dir, sizeof(dir), "%s/hooks", top);
	CHECK(hook_run_dir(dir, &var, 1, 10) == 0);
	CHECK(mkdir(dir, 0755) == 0);
	write_script("02-b", "#!/bin/sh\necho \"b $RENEWED_LINEAGE\"\n",
	    0755);
	write_script("01-a", "#!/bin/sh\necho a\n", 0755);
	write_script("10-fails", "#!/bin/sh\nexit 4\n", 0755);
	write_script(".hidden", "#!/bin/sh\necho hidden\n", 0755);
	write_script("not-exec", "#!/bin/sh\necho not-exec\n", 0644);
	log_begin();
	CHECK(hook_run_dir(dir, &var, 1, 10) == -1);
	out = log_end();
	CHECK(strstr(out, "/hooks/01-a: a\n") != NULL);
	CHECK(strstr(out, "/hooks/02-b: b /x/live/a.org\n") != NULL);
	CHECK(strstr(out, "/hooks/01-a: a\n") < strstr(out, "/hooks/02-b:"));
	CHECK(strstr(out, "/hooks/10-fails: exited with status 4") != NULL);
	CHECK(strstr(out, "hidden") == NULL);
	CHECK(strstr(out, "not-exec:") == NULL);
	free(out);
}

int
main(void)
{
	char	 cmd[PATH_MAX + 16];

	log_setup("aw_hooks", LOG_NOTICE, false);
	snprintf(top, sizeof(top), "/tmp/aw_hooks.XXXXXX");
	if (mkdtemp(top) == NULL)
		return 1;
	snprintf(logpath, sizeof(logpath), "%s/log", top);
	setenv("TMPDIR", top, 1);

	test_environment();
	test_status();
	test_timeout();
	test_background();
	test_huge();
	test_dir();

	/* The file that carried the huge value is gone. */
	snprintf(cmd, sizeof(cmd), "ls %s | grep -q acme-webroot-", top);
	CHECK(system(cmd) != 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: not removed\n", top);
	return t_done("aw_hooks");
}
