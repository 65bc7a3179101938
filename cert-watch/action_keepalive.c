/*
 * Actions run inside a callback of the event loop and may wait for
 * minutes (a command, a docker exec, a systemd job, a server that is
 * slow to serve the new certificate).  Meanwhile the loop neither
 * sends the watchdog's pings nor reads SIGTERM, so every wait calls
 * action_keepalive() at least once a second instead.
 */
#include <signal.h>
#include <stdint.h>

#include <systemd/sd-daemon.h>

#include "action.h"
#include "action-impl.h"
#include "log.h"

/* WATCHDOG_USEC of the service manager, 0 without a watchdog. */
static uint64_t		watchdog_usec;
/* When an action last sent WATCHDOG=1; 0 forces the next one. */
static long long	last_ping_ms;

void
action_keepalive_setup(void)
{
	uint64_t	usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0)
		watchdog_usec = usec;
}

void
action_keepalive_start(void)
{
	/* The loop's last ping may be half a period old already. */
	last_ping_ms = 0;
	(void)action_keepalive();
}

/* The loop reads SIGTERM and SIGINT from a signalfd, so both stay
 * blocked and pending until it runs again. */
bool
action_stopping(void)
{
	sigset_t	pending;

	if (sigpending(&pending) == -1)
		return false;
	return sigismember(&pending, SIGTERM) == 1 ||
	    sigismember(&pending, SIGINT) == 1;
}

bool
action_keepalive(void)
{
	long long	now = action_now_ms();

	if (watchdog_usec != 0 &&
	    (last_ping_ms == 0 ||
	    now - last_ping_ms >= (long long)(watchdog_usec / 2000))) {
		sd_notify(0, "WATCHDOG=1");
		last_ping_ms = now;
	}
	return action_stopping();
}
