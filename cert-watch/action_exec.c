/*
 * type = exec: a command through /bin/sh -c, told which certificates
 * changed through its environment, its output logged line by line, its
 * process group killed when it runs past the timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "action-impl.h"
#include "log.h"

#define LINE_MAX_LEN	1024
#define TAIL_LINES	10
/* Without a pidfd (pidfd_open is ENOSYS before Linux 5.3, under some
 * seccomp filters and under valgrind), how often the exit is looked
 * for. */
#define EXIT_POLL_MS	50

extern char **environ;

/* Variables a child must not see from the daemon's environment: the
 * notify socket and watchdog are the daemon's alone, and the others
 * are set anew. */
static const char *const hidden_env[] = {
	"NOTIFY_SOCKET=", "WATCHDOG_PID=", "WATCHDOG_USEC=",
	"CERT_WATCH_NAMES=", "CERT_WATCH_LINEAGES=", "RENEWED_LINEAGE=",
	"RENEWED_DOMAINS=",
};

static bool
hidden(const char *var)
{
	size_t	 i;

	for (i = 0; i < sizeof(hidden_env) / sizeof(hidden_env[0]); i++)
		if (strncmp(var, hidden_env[i], strlen(hidden_env[i])) == 0)
			return true;
	return false;
}

/* What a variable of the child's environment lists. */
enum words { NAMES, LINEAGES, DOMAINS };

/* "VAR=a b c": the names or lineages of the certificates, or the
 * domains of the first. */
static char *
joined(const char *var, const struct changed_cert *certs, size_t n,
    enum words what)
{
	char	*s = NULL;
	size_t	 len = 0, i;
	FILE	*f;

	if (what == DOMAINS)
		n = certs[0].ndomains;
	if ((f = open_memstream(&s, &len)) == NULL)
		return NULL;
	fprintf(f, "%s=", var);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", what == NAMES ?
		    certs[i].name : what == LINEAGES ? certs[i].lineage :
		    certs[0].domains[i]);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * The child's environment: the daemon's without hidden_env, then
 * CERT_WATCH_NAMES and CERT_WATCH_LINEAGES, and with one certificate
 * (per_cert) certbot's RENEWED_LINEAGE and RENEWED_DOMAINS.
 */
static char **
child_env(const struct changed_cert *certs, size_t n, bool per_cert)
{
	char	**env;
	size_t	  count = 0, i, k = 0;

	while (environ[count] != NULL)
		count++;
	if ((env = calloc(count + 5, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < count; i++)
		if (!hidden(environ[i]) &&
		    (env[k++] = strdup(environ[i])) == NULL)
			goto fail;
	if ((env[k++] = joined("CERT_WATCH_NAMES", certs, n, NAMES)) ==
	    NULL || (env[k++] = joined("CERT_WATCH_LINEAGES", certs, n,
	    LINEAGES)) == NULL)
		goto fail;
	if (per_cert && ((env[k++] = joined("RENEWED_LINEAGE", certs, 1,
	    LINEAGES)) == NULL || (env[k++] = joined("RENEWED_DOMAINS",
	    certs, 1, DOMAINS)) == NULL))
		goto fail;
	return env;
fail:
	strv_free(env);
	return NULL;
}

/* In the child: a process group of its own, stdin from /dev/null,
 * output to the pipe, the signal state of a fresh process. */
static void __attribute__((noreturn))
child(char **argv, char **env, int out)
{
	sigset_t	 none;
	int		 null, sig;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if ((null = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(126);
	closefrom(3);
	execve("/bin/sh", argv, env);
	_exit(127);
}

/*
 * The command's output: complete lines are logged at info level as
 * they come, and the last few are kept, so that a failure shows them
 * even when info is not logged.
 */
struct output {
	char	 buf[LINE_MAX_LEN + 1];
	size_t	 len;
	char	*tail[TAIL_LINES];	/* escaped, oldest first from next */
	size_t	 next;
};

static void
output_line(const struct action *a, struct output *o, const char *line,
    size_t len)
{
	char	*e = log_escape(line, len, LINE_MAX_LEN);

	log_info("action %s: %s", a->name, e);
	log_escape_free(o->tail[o->next]);
	o->tail[o->next] = e;
	o->next = (o->next + 1) % TAIL_LINES;
}

/* Takes the complete lines of o->buf (all of it with flush). */
static void
output_lines(const struct action *a, struct output *o, bool flush)
{
	char	*nl;
	size_t	 start = 0, l;

	while (start < o->len) {
		nl = memchr(o->buf + start, '\n', o->len - start);
		if (nl == NULL && !flush && o->len < LINE_MAX_LEN)
			break;
		l = nl != NULL ? (size_t)(nl - o->buf) - start :
		    o->len - start;
		output_line(a, o, o->buf + start, l);
		start += l + (nl != NULL);
	}
	memmove(o->buf, o->buf + start, o->len - start);
	o->len -= start;
}

/* After a failure, the last lines, unless info showed them already. */
static void
output_done(const struct action *a, struct output *o, bool failed)
{
	size_t	 i, k;

	for (i = 0; i < TAIL_LINES; i++) {
		k = (o->next + i) % TAIL_LINES;
		if (o->tail[k] == NULL)
			continue;
		if (failed && !log_enabled(LOG_INFO))
			log_err("action %s: output: %s", a->name, o->tail[k]);
		log_escape_free(o->tail[k]);
		o->tail[k] = NULL;
	}
}

/* Whether the child pid has exited; it is left for reap() to wait on. */
static bool
child_exited(pid_t pid)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si,
	    WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* How a relay ended. */
enum relay_end { EXITED, TIMED_OUT, STOPPING };

/*
 * Relays the child's output until it exits (its pidfd turns readable,
 * or, with pidfd -1, waitid says so), the deadline passes or the
 * daemon is told to stop.
 */
static enum relay_end
relay(const struct action *a, struct output *o, int out, int pidfd,
    pid_t pid)
{
	struct pollfd	 fds[2] = { { out, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
	ssize_t		 r;
	long long	 deadline, left;
	bool		 exited = false, stopping = false;

	deadline = action_now_ms() + action_timeout_ms(a);
	for (;;) {
		if ((stopping = action_keepalive()) ||
		    (left = deadline - action_now_ms()) <= 0)
			break;
		if (left > ACTION_KEEPALIVE_MS)
			left = ACTION_KEEPALIVE_MS;
		if (pidfd == -1 && left > EXIT_POLL_MS)
			left = EXIT_POLL_MS;
		if (poll(fds, 2, (int)left) == -1 && errno != EINTR)
			break;
		exited = exited || (pidfd != -1 ?
		    (fds[1].revents & POLLIN) != 0 : child_exited(pid));
		r = read(out, o->buf + o->len, LINE_MAX_LEN - o->len);
		if (r > 0) {
			o->len += (size_t)r;
			output_lines(a, o, false);
		} else if (r == 0)
			fds[0].fd = -1;
		/* Output of background children of the command may go
		 * on after it exited; it is not waited for. */
		if ((r <= 0 || fds[0].fd == -1) && exited)
			break;
	}
	output_lines(a, o, true);
	if (exited)
		return EXITED;
	return stopping ? STOPPING : TIMED_OUT;
}

/* Waits for the command (killing its group first when asked);
 * 0 when it exited with status 0. */
static int
reap(const struct action *a, pid_t pid, bool kill_group)
{
	int	 status;

	if (kill_group)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (kill_group)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		log_err("action %s: %s: exit status %d", a->name, a->command,
		    WEXITSTATUS(status));
	else
		log_err("action %s: %s: killed by signal %d", a->name,
		    a->command, WTERMSIG(status));
	return -1;
}

static int
run_command(const struct action *a, const struct changed_cert *certs,
    size_t n, bool per_cert)
{
	struct output	  o = { .len = 0 };
	char		**env = NULL, sh[] = "sh", dash_c[] = "-c";
	char		 *argv[] = { sh, dash_c, NULL, NULL };
	int		  pipefd[2] = { -1, -1 }, pidfd = -1, rc = -1;
	pid_t		  pid = -1;
	bool		  killed = false;
	enum relay_end	  end;

	if ((env = child_env(certs, n, per_cert)) == NULL ||
	    (argv[2] = strdup(a->command)) == NULL) {
		log_err("action %s: out of memory", a->name);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) == -1 ||
	    fcntl(pipefd[0], F_SETFL, O_NONBLOCK) == -1) {
		log_err("action %s: pipe: %s", a->name, strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		log_err("action %s: fork: %s", a->name, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, env, pipefd[1]);
	setpgid(pid, pid);
	close(pipefd[1]);
	pipefd[1] = -1;
	/* Without pidfds at all, the exit is polled for instead. */
	if ((pidfd = pidfd_open(pid, 0)) == -1 && errno != ENOSYS) {
		log_err("action %s: pidfd_open: %s", a->name,
		    strerror(errno));
		killed = true;
	} else if ((end = relay(a, &o, pipefd[0], pidfd, pid)) ==
	    TIMED_OUT) {
		log_err("action %s: %s: still running after %u ms, killed",
		    a->name, a->command, action_timeout_ms(a));
		killed = true;
	} else if (end == STOPPING) {
		action_abandoned(a->name);
		killed = true;
	}
	rc = reap(a, pid, killed);
out:
	output_done(a, &o, rc == -1);
	if (pidfd != -1)
		close(pidfd);
	if (pipefd[0] != -1)
		close(pipefd[0]);
	if (pipefd[1] != -1)
		close(pipefd[1]);
	strv_free(env);
	free(argv[2]);
	return rc;
}

int
exec_run(const struct action *a, const struct changed_cert *certs,
    size_t n)
{
	size_t	 i;

	if (!a->per_cert)
		return run_command(a, certs, n, false);
	for (i = 0; i < n; i++)
		if (run_command(a, &certs[i], 1, true) == -1)
			return -1;
	return 0;
}
