/*
 * type = systemd: ReloadUnit or RestartUnit over the system bus, then
 * the job's JobRemoved signal says whether it worked.  The match on
 * JobRemoved is in place before the call, or a quick job could end
 * before anyone listens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "action-impl.h"
#include "log.h"

#define SD_DEST		"org.freedesktop.systemd1"
#define SD_PATH		"/org/freedesktop/systemd1"
#define SD_MANAGER	"org.freedesktop.systemd1.Manager"

/* The job waited for, and its result once JobRemoved named it. */
struct job_wait {
	const char	*path;		/* NULL until the call returned */
	char		*result;
	int		 error;		/* negative errno from the handler */
};

static int
on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret)
{
	struct job_wait	*w = userdata;
	const char	*path, *unit, *result;
	uint32_t	 id;
	int		 r;

	(void)ret;
	r = sd_bus_message_read(m, "uoss", &id, &path, &unit, &result);
	if (r < 0 || w->path == NULL || strcmp(path, w->path) != 0 ||
	    w->result != NULL)
		return 0;
	if ((w->result = strdup(result)) == NULL)
		w->error = -ENOMEM;
	return 0;
}

/* Processes the bus until the job's result came or the time is up. */
static int
wait_job(const struct action *a, sd_bus *bus, struct job_wait *w)
{
	uint64_t	 deadline, deadline_slice, now;
	int		 r;

	deadline = ((uint64_t)action_now_ms() + action_timeout_ms(a)) *
	    1000;
	while (w->result == NULL && w->error == 0) {
		if ((r = sd_bus_process(bus, NULL)) < 0) {
			log_err("action %s: %s: system bus: %s", a->name,
			    a->unit, strerror(-r));
			return -1;
		}
		if (r > 0)
			continue;
		if ((now = (uint64_t)action_now_ms() * 1000) >= deadline) {
			log_err("action %s: %s: job %s did not end in %u ms",
			    a->name, a->unit, w->path, action_timeout_ms(a));
			return -1;
		}
		if (action_keepalive()) {
			action_abandoned(a->name);
			return -1;
		}
		if (deadline - now > ACTION_KEEPALIVE_MS * 1000ULL)
			deadline_slice = now + ACTION_KEEPALIVE_MS * 1000ULL;
		else
			deadline_slice = deadline;
		if ((r = sd_bus_wait(bus, deadline_slice - now)) < 0) {
			log_err("action %s: %s: system bus: %s", a->name,
			    a->unit, strerror(-r));
			return -1;
		}
	}
	if (w->error != 0) {
		log_err("action %s: %s: %s", a->name, a->unit,
		    strerror(-w->error));
		return -1;
	}
	return 0;
}

static void
log_bus_error(const struct action *a, const char *what,
    const sd_bus_error *error, int r)
{
	char	*e;

	if (sd_bus_error_is_set(error)) {
		e = log_escape(error->message ? error->message : error->name,
		    strlen(error->message ? error->message : error->name),
		    300);
		log_err("action %s: %s: %s: %s", a->name, a->unit, what, e);
		log_escape_free(e);
	} else
		log_err("action %s: %s: %s: %s", a->name, a->unit, what,
		    strerror(-r));
}

/* Subscribe, match JobRemoved, then start the job; w->path is its. */
static int
start_job(const struct action *a, sd_bus *bus, sd_bus_slot **slot,
    struct job_wait *w, sd_bus_message **reply)
{
	sd_bus_error	 error = SD_BUS_ERROR_NULL;
	const char	*method = a->restart ? "RestartUnit" : "ReloadUnit";
	int		 r, rc = -1;

	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER,
	    "Subscribe", &error, NULL, "");
	if (r < 0) {
		log_bus_error(a, "Subscribe", &error, r);
		goto out;
	}
	r = sd_bus_match_signal(bus, slot, SD_DEST, SD_PATH, SD_MANAGER,
	    "JobRemoved", on_job_removed, w);
	if (r < 0) {
		log_err("action %s: %s: match on JobRemoved: %s", a->name,
		    a->unit, strerror(-r));
		goto out;
	}
	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, method,
	    &error, reply, "ss", a->unit, "replace");
	if (r < 0) {
		log_bus_error(a, method, &error, r);
		goto out;
	}
	if ((r = sd_bus_message_read(*reply, "o", &w->path)) < 0) {
		log_err("action %s: %s: %s: bad reply: %s", a->name, a->unit,
		    method, strerror(-r));
		goto out;
	}
	rc = 0;
out:
	sd_bus_error_free(&error);
	return rc;
}

int
systemd_run(const struct action *a)
{
	sd_bus		*bus = NULL;
	sd_bus_slot	*slot = NULL;
	sd_bus_message	*reply = NULL;
	struct job_wait	 w = { 0 };
	char		*e;
	int		 r, rc = -1;

	/* Honours DBUS_SYSTEM_BUS_ADDRESS. */
	if ((r = sd_bus_open_system(&bus)) < 0) {
		log_err("action %s: system bus: %s", a->name, strerror(-r));
		goto out;
	}
	if (start_job(a, bus, &slot, &w, &reply) == -1 ||
	    wait_job(a, bus, &w) == -1)
		goto out;
	if (strcmp(w.result, "done") != 0) {
		e = log_escape(w.result, strlen(w.result), 64);
		log_err("action %s: %s of %s: job result %s", a->name,
		    a->restart ? "restart" : "reload", a->unit, e);
		log_escape_free(e);
		goto out;
	}
	log_info("action %s: %s of %s done", a->name,
	    a->restart ? "restart" : "reload", a->unit);
	rc = 0;
out:
	free(w.result);
	sd_bus_message_unref(reply);
	sd_bus_slot_unref(slot);
	sd_bus_flush_close_unref(bus);
	return rc;
}
