/*
 * inotify and polling of the live directory.
 *
 * States: live_dir missing (its nearest existing parent is watched for
 * it to appear), watched with inotify (live_wd and one watch per
 * certificate directory), or polled as a whole.  Single directories
 * can be polled while the rest uses inotify, when the kernel refused
 * more watches.
 *
 * Watches follow names, not inodes: acme-webroot exchanges a new
 * directory into place (renameat2 RENAME_EXCHANGE), so the inode that
 * was live/NAME moves away.  Every event on a name in live_dir makes us
 * look that name up again and watch whatever directory is there now;
 * a watch whose directory moved away or that we no longer know is
 * removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "certset.h"
#include "fsutil.h"
#include "log.h"
#include "watch.h"

#define DIR_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
			IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | \
			IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define PARENT_MASK	(IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | \
			IN_MOVE_SELF | IN_ONLYDIR)
#define DEFAULT_POLL_MS	10000
#define MAX_WATCHES_PATH "/proc/sys/fs/inotify/max_user_watches"

/* Filesystems whose changes made elsewhere inotify never hears of. */
#define MAGIC_NFS	0x6969
#define MAGIC_SMB	0x517b
#define MAGIC_CIFS	0xff534d42
#define MAGIC_SMB2	0xfe534d42
#define MAGIC_FUSE	0x65735546
#define MAGIC_9P	0x01021997

struct wdir {
	char		*name;		/* NAME in live_dir */
	int		 wd;		/* -1 when polled */
	uint64_t	 print;		/* fingerprint when polled */
	bool		 seen;		/* found by the current scan */
};

struct watch {
	sd_event	*e;
	char		*live_dir;
	int		 fd;		/* inotify */
	sd_event_source	*io;
	sd_event_source	*poll;		/* timer, while anything is polled */
	uint64_t	 poll_ms;	/* configured; 0 means inotify */
	bool		 poll_all;	/* the whole tree is polled */
	uint64_t	 live_print;	/* live_dir's fingerprint (poll_all) */
	int		 live_wd;	/* -1: live_dir not watched */
	int		 parent_wd;	/* watch waiting for live_dir */
	char		*parent;	/* the directory parent_wd is on */
	char		 next[256];	/* its entry on the way to live_dir */
	bool		 enospc_said;
	bool		 waiting_said;	/* "does not exist" said once */
	struct wdir	*dirs;
	size_t		 ndirs;
	/* Changes since watch_summary(), for -vv: how many, and the
	 * first certificate names they were about. */
	unsigned long	 nchanges;
	char		 changed[200];
	bool		 names_cut;	/* more names than changed holds */
	watch_cb	*cb;
	void		*arg;
};

static int	 setup(struct watch *w);
static uint64_t	 poll_interval(const struct watch *w);

/* FNV-1a, enough to notice that a stat result changed. */
static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*b = p;

	while (len-- > 0)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
print_stat(uint64_t h, const char *path)
{
	struct stat	 st;

	memset(&st, 0, sizeof(st));
	if (stat(path, &st) == -1)
		return fnv(h, "-", 1);
	h = fnv(h, &st.st_dev, sizeof(st.st_dev));
	h = fnv(h, &st.st_ino, sizeof(st.st_ino));
	h = fnv(h, &st.st_size, sizeof(st.st_size));
	h = fnv(h, &st.st_mtim, sizeof(st.st_mtim));
	return fnv(h, &st.st_ctim, sizeof(st.st_ctim));
}

/* What polling compares: the directory and the files it points to. */
static uint64_t
print_dir(const struct watch *w, const char *name)
{
	static const char *const files[] = {
		"", "/fullchain.pem", "/privkey.pem", "/cert.pem",
		"/chain.pem", NULL
	};
	char		 path[PATH_MAX];
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", w->live_dir, name,
		    files[i]);
		h = print_stat(h, path);
	}
	return h;
}

static struct wdir *
find_name(struct watch *w, const char *name)
{
	size_t	 i;

	for (i = 0; i < w->ndirs; i++)
		if (strcmp(w->dirs[i].name, name) == 0)
			return &w->dirs[i];
	return NULL;
}

static struct wdir *
find_wd(struct watch *w, int wd)
{
	size_t	 i;

	for (i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

static void
drop_dir(struct watch *w, struct wdir *d)
{
	if (d->wd >= 0 && find_wd(w, d->wd) == d)
		inotify_rm_watch(w->fd, d->wd);
	free(d->name);
	*d = w->dirs[--w->ndirs];
}

static void
say_enospc(struct watch *w, const char *path)
{
	char	*text = NULL;

	if (w->enospc_said)
		return;
	w->enospc_said = true;
	if (read_file(MAX_WATCHES_PATH, 64, &text, NULL) == 0)
		text[strcspn(text, "\n")] = '\0';
	log_warn("%s: out of inotify watches (fs.inotify.max_user_watches "
	    "= %s): raise it with sysctl; polling the directories left "
	    "unwatched", path, text != NULL ? text : "unknown");
	free(text);
}

static int	 arm_poll(struct watch *w);

/* Counts a change about the certificate directory name (NULL: about
 * live_dir itself) for the next watch_summary(). */
static void
note_change(struct watch *w, const char *name)
{
	size_t	 len = strlen(w->changed), nlen;
	char	*hit;

	w->nchanges++;
	if (name == NULL || !certset_name_ok(name))
		return;
	nlen = strlen(name);
	for (hit = w->changed; (hit = strstr(hit, name)) != NULL; hit++)
		if ((hit == w->changed || hit[-1] == ' ') &&
		    (hit[nlen] == ',' || hit[nlen] == '\0'))
			return;
	if (len + nlen + 3 >= sizeof(w->changed)) {
		w->names_cut = true;
		return;
	}
	snprintf(w->changed + len, sizeof(w->changed) - len, "%s%s",
	    len > 0 ? ", " : "", name);
}

static bool
is_dir(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Watches live_dir/name (or polls it); the entry is made if needed. */
static int
add_dir(struct watch *w, const char *name)
{
	struct wdir	*d, *nd;
	char		 path[PATH_MAX], *shown = NULL;
	int		 wd = -1, rc;

	snprintf(path, sizeof(path), "%s/%s", w->live_dir, name);
	if (w->poll_all && !is_dir(path))
		return -1;
	/* The name came from readdir or inotify: logged escaped. */
	shown = log_escape(path, strlen(path), sizeof(path));
	if (!w->poll_all) {
		wd = inotify_add_watch(w->fd, path, DIR_MASK);
		if (wd == -1 && errno != ENOSPC) {
			log_escape_free(shown);
			return -1;	/* gone or not a directory */
		}
		if (wd == -1) {
			say_enospc(w, shown);
			log_info("%s: polled every %llu ms", shown,
			    (unsigned long long)poll_interval(w));
		}
	}
	if ((d = find_name(w, name)) == NULL) {
		nd = reallocarray(w->dirs, w->ndirs + 1, sizeof(*nd));
		if (nd == NULL)
			goto nomem;
		w->dirs = nd;
		d = &w->dirs[w->ndirs];
		if ((d->name = strdup(name)) == NULL)
			goto nomem;
		d->wd = -1;
		w->ndirs++;
	}
	/* A new inode under this name: the old watch follows the old
	 * inode wherever it went, and is of no use any more. */
	if (d->wd >= 0 && d->wd != wd)
		inotify_rm_watch(w->fd, d->wd);
	if (wd >= 0 && d->wd != wd)
		log_debug("%s: watched", shown);
	d->wd = wd;
	d->seen = true;
	d->print = print_dir(w, name);
	rc = wd == -1 ? arm_poll(w) : 0;
	log_escape_free(shown);
	return rc;
nomem:
	if (wd >= 0)
		inotify_rm_watch(w->fd, wd);
	log_err("%s: out of memory", shown);
	log_escape_free(shown);
	return -1;
}

/* Looks name up again: watched if it is a directory, forgotten if not. */
static void
refresh_name(struct watch *w, const char *name)
{
	struct wdir	*d;

	if (!certset_name_ok(name))
		return;
	if (add_dir(w, name) == -1 && (d = find_name(w, name)) != NULL)
		drop_dir(w, d);
}

/* Every directory in live_dir watched, vanished ones forgotten. */
static int
scan_live(struct watch *w)
{
	struct dirent	*de;
	DIR		*dir;
	size_t		 i;

	if ((dir = opendir(w->live_dir)) == NULL) {
		log_err("%s: %s", w->live_dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < w->ndirs; i++)
		w->dirs[i].seen = false;
	while ((de = readdir(dir)) != NULL)
		if (certset_name_ok(de->d_name) &&
		    (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN ||
		    de->d_type == DT_LNK))
			refresh_name(w, de->d_name);
	closedir(dir);
	for (i = 0; i < w->ndirs; )
		if (w->dirs[i].seen)
			i++;
		else
			drop_dir(w, &w->dirs[i]);
	return 0;
}

static void
forget_all(struct watch *w)
{
	while (w->ndirs > 0)
		drop_dir(w, &w->dirs[w->ndirs - 1]);
	if (w->live_wd >= 0)
		inotify_rm_watch(w->fd, w->live_wd);
	if (w->parent_wd >= 0)
		inotify_rm_watch(w->fd, w->parent_wd);
	w->live_wd = w->parent_wd = -1;
	free(w->parent);
	w->parent = NULL;
	w->poll_all = false;
}

/* The name in parent that leads to live_dir. */
static void
next_component(struct watch *w)
{
	const char	*rest = w->live_dir + strlen(w->parent);

	while (*rest == '/')
		rest++;
	snprintf(w->next, sizeof(w->next), "%.*s", (int)strcspn(rest, "/"),
	    rest);
}

/* live_dir does not exist: watch its nearest existing ancestor. */
static int
wait_for_parent(struct watch *w)
{
	char	*p, *slash;

	if ((p = strdup(w->live_dir)) == NULL) {
		log_err("%s: out of memory", w->live_dir);
		return -1;
	}
	for (;;) {
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
		w->parent_wd = inotify_add_watch(w->fd, p, PARENT_MASK);
		if (w->parent_wd >= 0 || errno == ENOSPC || strlen(p) == 1)
			break;
	}
	if (w->parent_wd == -1) {
		log_err("%s: cannot watch for %s to appear: %s", p,
		    w->live_dir, strerror(errno));
		free(p);
		return -1;
	}
	/* Every change in the parent sets up again: say it once. */
	if (!w->waiting_said)
		log_warn("%s: does not exist (yet); watching %s for it",
		    w->live_dir, p);
	w->waiting_said = true;
	w->parent = p;
	next_component(w);
	return 0;
}

/* Whether the next component below parent exists now. */
static bool
next_exists(const struct watch *w)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", w->parent, w->next);
	return access(path, F_OK) == 0;
}

static bool
network_fs(const struct watch *w)
{
	struct statfs	 sf;

	if (statfs(w->live_dir, &sf) == -1)
		return false;
	switch ((unsigned long)sf.f_type) {
	case MAGIC_NFS:
	case MAGIC_SMB:
	case MAGIC_CIFS:
	case MAGIC_SMB2:
	case MAGIC_FUSE:
	case MAGIC_9P:
		return true;
	}
	return false;
}

static uint64_t
poll_interval(const struct watch *w)
{
	return w->poll_ms > 0 ? w->poll_ms : DEFAULT_POLL_MS;
}

static int	 on_poll(sd_event_source *s, uint64_t usec, void *arg);

static int
arm_poll(struct watch *w)
{
	uint64_t	 usec = poll_interval(w) * 1000;
	int		 r;

	if (w->poll == NULL) {
		r = sd_event_add_time_relative(w->e, &w->poll,
		    CLOCK_MONOTONIC, usec, 0, on_poll, w);
		if (r < 0) {
			log_err("%s: poll timer: %s", w->live_dir,
			    strerror(-r));
			return -1;
		}
		return 0;
	}
	if (sd_event_source_get_enabled(w->poll, NULL) > 0)
		return 0;
	r = sd_event_source_set_time_relative(w->poll, usec);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->poll, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_err("%s: poll timer: %s", w->live_dir, strerror(-r));
		return -1;
	}
	return 0;
}

/* Polls what is polled; true if anything differs from last time. */
static bool
poll_once(struct watch *w)
{
	uint64_t	 p;
	bool		 changed = false;
	size_t		 i;

	if (w->poll_all) {
		p = print_stat(0xcbf29ce484222325ULL, w->live_dir);
		if (p != w->live_print) {
			w->live_print = p;
			note_change(w, NULL);
			changed = true;
			scan_live(w);
		}
	}
	for (i = 0; i < w->ndirs; i++) {
		if (w->dirs[i].wd >= 0)
			continue;
		p = print_dir(w, w->dirs[i].name);
		if (p != w->dirs[i].print) {
			w->dirs[i].print = p;
			note_change(w, w->dirs[i].name);
			changed = true;
		}
	}
	return changed;
}

static bool
anything_polled(const struct watch *w)
{
	size_t	 i;

	if (w->poll_all)
		return true;
	for (i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd < 0)
			return true;
	return false;
}

static int
on_poll(sd_event_source *s, uint64_t usec, void *arg)
{
	struct watch	*w = arg;

	(void)s;
	(void)usec;
	if (w->poll_all && access(w->live_dir, F_OK) == -1) {
		setup(w);
		return 0;
	}
	if (poll_once(w))
		w->cb(w->arg, WATCH_CHANGED);
	if (anything_polled(w))
		arm_poll(w);
	return 0;
}

static int
setup(struct watch *w)
{
	forget_all(w);
	if (access(w->live_dir, F_OK) == -1 && errno == ENOENT) {
		if (wait_for_parent(w) == -1)
			return -1;
		/* Made between the check above and the watch, it sent no
		 * event: look again from there. */
		if (next_exists(w))
			return setup(w);
		w->cb(w->arg, WATCH_RESCAN);
		return 0;
	}
	w->waiting_said = false;
	w->poll_all = w->poll_ms > 0 || network_fs(w);
	if (!w->poll_all) {
		w->live_wd = inotify_add_watch(w->fd, w->live_dir, DIR_MASK);
		if (w->live_wd == -1 && errno != ENOSPC) {
			log_err("%s: inotify: %s", w->live_dir,
			    strerror(errno));
			return -1;
		}
		if (w->live_wd == -1) {
			say_enospc(w, w->live_dir);
			w->poll_all = true;
		} else
			log_debug("%s: watched", w->live_dir);
	}
	if (w->poll_all) {
		log_debug("%s: polled every %llu ms", w->live_dir,
		    (unsigned long long)poll_interval(w));
		w->live_print = print_stat(0xcbf29ce484222325ULL,
		    w->live_dir);
		if (arm_poll(w) == -1)
			return -1;
	}
	/* Scanned after the watch exists, so nothing made in between is
	 * missed. */
	if (scan_live(w) == -1)
		return -1;
	w->cb(w->arg, WATCH_RESCAN);
	return 0;
}

/* An event on live_dir itself or on one of its entries. */
static bool
live_event(struct watch *w, const struct inotify_event *ev)
{
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED |
	    IN_UNMOUNT))
		return true;	/* set up again */
	if (ev->len > 0)
		refresh_name(w, ev->name);
	return false;
}

/* An event in a certificate directory, or about the directory. */
static void
dir_event(struct watch *w, struct wdir *d, const struct inotify_event *ev)
{
	char	*name;

	if (!(ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)))
		return;
	/* The directory went away or was exchanged: whatever is under
	 * its name now is watched instead. */
	if ((name = strdup(d->name)) == NULL)
		return;
	if (!(ev->mask & IN_IGNORED))
		inotify_rm_watch(w->fd, d->wd);
	d->wd = -2;	/* no watch, and not polled either */
	refresh_name(w, name);
	if ((d = find_name(w, name)) != NULL && d->wd == -2)
		drop_dir(w, d);
	free(name);
}

/* Handles one event; true when everything must be set up again. */
static bool
handle_event(struct watch *w, const struct inotify_event *ev,
    bool *rescan)
{
	struct wdir	*d;

	if (ev->mask & IN_Q_OVERFLOW) {
		log_warn("%s: inotify queue overflowed; rescanning",
		    w->live_dir);
		*rescan = true;
		return false;
	}
	/* In the parent only the way to live_dir matters. */
	if (ev->wd == w->parent_wd)
		return ev->len == 0 || strcmp(ev->name, w->next) == 0;
	if (ev->wd == w->live_wd)
		return live_event(w, ev);
	if ((d = find_wd(w, ev->wd)) != NULL)
		dir_event(w, d, ev);
	else if (!(ev->mask & IN_IGNORED))
		inotify_rm_watch(w->fd, ev->wd);	/* a stale watch */
	return false;
}

/* The certificate directory an event is about, NULL if none. */
static const char *
event_name(struct watch *w, const struct inotify_event *ev)
{
	struct wdir	*d;

	if (ev->wd == w->live_wd)
		return ev->len > 0 ? ev->name : NULL;
	if (ev->wd == w->parent_wd)
		return NULL;
	return (d = find_wd(w, ev->wd)) != NULL ? d->name : NULL;
}

/* What a batch of events asks for, done once the batch is read. */
struct event_sum {
	bool	 again;		/* set everything up again */
	bool	 rescan;	/* events were lost: scan live_dir */
	bool	 any;		/* anything happened at all */
};

/*
 * Whether the event at off of buf fits in it, with its name ended by a
 * NUL, at the alignment the kernel keeps.  The kernel never breaks
 * this, but a walk that trusted it would read past the buffer if it
 * ever did.
 */
static bool
event_fits(const char *buf, size_t len, size_t off)
{
	const struct inotify_event	*ev;

	if (len - off < sizeof(*ev) || (uintptr_t)(buf + off) %
	    __alignof__(struct inotify_event) != 0)
		return false;
	ev = (const struct inotify_event *)(const void *)(buf + off);
	if (ev->len > len - off - sizeof(*ev))
		return false;
	return ev->len == 0 || memchr(ev->name, '\0', ev->len) != NULL;
}

/* Handles every event of one read(2) of the inotify descriptor. */
static void
walk_events(struct watch *w, const char *buf, size_t len,
    struct event_sum *sum)
{
	const struct inotify_event	*ev;
	size_t				 off;

	for (off = 0; off < len; off += sizeof(*ev) + ev->len) {
		if (!event_fits(buf, len, off)) {
			log_err("%s: inotify: malformed event at byte %zu of "
			    "%zu; rescanning", w->live_dir, off, len);
			sum->rescan = true;
			return;
		}
		ev = (const struct inotify_event *)(const void *)(buf + off);
		note_change(w, event_name(w, ev));
		if (handle_event(w, ev, &sum->rescan))
			sum->again = true;
		sum->any = true;
	}
}

static void
conclude_events(struct watch *w, const struct event_sum *sum)
{
	if (sum->again)
		setup(w);
	else if (sum->rescan) {
		scan_live(w);
		w->cb(w->arg, WATCH_RESCAN);
	} else if (sum->any)
		w->cb(w->arg, WATCH_CHANGED);
}

void
watch_feed(struct watch *w, const void *buf, size_t len)
{
	struct event_sum	 sum = { false, false, false };

	walk_events(w, buf, len, &sum);
	conclude_events(w, &sum);
}

static int
on_inotify(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct watch		*w = arg;
	struct event_sum	 sum = { false, false, false };
	char			 buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t			 n;

	(void)s;
	(void)revents;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		walk_events(w, buf, (size_t)n, &sum);
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		log_err("%s: inotify read: %s", w->live_dir, strerror(errno));
	conclude_events(w, &sum);
	return 0;
}

struct watch *
watch_new(sd_event *e, const char *live_dir, uint64_t poll_ms, watch_cb *cb,
    void *arg)
{
	struct watch	*w;
	int		 r;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->live_dir = strdup(live_dir)) == NULL) {
		log_err("%s: out of memory", live_dir);
		free(w);
		return NULL;
	}
	w->e = sd_event_ref(e);
	w->poll_ms = poll_ms;
	w->cb = cb;
	w->arg = arg;
	w->live_wd = w->parent_wd = -1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd == -1) {
		log_err("inotify: %s", strerror(errno));
		goto fail;
	}
	r = sd_event_add_io(e, &w->io, w->fd, EPOLLIN, on_inotify, w);
	if (r < 0) {
		log_err("inotify: event source: %s", strerror(-r));
		goto fail;
	}
	if (setup(w) == -1)
		goto fail;
	return w;
fail:
	watch_free(w);
	return NULL;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	forget_all(w);
	free(w->dirs);
	sd_event_source_disable_unref(w->io);
	sd_event_source_disable_unref(w->poll);
	if (w->fd >= 0)
		close(w->fd);
	sd_event_unref(w->e);
	free(w->live_dir);
	free(w);
}

void
watch_describe(const struct watch *w, char *buf, size_t size)
{
	size_t	 i, polled = 0;

	if (w->parent != NULL) {
		snprintf(buf, size, "waiting for %s to appear", w->live_dir);
		return;
	}
	for (i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd < 0)
			polled++;
	if (w->poll_all)
		snprintf(buf, size, "polling %zu certificates in %s every "
		    "%llu ms", w->ndirs, w->live_dir,
		    (unsigned long long)poll_interval(w));
	else if (polled > 0)
		snprintf(buf, size, "watching %zu certificates in %s, "
		    "polling %zu of them", w->ndirs, w->live_dir, polled);
	else
		snprintf(buf, size, "watching %zu certificates in %s",
		    w->ndirs, w->live_dir);
}

void
watch_summary(struct watch *w, char *buf, size_t size)
{
	char	*names = log_escape(w->changed, strlen(w->changed), size);

	if (names[0] == '\0')
		snprintf(buf, size, "%lu changes", w->nchanges);
	else
		snprintf(buf, size, "%lu changes in %s%s", w->nchanges, names,
		    w->names_cut ? ", ..." : "");
	log_escape_free(names);
	w->nchanges = 0;
	w->changed[0] = '\0';
	w->names_cut = false;
}
