/*
 * Burst settling on one sd-event timer.
 *
 * States: idle (no timer), open (timer at the end of the quiet time,
 * moved by each change, never past start + max_settle_ms), and
 * extended (timer at start + max_settle_ms, while decide.c waits for
 * an incomplete set to be completed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "settle.h"

#define CERTBOT_LOCK	".certbot.lock"
#define AW_LOCK		".acme-webroot.lock"
#define PREVIOUS_PREFIX	"previous_"

struct settle {
	sd_event	*e;
	sd_event_source	*timer;
	char		*live_dir;
	uint64_t	 settle_us, max_us;
	uint64_t	 start;		/* CLOCK_MONOTONIC us; 0: idle */
	uint64_t	 last_start;	/* start of the burst that ended */
	settle_cb	*cb;
	void		*arg;
};

static uint64_t
now_us(const struct settle *s)
{
	uint64_t	 t = 0;

	sd_event_now(s->e, CLOCK_MONOTONIC, &t);
	return t;
}

int
timer_arm(sd_event_source *src, uint64_t at, const char *what)
{
	int	 r;

	r = sd_event_source_set_time(src, at);
	if (r >= 0)
		r = sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_err("%s: timer: %s", what, strerror(-r));
		return -1;
	}
	return 0;
}

static void
arm(struct settle *s, uint64_t at)
{
	timer_arm(s->timer, at, s->live_dir);
}

static uint64_t
deadline(const struct settle *s)
{
	return s->start + s->max_us;
}

static int
on_timer(sd_event_source *src, uint64_t usec, void *arg)
{
	struct settle	*s = arg;
	uint64_t	 now = now_us(s);
	bool		 late = now >= deadline(s);

	(void)src;
	(void)usec;
	if (!late && update_in_progress(s->live_dir, s->max_us / 1000)) {
		log_debug("%s: update under way, waiting", s->live_dir);
		arm(s, now + s->settle_us < deadline(s) ?
		    now + s->settle_us : deadline(s));
		return 0;
	}
	log_debug("%s: burst settled after %" PRIu64 " ms (%s)", s->live_dir,
	    (now - s->start) / 1000, late ? "max_settle_ms reached" :
	    "quiet for settle_ms");
	s->last_start = s->start;
	s->start = 0;
	s->cb(s->arg, late);
	return 0;
}

void
settle_activity(struct settle *s)
{
	uint64_t	 now = now_us(s), at;

	if (s->start == 0) {
		s->start = now;
		log_debug("%s: burst begins; it settles after %" PRIu64
		    " ms of quiet, at most %" PRIu64 " ms from now",
		    s->live_dir, s->settle_us / 1000, s->max_us / 1000);
	}
	at = now + s->settle_us;
	arm(s, at < deadline(s) ? at : deadline(s));
}

bool
settle_extend(struct settle *s)
{
	uint64_t	 now = now_us(s);

	/* The callback has just closed the burst; reopen it as it was. */
	if (s->start != 0)
		return true;
	if (now >= s->last_start + s->max_us)
		return false;
	log_debug("%s: burst reopened until max_settle_ms for an "
	    "incomplete certificate", s->live_dir);
	s->start = s->last_start;
	arm(s, deadline(s));
	return true;
}

bool
settle_busy(const struct settle *s)
{
	return s->start != 0;
}

struct settle *
settle_new(sd_event *e, const char *live_dir, uint64_t settle_ms,
    uint64_t max_settle_ms, settle_cb *cb, void *arg)
{
	struct settle	*s;
	int		 r;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->live_dir = strdup(live_dir)) == NULL) {
		log_err("%s: out of memory", live_dir);
		free(s);
		return NULL;
	}
	s->e = sd_event_ref(e);
	s->settle_us = settle_ms * 1000;
	s->max_us = max_settle_ms * 1000;
	s->cb = cb;
	s->arg = arg;
	r = sd_event_add_time(e, &s->timer, CLOCK_MONOTONIC, UINT64_MAX,
	    TIMER_ACCURACY_US, on_timer, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	if (r < 0) {
		log_err("settle timer: %s", strerror(-r));
		settle_free(s);
		return NULL;
	}
	return s;
}

void
settle_free(struct settle *s)
{
	if (s == NULL)
		return;
	sd_event_source_disable_unref(s->timer);
	sd_event_unref(s->e);
	free(s->live_dir);
	free(s);
}

/* The directory that holds live_dir (certbot's config directory). */
static int
parent_path(const char *live_dir, const char *file, char *out, size_t size)
{
	const char	*slash = strrchr(live_dir, '/');
	int		 n;

	if (slash == NULL)
		return -1;
	n = snprintf(out, size, "%.*s/%s", (int)(slash - live_dir),
	    live_dir, file);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* certbot holds a POSIX lock on .certbot.lock for its whole run;
 * F_GETLK tells without taking it. */
static bool
certbot_locked(const char *live_dir)
{
	struct flock	 fl;
	char		 path[PATH_MAX];
	int		 fd;
	bool		 held = false;

	if (parent_path(live_dir, CERTBOT_LOCK, path, sizeof(path)) == -1)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1)
		return false;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		held = true;
	close(fd);
	return held;
}

/* Whether /proc/locks lists a flock() lock on inode ino; -1 when
 * /proc/locks cannot be read. */
static int
proc_flock_held(ino_t ino)
{
	char		 line[256], kind[16];
	unsigned long	 maj, min, lino;
	FILE		*f;
	int		 held = 0;

	if ((f = fopen("/proc/locks", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF";
		 * waiters have "->" after the number and are skipped. */
		if (sscanf(line, "%*d: %15s %*s %*s %*d %lx:%lx:%lu",
		    kind, &maj, &min, &lino) != 4)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && lino == ino) {
			held = 1;
			break;
		}
	}
	fclose(f);
	return held;
}

/* acme-webroot holds flock() on .acme-webroot.lock.  /proc/locks is
 * read rather than trying the lock, which a starting acme-webroot
 * could find taken and give up. */
static bool
acme_webroot_locked(const char *live_dir)
{
	struct stat	 st;
	char		 path[PATH_MAX];
	int		 held, fd;

	if (parent_path(live_dir, AW_LOCK, path, sizeof(path)) == -1 ||
	    stat(path, &st) == -1)
		return false;
	if ((held = proc_flock_held(st.st_ino)) >= 0)
		return held == 1;
	/* No /proc: try the lock on our own open file description and
	 * give it back at once. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	if (!held)
		flock(fd, LOCK_UN);
	close(fd);
	return held;
}

static bool
young_previous(int dfd, const char *name, uint64_t max_age_ms)
{
	struct stat	 st;
	struct timespec	 now;
	int64_t		 age_ms;

	if (strncmp(name, PREVIOUS_PREFIX, strlen(PREVIOUS_PREFIX)) != 0 ||
	    strstr(name, ".pem") == NULL ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	age_ms = (int64_t)(now.tv_sec - st.st_ctim.tv_sec) * 1000 +
	    (now.tv_nsec - st.st_ctim.tv_nsec) / 1000000;
	return age_ms < (int64_t)max_age_ms;
}

/* certbot makes previous_*.pem links first and removes them last. */
static bool
previous_links(const char *live_dir, uint64_t max_age_ms)
{
	struct dirent	*de, *fe;
	DIR		*live, *cert;
	int		 fd;
	bool		 found = false;

	if ((live = opendir(live_dir)) == NULL)
		return false;
	while (!found && (de = readdir(live)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(live), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (fd == -1)
			continue;
		if ((cert = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while (!found && (fe = readdir(cert)) != NULL)
			found = young_previous(fd, fe->d_name, max_age_ms);
		closedir(cert);
	}
	closedir(live);
	return found;
}

bool
update_in_progress(const char *live_dir, uint64_t max_age_ms)
{
	return certbot_locked(live_dir) || acme_webroot_locked(live_dir) ||
	    previous_links(live_dir, max_age_ms);
}
