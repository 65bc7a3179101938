/*
 * type = signal: the pid file names a process, its command name is
 * checked, and the signal goes through a pidfd, so that a pid that was
 * recycled after the pid file was written is never signalled.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "action-impl.h"
#include "fsutil.h"
#include "log.h"

#define PIDFILE_MAX	64

pid_t
pidfile_parse(const char *text, size_t len)
{
	long long	 pid = 0;
	size_t		 i;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		pid = pid * 10 + (text[i] - '0');
	}
	return pid < 1 || pid > INT_MAX ? -1 : (pid_t)pid;
}

/* Reads /proc/PID/FILE's first line into buf. */
static int
proc_line(pid_t pid, const char *file, char *buf, size_t size)
{
	char	 path[64];
	FILE	*f;
	int	 rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(buf, (int)size, f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		rc = 0;
	}
	fclose(f);
	return rc;
}

/*
 * Whether pid runs process: its comm (cut by the kernel at 15 bytes)
 * or the base name of its executable.
 */
static bool
runs_process(pid_t pid, const char *process, char *comm, size_t size)
{
	char	 path[64], exe[PATH_MAX];
	ssize_t	 n;
	char	*base;

	if (proc_line(pid, "comm", comm, size) == -1)
		snprintf(comm, size, "(unknown)");
	else if (strncmp(comm, process, 15) == 0 &&
	    (strlen(process) <= 15 || strlen(comm) == 15))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) == -1)
		return false;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	return strcmp(base != NULL ? base + 1 : exe, process) == 0;
}

int
signal_run(const struct action *a)
{
	char	*text = NULL, comm[64], *e;
	size_t	 len = 0;
	pid_t	 pid;
	int	 pidfd = -1, rc = -1, r;

	if ((r = read_file(a->pidfile, PIDFILE_MAX, &text, &len)) != 0) {
		if (r == -ENOENT)
			log_err("action %s: %s: missing, is %s running?",
			    a->name, a->pidfile, a->process);
		goto out;
	}
	if ((pid = pidfile_parse(text, len)) == -1) {
		e = log_escape(text, len, 32);
		log_err("action %s: %s: not a pid: %s", a->name, a->pidfile,
		    e);
		log_escape_free(e);
		goto out;
	}
	/* The pidfd pins the process; the check below is about it. */
	if ((pidfd = pidfd_open(pid, 0)) == -1) {
		log_err("action %s: %s: stale, pid %d: %s", a->name,
		    a->pidfile, (int)pid, strerror(errno));
		goto out;
	}
	if (!runs_process(pid, a->process, comm, sizeof(comm))) {
		e = log_escape(comm, strlen(comm), 32);
		log_err("action %s: %s: stale, pid %d is %s, not %s",
		    a->name, a->pidfile, (int)pid, e, a->process);
		log_escape_free(e);
		goto out;
	}
	if (pidfd_send_signal(pidfd, a->signo, NULL, 0) == -1) {
		log_err("action %s: SIG%s to %s pid %d: %s", a->name,
		    signal_name(a->signo), a->process, (int)pid,
		    strerror(errno));
		goto out;
	}
	log_info("action %s: sent SIG%s to %s pid %d", a->name,
	    signal_name(a->signo), a->process, (int)pid);
	rc = 0;
out:
	if (pidfd != -1)
		close(pidfd);
	free(text);
	return rc;
}
