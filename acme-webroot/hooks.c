/*
 * Running the administrator's hooks with a clean, bounded environment.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "hooks.h"

extern char	**environ;

/* Between SIGTERM and SIGKILL to a hook's process group. */
#define KILL_GRACE	5
/* Longest piece of output logged as one line. */
#define LINE_MAX_LOG	4096

/* The environment of one hook, and what must be freed after it. */
struct hook_env {
	char	**envp;		/* NULL-terminated, for execve */
	size_t	  n;
	char	**owned;	/* strings we allocated */
	size_t	  nowned;
	char	**files;	/* temporary files holding large values */
	size_t	  nfiles;
};

/* The output of a running hook, cut into lines. */
#define TAIL_LINES	10

struct hook_out {
	const char	*label;
	int		 fd;		/* read end of the pipe, or -1 */
	char		 buf[LINE_MAX_LOG];
	size_t		 len;
	/* The last lines, escaped: shown with the error when the hook
	 * fails and its output was not logged at the current level. */
	char		*tail[TAIL_LINES];
	size_t		 ntail;
};

static void
tail_keep(struct hook_out *o, const char *line)
{
	char	*copy = strdup(line);

	if (copy == NULL)
		return;
	if (o->ntail == TAIL_LINES) {
		free(o->tail[0]);
		memmove(o->tail, o->tail + 1,
		    (TAIL_LINES - 1) * sizeof(o->tail[0]));
		o->ntail--;
	}
	o->tail[o->ntail++] = copy;
}

/* After a failure: the last lines, unless they were shown already.
 * A warning each: the error is the exit status reported after them. */
static void
tail_flush(struct hook_out *o, bool failed)
{
	size_t	 i;

	for (i = 0; i < o->ntail; i++) {
		if (failed && !log_enabled(LOG_NOTICE))
			log_warn("%s: %s", o->label, o->tail[i]);
		free(o->tail[i]);
	}
	o->ntail = 0;
}

static bool
env_is(const char *entry, const char *name)
{
	size_t	 len = strlen(name);

	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* Whether an inherited variable is dropped or replaced by ours. */
static bool
env_dropped(const char *entry, const struct hook_var *vars, size_t nvars)
{
	static const char *const drop[] = { "NOTIFY_SOCKET", "WATCHDOG_PID",
	    "WATCHDOG_USEC", "PATH" };
	char	 file[256];
	size_t	 i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (env_is(entry, drop[i]))
			return true;
	for (i = 0; i < nvars; i++) {
		snprintf(file, sizeof(file), "%s_FILE", vars[i].name);
		if (env_is(entry, vars[i].name) || env_is(entry, file))
			return true;
	}
	return false;
}

static int
env_add(struct hook_env *e, char *s)
{
	if (s == NULL)
		return -1;
	e->owned[e->nowned++] = s;
	e->envp[e->n++] = s;
	return 0;
}

/* PATH as cron leaves it, with the sbin directories added. */
static char *
env_path(void)
{
	static const char *const sbin[] = { "/usr/local/sbin", "/usr/sbin",
	    "/sbin" };
	const char	*path = getenv("PATH");
	char		*out, *tmp;
	size_t		 i, len;

	if (path == NULL || *path == '\0')
		return strdup("PATH=/usr/local/sbin:/usr/local/bin:"
		    "/usr/sbin:/usr/bin:/sbin:/bin");
	if (asprintf(&out, "PATH=%s", path) == -1)
		return NULL;
	for (i = 0; i < sizeof(sbin) / sizeof(sbin[0]); i++) {
		len = strlen(sbin[i]);
		/* Present as a whole component: ":DIR:" in ":PATH:". */
		tmp = strstr(out + 4, sbin[i]);
		while (tmp != NULL && !((tmp[-1] == ':' || tmp[-1] == '=') &&
		    (tmp[len] == ':' || tmp[len] == '\0')))
			tmp = strstr(tmp + 1, sbin[i]);
		if (tmp != NULL)
			continue;
		if (asprintf(&tmp, "%s:%s", out, sbin[i]) == -1) {
			free(out);
			return NULL;
		}
		free(out);
		out = tmp;
	}
	return out;
}

/* Writes a value too large for the environment into a file. */
static char *
value_file(struct hook_env *e, const struct hook_var *v)
{
	const char	*dir = getenv("TMPDIR");
	char		*path = NULL, *entry = NULL;
	size_t		 len = strlen(v->value);
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if (asprintf(&path, "%s/acme-webroot-%s-XXXXXX", dir,
	    v->name) == -1)
		return NULL;
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1) {
		log_err("%s: create: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	e->files[e->nfiles++] = path;
	if (write(fd, v->value, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1) {
		log_err("%s: write: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	close(fd);
	if (asprintf(&entry, "%s_FILE=%s", v->name, path) == -1)
		return NULL;
	return entry;
}

static void
env_free(struct hook_env *e)
{
	size_t	 i;

	for (i = 0; i < e->nowned; i++)
		free(e->owned[i]);
	for (i = 0; i < e->nfiles; i++) {
		unlink(e->files[i]);
		free(e->files[i]);
	}
	free(e->owned);
	free(e->files);
	free(e->envp);
	memset(e, 0, sizeof(*e));
}

static int
env_build(struct hook_env *e, const struct hook_var *vars, size_t nvars)
{
	size_t	 i, total = 0;
	char	*s;

	memset(e, 0, sizeof(*e));
	while (environ[total] != NULL)
		total++;
	e->envp = calloc(total + nvars + 2, sizeof(*e->envp));
	e->owned = calloc(nvars + 1, sizeof(*e->owned));
	e->files = calloc(nvars + 1, sizeof(*e->files));
	if (e->envp == NULL || e->owned == NULL || e->files == NULL)
		goto fail;

	for (i = 0; i < total; i++)
		if (!env_dropped(environ[i], vars, nvars))
			e->envp[e->n++] = environ[i];
	if (env_add(e, env_path()) == -1)
		goto fail;
	for (i = 0; i < nvars; i++) {
		if (strlen(vars[i].value) > HOOK_VALUE_MAX)
			s = value_file(e, &vars[i]);
		else if (asprintf(&s, "%s=%s", vars[i].name,
		    vars[i].value) == -1)
			s = NULL;
		if (env_add(e, s) == -1)
			goto fail;
	}
	return 0;
fail:
	log_err("hook environment: cannot be built: %s", strerror(errno));
	env_free(e);
	return -1;
}

/*
 * In the child, between fork and exec: only async-signal-safe calls.
 * The hook gets /dev/null as stdin, the pipe as stdout and stderr,
 * nothing else, default signal handling, and its own process group.
 */
static void
child(int devnull, int out, const char *path, char *const argv[],
    char *const envp[])
{
	struct sigaction	 sa;
	sigset_t		 none;
	const char		*msg;
	int			 sig, fd;

	setpgid(0, 0);
	if (dup2(devnull, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(out, 2) == -1)
		_exit(126);
	if (close_range(3, ~0U, 0) == -1)
		for (fd = 3; fd < 65536; fd++)
			close(fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, envp);
	msg = "cannot be executed\n";
	if (write(2, msg, strlen(msg)) == -1)
		_exit(127);
	_exit(127);
}

/* Logs each complete line of buf; with flush, the rest too. */
static void
out_lines(struct hook_out *o, bool flush)
{
	char	*nl, *esc;
	size_t	 start = 0, len;

	while (start < o->len) {
		nl = memchr(o->buf + start, '\n', o->len - start);
		if (nl == NULL && !flush && o->len < sizeof(o->buf))
			break;
		len = nl != NULL ? (size_t)(nl - o->buf) - start :
		    o->len - start;
		esc = log_escape(o->buf + start, len, LINE_MAX_LOG);
		log_notice("%s: %s", o->label, esc);
		tail_keep(o, esc);
		log_escape_free(esc);
		start += len + (nl != NULL);
	}
	memmove(o->buf, o->buf + start, o->len - start);
	o->len -= start;
}

/* Reads what the pipe holds now; closes it at EOF or on error. */
static void
out_read(struct hook_out *o)
{
	ssize_t	 n;

	while (o->fd != -1) {
		n = read(o->fd, o->buf + o->len, sizeof(o->buf) - o->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(o->fd);
			o->fd = -1;
			return;
		}
		o->len += (size_t)n;
		out_lines(o, false);
	}
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Signals the hook's group when its time is up: TERM at the deadline,
 * KILL after the grace.  Returns the next deadline.
 */
static double
enforce_timeout(const char *label, pid_t pid, unsigned timeout, int *stage,
    double deadline)
{
	if (now() < deadline || *stage == 2)
		return deadline;
	if (*stage == 0) {
		log_err("%s: still running after %u s, sending SIGTERM",
		    label, timeout);
		kill(-pid, SIGTERM);
		*stage = 1;
		return now() + KILL_GRACE;
	}
	log_err("%s: still running, sending SIGKILL", label);
	kill(-pid, SIGKILL);
	*stage = 2;
	return now() + 1e9;
}

/*
 * Waits for the hook to exit while logging its output.  The exit of
 * the process ends the wait, not EOF on the pipe: a daemon it leaves
 * in the background may keep the pipe open forever.  A pidfd wakes
 * us at the exit; without one (old kernels) we look every 100 ms.
 */
static int
wait_hook(struct hook_out *o, pid_t pid, unsigned timeout, int *status)
{
	struct pollfd	 pfd[2];
	double		 deadline = now() + (timeout > 0 ? timeout : 1e9);
	int		 pidfd, stage = 0, nfds, ms;
	pid_t		 r;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			log_err("%s: waitpid: %s", o->label, strerror(errno));
			break;
		}
		deadline = enforce_timeout(o->label, pid, timeout, &stage,
		    deadline);
		nfds = 0;
		if (o->fd != -1)
			pfd[nfds++] = (struct pollfd){ o->fd, POLLIN, 0 };
		if (pidfd != -1)
			pfd[nfds++] = (struct pollfd){ pidfd, POLLIN, 0 };
		ms = (int)((deadline - now()) * 1000) + 1;
		if (ms < 0)
			ms = 0;
		if (pidfd == -1 && ms > 100)
			ms = 100;
		if (ms > 60000)
			ms = 60000;
		if (poll(pfd, (nfds_t)nfds, ms) > 0 && o->fd != -1 &&
		    pfd[0].revents != 0)
			out_read(o);
	}
	if (pidfd != -1)
		close(pidfd);
	/* Whatever it wrote before exiting, without waiting for more. */
	out_read(o);
	out_lines(o, true);
	return r == pid ? 0 : -1;
}

static int
report(const char *label, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("%s: done", label);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		log_err("%s: exited with status 127 (command not found?)",
		    label);
	else if (WIFEXITED(status))
		log_err("%s: exited with status %d", label,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_err("%s: killed by signal %d (%s)", label,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		log_err("%s: ended with wait status %#x", label, status);
	return -1;
}

/* Runs path with argv and the hook environment; see hook_run. */
static int
spawn(const char *label, const char *path, char *const argv[],
    const struct hook_var *vars, size_t nvars, unsigned timeout)
{
	struct hook_env	 env;
	struct hook_out	 o = { .label = label, .fd = -1 };
	int		 p[2] = { -1, -1 }, devnull = -1, status, rc = -1;
	pid_t		 pid;

	if (env_build(&env, vars, nvars) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1 ||
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		log_err("%s: cannot start: %s", label, strerror(errno));
		goto out;
	}
	log_info("%s: running", label);
	if ((pid = fork()) == -1) {
		log_err("%s: fork: %s", label, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(devnull, p[1], path, argv, env.envp);
	/* Also here, so that a timeout cannot come before the child's. */
	setpgid(pid, pid);
	close(p[1]);
	p[1] = -1;
	o.fd = p[0];
	p[0] = -1;
	/* Our end only: reads stop at what is there, never wait for more. */
	if (fcntl(o.fd, F_SETFL, O_NONBLOCK) == -1)
		log_warn("%s: output pipe: %s", label, strerror(errno));
	if (wait_hook(&o, pid, timeout, &status) == 0) {
		/* What it said comes before the verdict that ends it. */
		tail_flush(&o, !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0);
		rc = report(label, status);
	}
out:
	tail_flush(&o, rc == -1);
	if (o.fd != -1)
		close(o.fd);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	if (devnull != -1)
		close(devnull);
	env_free(&env);
	return rc;
}

int
hook_run(const char *label, const char *command,
    const struct hook_var *vars, size_t nvars, unsigned timeout)
{
	char	 sh[] = "/bin/sh", c[] = "-c";
	char	*argv[] = { sh, c, NULL, NULL };

	/* execve's argv is not const, but it is left unchanged. */
	argv[2] = (char *)(uintptr_t)command;
	return spawn(label, sh, argv, vars, nvars, timeout);
}

static int
not_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* Plain byte order, whatever the locale. */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
hook_run_dir(const char *dir, const struct hook_var *vars, size_t nvars,
    unsigned timeout)
{
	struct dirent	**list;
	struct stat	  st;
	char		  path[PATH_MAX], *argv[2];
	int		  n, i, rc = 0;

	if ((n = scandir(dir, &list, not_hidden, by_name)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    list[i]->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
		    access(path, X_OK) == -1) {
			log_debug("%s: not an executable file, skipped",
			    path);
			continue;
		}
		argv[0] = path;
		argv[1] = NULL;
		if (spawn(path, path, argv, vars, nvars, timeout) == -1)
			rc = -1;
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}
