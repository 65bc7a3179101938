/*
 * Bursts: a certbot or acme-webroot run touches many files over many
 * seconds, and must give one decision, not one per file.
 *
 * A burst starts with the first change and ends settle_ms after the
 * last one, unless an update is still seen under way (certbot's lock,
 * acme-webroot's lock, fresh previous_*.pem links), in which case it
 * goes on; it ends max_settle_ms after its start at the latest.
 */
#ifndef CW_SETTLE_H
#define CW_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

/*
 * How late a settle or retry timer may fire.  sd-event turns an
 * accuracy of 0 into 250 ms, which would stretch every settle_ms by up
 * to that much; these timers fire once per burst, so precision costs
 * nothing while idle.
 */
#define TIMER_ACCURACY_US	1000

/* Called when a burst ends; late is true once max_settle_ms passed. */
typedef void	 settle_cb(void *arg, bool late);

struct settle;

struct settle	*settle_new(sd_event *e, const char *live_dir,
		    uint64_t settle_ms, uint64_t max_settle_ms,
		    settle_cb *cb, void *arg);
void		 settle_free(struct settle *s);

/* Something changed: starts a burst or prolongs it. */
void		 settle_activity(struct settle *s);
/* Keeps the burst that just ended open until max_settle_ms from its
 * start (something was incomplete); false if that time has passed. */
bool		 settle_extend(struct settle *s);
/* Whether a burst is open. */
bool		 settle_busy(const struct settle *s);

/*
 * Whether certbot or acme-webroot is updating the tree under live_dir,
 * or has left previous_*.pem links younger than max_age_ms.  Probing
 * never takes a lock that either of them could be waiting for.
 */
bool		 update_in_progress(const char *live_dir, uint64_t max_age_ms);

/*
 * Sets a one-shot CLOCK_MONOTONIC timer to fire at (microseconds) and
 * enables it; what names it in the error logged on failure.  0 or -1.
 */
int		 timer_arm(sd_event_source *src, uint64_t at,
		    const char *what);

#endif
