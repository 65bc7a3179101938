/*
 * Deciding what to run after a burst, and running it.
 *
 * Each action has a runner: a queue of certificate sets waiting for it
 * and one timer.  The timer fires when the action may run (at once, or
 * min_interval after the previous run, or after a backoff following a
 * failure).  A run while a burst is open would act on files being
 * written, so the timer then does nothing and the end of the burst
 * starts it again.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "action.h"
#include "certset.h"
#include "decide.h"
#include "log.h"
#include "settle.h"
#include "state.h"

#define BACKOFF_FIRST_MS	1000
#define BACKOFF_MAX_MS		(5 * 60 * 1000)

struct runner {
	struct decide		*d;
	struct cw_action	*ca;
	struct certset		**queue;	/* sets waiting for a run */
	size_t			 nqueue;
	sd_event_source		*timer;
	unsigned		 failures;	/* in a row */
	uint64_t		 last_run;	/* monotonic us; 0: never */
	bool			 gave_up;
};

struct decide {
	sd_event		*e;
	struct cw_config	*conf;
	struct settle		*settle;
	struct state		*state;
	bool			 act_on_start;
	struct runner		*runners;	/* one per action */
	char			**known;	/* directories seen before */
	size_t			 nknown;
	char			**reported;	/* bad sets already logged */
	size_t			 nreported;
	char			 last[256];	/* the last outcome */
	bool			 unsaved;	/* last state write failed */
	decide_cb		*cb;
	void			*arg;
};

/* A list of sets read from live_dir, in directory order. */
struct setlist {
	struct certset		**sets;
	size_t			 n;
};

static uint64_t
mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
set_last(struct decide *d, const char *what)
{
	struct tm	 tm;
	time_t		 t = time(NULL);
	char		 when[16] = "";

	if (localtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	snprintf(d->last, sizeof(d->last), "%s at %s", what, when);
}

static void
setlist_free(struct setlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		certset_free(l->sets[i]);
	free(l->sets);
	l->sets = NULL;
	l->n = 0;
}

static int
setlist_add(struct setlist *l, struct certset *cs)
{
	struct certset	**n;

	n = reallocarray(l->sets, l->n + 1, sizeof(*n));
	if (n == NULL) {
		certset_free(cs);
		return -1;
	}
	l->sets = n;
	l->sets[l->n++] = cs;
	return 0;
}

/* A directory whose name cannot be passed on unambiguously. */
static void
report_unsafe(const char *live, const char *name)
{
	char	*e = log_escape(name, strlen(name), 256);

	log_err("%s/%s: blanks or control characters in the name; not "
	    "acted on", live, e);
	log_escape_free(e);
}

/* Reads every certificate directory in live_dir. */
static int
read_live(const struct decide *d, struct setlist *l)
{
	const char	*live = d->conf->live_dir;
	struct certset	*cs;
	struct dirent	*de;
	DIR		*dir;
	int		 rc = 0;

	if ((dir = opendir(live)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.' && certset_name_unsafe(de->d_name))
			report_unsafe(live, de->d_name);
		if (!certset_name_ok(de->d_name))
			continue;
		if ((cs = certset_read(live, de->d_name, true)) == NULL)
			rc = -1;
		else if (cs->status == CERTSET_GONE)
			certset_free(cs);	/* a file, or gone already */
		else
			rc = setlist_add(l, cs);
	}
	closedir(dir);
	if (rc == -1)
		log_err("%s: out of memory", live);
	return rc;
}

static bool
in_list(const struct setlist *l, const char *name)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->sets[i]->name, name) == 0)
			return true;
	return false;
}

static void
free_known(struct decide *d)
{
	while (d->nknown > 0)
		free(d->known[--d->nknown]);
	free(d->known);
	d->known = NULL;
}

static void
queue_drop(struct runner *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nqueue; i++)
		if (strcmp(r->queue[i]->name, name) == 0) {
			certset_free(r->queue[i]);
			r->queue[i] = r->queue[--r->nqueue];
			return;
		}
}

static void
queue_clear(struct runner *r)
{
	while (r->nqueue > 0)
		certset_free(r->queue[--r->nqueue]);
}

/* Queues a copy of cs, replacing an older version of the same set. */
static void
queue_add(struct runner *r, const struct certset *cs)
{
	struct certset	**q, *copy;

	queue_drop(r, cs->name);
	if ((copy = certset_dup(cs)) == NULL)
		return;
	q = reallocarray(r->queue, r->nqueue + 1, sizeof(*q));
	if (q == NULL) {
		log_err("%s: out of memory", cs->lineage);
		certset_free(copy);
		return;
	}
	r->queue = q;
	r->queue[r->nqueue++] = copy;
	/* Something new to do: earlier failures no longer hold it back. */
	r->failures = 0;
	r->gave_up = false;
}

/* Removed directories are said once and forgotten, never acted on. */
static bool
note_removed(struct decide *d, const struct setlist *l)
{
	char	*name;
	bool	 dirty = false;
	size_t	 i, j;

	for (i = 0; i < d->nknown; i++) {
		if (in_list(l, d->known[i]))
			continue;
		name = log_escape(d->known[i], strlen(d->known[i]), 256);
		log_warn("%s/%s: removed; nothing done for it",
		    d->conf->live_dir, name);
		log_escape_free(name);
		state_forget_cert(d->state, d->known[i]);
		for (j = 0; j < d->conf->nactions; j++)
			queue_drop(&d->runners[j], d->known[i]);
		dirty = true;
	}
	free_known(d);
	d->known = calloc(l->n + 1, sizeof(*d->known));
	for (i = 0; d->known != NULL && i < l->n; i++)
		if ((d->known[d->nknown] = strdup(l->sets[i]->name)) != NULL)
			d->nknown++;
	return dirty;
}

/* Whether cs is the content the action last succeeded on. */
static bool
unchanged(const struct decide *d, const char *action,
    const struct certset *cs, bool *known)
{
	const char	*fc, *pk;

	*known = state_get(d->state, action, cs->name, &fc, &pk);
	return *known && cs->status != CERTSET_INCOMPLETE &&
	    strcmp(fc, cs->fullchain_sha) == 0 &&
	    strcmp(pk, cs->privkey_sha) == 0;
}

/*
 * Compares the sets an action serves with its state.  A new action
 * (absent from the state) records what is there instead of acting,
 * so that installing cert-watch or adding an action reloads nothing.
 * Returns whether the state changed; *bad gets the sets that changed
 * but cannot be used.
 */
static bool
compare_action(struct decide *d, struct runner *r, const struct setlist *l,
    bool *bad)
{
	const char	*name = r->ca->name;
	bool		 baseline, dirty = false, known;
	size_t		 i, changed = 0;

	baseline = !state_has_action(d->state, name);
	if (baseline && state_add_action(d->state, name) == 0)
		dirty = true;
	for (i = 0; i < l->n; i++) {
		const struct certset	*cs = l->sets[i];

		if (!config_action_wants(r->ca, cs->name))
			continue;
		if (unchanged(d, name, cs, &known)) {
			queue_drop(r, cs->name);
			continue;
		}
		if (cs->status != CERTSET_OK) {
			bad[i] = true;
			continue;
		}
		changed++;
		if (!baseline)
			queue_add(r, cs);
		else if (state_set(d->state, name, cs->name,
		    cs->fullchain_sha, cs->privkey_sha) == 0)
			dirty = true;
	}
	if (changed > 0)
		log_debug("action %s: %zu certificate%s %s", name, changed,
		    changed == 1 ? "" : "s", baseline ? "recorded as found "
		    "(new action), not acted on" : "changed, queued");
	return dirty;
}

static void
free_strings(char **list, size_t n)
{
	while (n > 0)
		free(list[--n]);
	free(list);
}

/*
 * Whether this content of a bad set was logged already; remembered in
 * next, so that a set that stays broken is reported once, not after
 * every burst, and again if it changes.
 */
static bool
reported_before(const struct decide *d, const struct certset *cs,
    char **next, size_t *nnext)
{
	char	*key = NULL;
	bool	 seen = false;
	size_t	 i;

	if (asprintf(&key, "%s %s %s %s", cs->name, cs->fullchain_sha,
	    cs->privkey_sha, cs->why) == -1)
		return false;
	for (i = 0; i < d->nreported; i++)
		if (strcmp(d->reported[i], key) == 0)
			seen = true;
	next[(*nnext)++] = key;
	return seen;
}

static void
report_one(const struct decide *d, const struct certset *cs)
{
	char	*why = log_escape(cs->why, strlen(cs->why), 600);

	if (cs->status == CERTSET_INCOMPLETE)
		log_err("%s: incomplete after %" PRIu64 " ms; not acted on",
		    why, d->conf->max_settle_ms);
	else
		log_err("%s; not acted on", why);
	log_escape_free(why);
}

/*
 * Changed sets that cannot be used.  An incomplete one is expected for
 * a moment (certbot makes links before their files) and only becomes
 * an error once max_settle_ms has passed.  Returns whether to wait.
 */
static bool
report_bad(struct decide *d, const struct setlist *l, const bool *bad,
    bool late)
{
	char	**next;
	size_t	 i, nnext = 0;
	bool	 wait = false;

	if ((next = calloc(l->n + 1, sizeof(*next))) == NULL)
		return false;
	for (i = 0; i < l->n; i++) {
		const struct certset	*cs = l->sets[i];

		if (!bad[i])
			continue;
		if (cs->status == CERTSET_INCOMPLETE && !late) {
			char	*why;

			why = log_escape(cs->why, strlen(cs->why), 600);
			log_debug("%s: incomplete for now", why);
			log_escape_free(why);
			wait = true;
		} else if (!reported_before(d, cs, next, &nnext))
			report_one(d, cs);
	}
	free_strings(d->reported, d->nreported);
	d->reported = next;
	d->nreported = nnext;
	return wait;
}

static void
fill_changed(struct certset **sets, size_t n, struct changed_cert *out)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[i].name = sets[i]->name;
		out[i].lineage = sets[i]->lineage;
		out[i].domains = sets[i]->domains;
		out[i].ndomains = sets[i]->ndomains;
	}
}

static void
queue_sets(struct runner *r, struct certset **sets, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		queue_add(r, sets[i]);
}

/*
 * Installed copies that differ from the live sets are put back, and
 * the action runs so that its server reads them again.
 */
static void
resync_installs(struct decide *d, const struct setlist *l)
{
	struct changed_cert	*cc;
	struct certset		**mine;
	size_t			 a, i, n;

	cc = calloc(l->n + 1, sizeof(*cc));
	mine = calloc(l->n + 1, sizeof(*mine));
	for (a = 0; cc != NULL && mine != NULL && a < d->conf->nactions;
	    a++) {
		for (i = n = 0; i < l->n; i++)
			if (l->sets[i]->status == CERTSET_OK &&
			    config_action_wants(&d->conf->actions[a],
			    l->sets[i]->name))
				mine[n++] = l->sets[i];
		fill_changed(mine, n, cc);
		if (n > 0 && action_sync_installs(d->conf->actions[a].act,
		    cc, n) == 1)
			queue_sets(&d->runners[a], mine, n);
	}
	free(cc);
	free(mine);
}

/* "a, b, c" for logs and STATUS=, escaped, cut at size. */
static void
names_of(struct certset **sets, size_t n, char *buf, size_t size)
{
	size_t	 i, len = 0;
	char	*e;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++) {
		e = log_escape(sets[i]->name, strlen(sets[i]->name), 128);
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    i > 0 ? ", " : "", e);
		log_escape_free(e);
	}
}

static void
arm_runner(struct runner *r, uint64_t at)
{
	timer_arm(r->timer, at, r->ca->name);
}

static bool
runner_waiting(const struct runner *r)
{
	return r->nqueue > 0 && !r->gave_up;
}

/* Schedules a run of what is queued, unless one is scheduled. */
static void
kick(struct runner *r)
{
	uint64_t	 at = mono_us();
	int		 on = SD_EVENT_OFF;

	if (!runner_waiting(r))
		return;
	if (sd_event_source_get_enabled(r->timer, &on) >= 0 &&
	    on != SD_EVENT_OFF)
		return;
	if (r->last_run != 0 &&
	    r->last_run + r->ca->min_interval_ms * 1000 > at) {
		log_debug("action %s: waits %" PRIu64 " ms for min_interval",
		    r->ca->name,
		    (r->last_run + r->ca->min_interval_ms * 1000 - at) / 1000);
		at = r->last_run + r->ca->min_interval_ms * 1000;
	}
	arm_runner(r, at);
}

/*
 * Writes the state.  A failure names the state file; the write is
 * tried again after the next burst or run, and the file on disk keeps
 * what it had (the write is atomic).
 */
static void
save_state(struct decide *d)
{
	char	 where[PATH_MAX + 64];

	if (state_save(d->state, d->conf->state_file) == 0) {
		d->unsaved = false;
		return;
	}
	config_state_where(d->conf, where, sizeof(where));
	log_err("%s: not saved; it still holds what was saved before, and "
	    "is written again after the next burst or run", where);
	d->unsaved = true;
}

static void
succeeded(struct runner *r, const char *names)
{
	struct decide	*d = r->d;
	char		 what[200];
	size_t		 i;

	for (i = 0; i < r->nqueue; i++)
		state_set(d->state, r->ca->name, r->queue[i]->name,
		    r->queue[i]->fullchain_sha, r->queue[i]->privkey_sha);
	save_state(d);
	log_info("action %s: done for %s", r->ca->name, names);
	snprintf(what, sizeof(what), "%s done for %s", r->ca->name, names);
	set_last(d, what);
	queue_clear(r);
	r->failures = 0;
}

static void
failed(struct runner *r)
{
	uint64_t	 delay_ms;
	char		 what[200];

	r->failures++;
	if (r->failures >= r->ca->retry_max) {
		log_err("action %s: failed %u times in a row; given up until "
		    "the next change", r->ca->name, r->failures);
		snprintf(what, sizeof(what), "%s gave up after %u failures",
		    r->ca->name, r->failures);
		set_last(r->d, what);
		r->gave_up = true;
		queue_clear(r);
		return;
	}
	delay_ms = BACKOFF_FIRST_MS << (r->failures - 1 < 16 ?
	    r->failures - 1 : 16);
	if (delay_ms > BACKOFF_MAX_MS)
		delay_ms = BACKOFF_MAX_MS;
	if (delay_ms < r->ca->min_interval_ms)
		delay_ms = r->ca->min_interval_ms;
	log_warn("action %s: failed (%u of %u); retrying in %" PRIu64 " ms",
	    r->ca->name, r->failures, r->ca->retry_max, delay_ms);
	snprintf(what, sizeof(what), "%s failed %u of %u times",
	    r->ca->name, r->failures, r->ca->retry_max);
	set_last(r->d, what);
	arm_runner(r, r->last_run + delay_ms * 1000);
}

static int
on_runner(sd_event_source *src, uint64_t usec, void *arg)
{
	struct runner		*r = arg;
	struct changed_cert	*cc;
	char			 names[160];

	(void)src;
	(void)usec;
	/* The burst's end queues and kicks again; a pending SIGTERM
	 * is read next by the loop. */
	if (settle_busy(r->d->settle) || !runner_waiting(r) ||
	    action_stopping())
		return 0;
	if ((cc = calloc(r->nqueue, sizeof(*cc))) == NULL) {
		log_err("action %s: out of memory", r->ca->name);
		return 0;
	}
	fill_changed(r->queue, r->nqueue, cc);
	names_of(r->queue, r->nqueue, names, sizeof(names));
	if (r->nqueue == 1)
		log_info("action %s: running for %s", r->ca->name, names);
	else
		log_info("action %s: running for %zu certificates: %s",
		    r->ca->name, r->nqueue, names);
	if (action_run(r->ca->act, cc, r->nqueue) == 0) {
		r->last_run = mono_us();
		succeeded(r, names);
	} else if (action_stopping()) {
		/* Not a failure: the queue stays unrecorded, so the next
		 * start acts on it again. */
		log_info("action %s: not done for %s", r->ca->name, names);
	} else {
		r->last_run = mono_us();
		failed(r);
	}
	free(cc);
	r->d->cb(r->d->arg);
	return 0;
}

void
decide_settled(struct decide *d, bool late, bool resync)
{
	struct setlist	 l = { NULL, 0 };
	bool		*bad = NULL, dirty, wait;
	size_t		 i;

	if (read_live(d, &l) == -1 ||
	    (bad = calloc(l.n + 1, sizeof(*bad))) == NULL)
		goto out;
	dirty = note_removed(d, &l);
	for (i = 0; i < d->conf->nactions; i++)
		if (compare_action(d, &d->runners[i], &l, bad))
			dirty = true;
	wait = report_bad(d, &l, bad, late);
	if (dirty || d->unsaved)
		save_state(d);
	if (resync)
		resync_installs(d, &l);
	for (i = 0; i < d->conf->nactions; i++)
		kick(&d->runners[i]);
	if (wait)
		settle_extend(d->settle);
out:
	free(bad);
	setlist_free(&l);
	d->cb(d->arg);
}

bool
decide_idle(const struct decide *d)
{
	size_t	 i;

	for (i = 0; i < d->conf->nactions; i++)
		if (runner_waiting(&d->runners[i]))
			return false;
	return true;
}

void
decide_describe(const struct decide *d, char *buf, size_t size)
{
	size_t	 i, len;

	len = (size_t)snprintf(buf, size, "%s",
	    decide_idle(d) ? "idle" : "pending:");
	for (i = 0; i < d->conf->nactions && len < size; i++)
		if (runner_waiting(&d->runners[i]))
			len += (size_t)snprintf(buf + len, size - len, " %s",
			    d->runners[i].ca->name);
	for (i = 0; i < d->conf->nactions && len < size; i++)
		if (d->runners[i].gave_up)
			len += (size_t)snprintf(buf + len, size - len,
			    "; %s stopped after %u failures",
			    d->runners[i].ca->name,
			    d->runners[i].failures);
	if (d->unsaved && len < size)
		len += (size_t)snprintf(buf + len, size - len,
		    "; state_file not saved");
	if (d->last[0] != '\0' && len < size)
		snprintf(buf + len, size - len, "; last: %s", d->last);
}

static int
load_state(struct decide *d)
{
	int	 rc;
	size_t	 i;

	/* A daemon that could not save what it did would take its next
	 * start for a first install and record, not act on, the changes
	 * still pending: it does not start. */
	if (config_check_state_dir(d->conf, false) == -1)
		return -1;
	rc = state_load(d->conf->state_file, &d->state);
	if (d->state == NULL)
		return -1;
	if (rc == -1)
		log_err("%s: unusable; it will be rewritten with the "
		    "certificates as they are now", d->conf->state_file);
	if (!d->act_on_start)
		return 0;
	/* Known actions with nothing recorded act on every set. */
	for (i = 0; i < d->conf->nactions; i++)
		if (state_add_action(d->state, d->conf->actions[i].name) == -1)
			return -1;
	return 0;
}

static int
add_runners(struct decide *d)
{
	struct runner	*r;
	size_t		 i;
	int		 rc;

	d->runners = calloc(d->conf->nactions + 1, sizeof(*d->runners));
	if (d->runners == NULL) {
		log_err("out of memory");
		return -1;
	}
	for (i = 0; i < d->conf->nactions; i++) {
		r = &d->runners[i];
		r->d = d;
		r->ca = &d->conf->actions[i];
		rc = sd_event_add_time(d->e, &r->timer, CLOCK_MONOTONIC,
		    UINT64_MAX, TIMER_ACCURACY_US, on_runner, r);
		if (rc >= 0)
			rc = sd_event_source_set_enabled(r->timer,
			    SD_EVENT_OFF);
		if (rc < 0) {
			log_err("action %s: timer: %s", r->ca->name,
			    strerror(-rc));
			return -1;
		}
	}
	return 0;
}

struct decide *
decide_new(sd_event *e, struct cw_config *conf, struct settle *s,
    bool act_on_start, decide_cb *cb, void *arg)
{
	struct decide	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_err("out of memory");
		return NULL;
	}
	d->e = sd_event_ref(e);
	d->conf = conf;
	d->settle = s;
	d->act_on_start = act_on_start;
	d->cb = cb;
	d->arg = arg;
	if (load_state(d) == -1 || add_runners(d) == -1) {
		decide_free(d);
		return NULL;
	}
	return d;
}

void
decide_free(struct decide *d)
{
	size_t	 i;

	if (d == NULL)
		return;
	for (i = 0; d->runners != NULL && i < d->conf->nactions; i++) {
		queue_clear(&d->runners[i]);
		free(d->runners[i].queue);
		sd_event_source_disable_unref(d->runners[i].timer);
	}
	free(d->runners);
	free_known(d);
	free_strings(d->reported, d->nreported);
	state_free(d->state);
	sd_event_unref(d->e);
	free(d);
}
