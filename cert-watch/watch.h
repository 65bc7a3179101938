/*
 * Watching the live directory: one inotify descriptor on live_dir and
 * on every certificate directory in it, or polling where inotify
 * cannot be trusted (network filesystems, FUSE) or was asked not to be
 * used (poll_interval), or where the kernel ran out of watches.
 *
 * The watcher only tells that something changed, or that everything
 * must be looked at again (after a queue overflow or when live_dir
 * itself came or went); deciding what changed is decide.c's job.
 */
#ifndef CW_WATCH_H
#define CW_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

enum watch_news {
	WATCH_CHANGED,		/* something in the tree changed */
	WATCH_RESCAN,		/* events were lost or the tree was rebuilt */
};

typedef void	 watch_cb(void *arg, enum watch_news news);

struct watch;

/*
 * Watches live_dir on the event loop; poll_ms > 0 polls instead.  The
 * watches exist when this returns (or live_dir's nearest existing
 * parent is watched until it appears).  NULL after logging.
 */
struct watch	*watch_new(sd_event *e, const char *live_dir,
		    uint64_t poll_ms, watch_cb *cb, void *arg);
void		 watch_free(struct watch *w);

/*
 * Handles a buffer of inotify events as read(2) returns them from the
 * watch's descriptor, as if they had just been read: the callback is
 * called as the events ask.  An event that does not fit in the buffer
 * ends the walk with a rescan.
 */
void		 watch_feed(struct watch *w, const void *buf, size_t len);

/* One line for STATUS=: what is watched and how. */
void		 watch_describe(const struct watch *w, char *buf,
		    size_t size);

/* "N changes in a, b" since the last call, for the debug log; then
 * counts from zero again. */
void		 watch_summary(struct watch *w, char *buf, size_t size);

#endif
