/*
 * The decision after a burst, and the runs it schedules.
 *
 * For every action and every certificate it serves, the SHA-256 of
 * fullchain.pem and privkey.pem is compared with what the action last
 * succeeded on (state.h).  Sets that differ and pass their checks are
 * queued on the action; each action then runs once for all that is
 * queued, no sooner than min_interval after its previous run, and a
 * failed run is retried with backoff until retry_max failures in a
 * row.
 */
#ifndef CW_DECIDE_H
#define CW_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "settle.h"

/* Called whenever what decide_describe() says may have changed. */
typedef void	 decide_cb(void *arg);

struct decide;

/*
 * Reads conf's state file.  act_on_start makes actions the state does
 * not know yet act on every certificate instead of recording them as
 * they are.  NULL after logging.
 */
struct decide	*decide_new(sd_event *e, struct cw_config *conf,
		    struct settle *s, bool act_on_start, decide_cb *cb,
		    void *arg);
void		 decide_free(struct decide *d);

/* A burst ended: compare, check, queue.  late: max_settle_ms passed;
 * resync: installed copies are compared with the live files too. */
void		 decide_settled(struct decide *d, bool late, bool resync);

/* Whether no run is queued or waiting for a retry. */
bool		 decide_idle(const struct decide *d);

/* "idle" or what is waiting, then the last outcome, for STATUS=. */
void		 decide_describe(const struct decide *d, char *buf,
		    size_t size);

#endif
