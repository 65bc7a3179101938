/*
 * Telling that an update is under way: certbot's POSIX lock (held by
 * another process, as F_GETLK only reports those), acme-webroot's
 * flock, fresh previous_*.pem links; the lock files alone mean nothing.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "settle.h"
#include "t.h"

static char	 dir[] = "/tmp/cw_settle.XXXXXX";
static char	 live[256], path[512];

/* A child that holds a POSIX write lock on file until killed. */
static pid_t
hold_posix_lock(const char *file)
{
	struct flock	 fl;
	int		 ready[2], fd;
	pid_t		 pid;
	char		 c = 0;

	if (pipe(ready) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		fd = open(file, O_RDWR | O_CREAT, 0600);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fd == -1 || fcntl(fd, F_SETLKW, &fl) == -1)
			_exit(1);
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

static void
stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_certbot_lock(void)
{
	pid_t	 pid;
	int	 fd;

	snprintf(path, sizeof(path), "%s/.certbot.lock", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	CHECK(fd != -1);
	close(fd);
	CHECK(!update_in_progress(live, 60000));
	pid = hold_posix_lock(path);
	CHECK(pid > 0);
	CHECK(update_in_progress(live, 60000));
	if (pid > 0)
		stop(pid);
	CHECK(!update_in_progress(live, 60000));
}

static void
test_aw_lock(void)
{
	int	 fd;

	snprintf(path, sizeof(path), "%s/.acme-webroot.lock", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	CHECK(fd != -1);
	CHECK(!update_in_progress(live, 60000));
	CHECK(flock(fd, LOCK_EX) == 0);
	CHECK(update_in_progress(live, 60000));
	CHECK(flock(fd, LOCK_UN) == 0);
	CHECK(!update_in_progress(live, 60000));
	close(fd);
}

static void
test_previous(void)
{
	snprintf(path, sizeof(path), "%s/a.example", live);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/a.example/previous_cert.pem", live);
	CHECK(symlink("../../archive/a.example/cert1.pem", path) == 0);
	CHECK(update_in_progress(live, 60000));
	/* Older than max_settle_ms: left behind by a killed run. */
	CHECK(!update_in_progress(live, 0));
	unlink(path);
	CHECK(!update_in_progress(live, 60000));
}

int
main(void)
{
	char	 cmd[300];

	log_setup("cw_settle", LOG_WARNING, false);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(live, sizeof(live), "%s/live", dir);
	if (mkdir(live, 0755) == -1)
		return 1;
	test_certbot_lock();
	test_aw_lock();
	test_previous();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return t_done("cw_settle");
}
