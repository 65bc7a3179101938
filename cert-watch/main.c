/*
 * cert-watch: reloads the servers that use a certificate when it has
 * really changed under /etc/letsencrypt/live.
 *
 * The daemon is a "core" (configuration, watcher, burst settling,
 * decision) on one sd-event loop.  A reload builds a new core from
 * the new configuration and only then drops the old one, so a
 * configuration with errors leaves the running one in place.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "action.h"
#include "config.h"
#include "decide.h"
#include "log.h"
#include "settle.h"
#include "watch.h"

#define EXIT_CONFIG	2

struct daemon;

struct core {
	struct daemon		*dm;
	struct cw_config	*conf;
	struct watch		*watch;
	struct settle		*settle;
	struct decide		*decide;
	bool			 resync;	/* compare installed copies */
};

struct daemon {
	sd_event	*e;
	const char	*config_path;
	bool		 act_on_start;	/* only the first core's start */
	struct core	*core;
	unsigned long	 bursts;	/* settled so far, for STATUS= */
	bool		 refused;	/* the last reload's configuration */
	char		 status[1024];	/* last STATUS= sent */
};

static void
update_status(struct core *c)
{
	struct daemon	*dm = c->dm;
	char		 what[256] = "starting", how[400], status[1024];
	char		 refused[300] = "";

	if (c->watch == NULL || c->decide == NULL || dm->core != c)
		return;
	if (settle_busy(c->settle))
		snprintf(what, sizeof(what), "settling");
	else
		decide_describe(c->decide, what, sizeof(what));
	watch_describe(c->watch, how, sizeof(how));
	/* `systemctl reload` succeeds either way; `systemctl status`
	 * shows whether it took. */
	if (dm->refused)
		snprintf(refused, sizeof(refused),
		    "; %s not reloaded, the previous one runs",
		    dm->config_path);
	snprintf(status, sizeof(status), "%s%s; %s; %lu bursts settled",
	    what, refused, how, dm->bursts);
	if (strcmp(status, dm->status) == 0)
		return;
	memcpy(dm->status, status, sizeof(status));
	sd_notifyf(0, "STATUS=%s", status);
}

static void
on_watch(void *arg, enum watch_news news)
{
	struct core	*c = arg;

	if (news == WATCH_RESCAN)
		c->resync = true;
	settle_activity(c->settle);
	update_status(c);
}

static void
on_settled(void *arg, bool late)
{
	struct core	*c = arg;
	bool		 resync = c->resync;
	char		 changes[256];

	c->resync = false;
	c->dm->bursts++;
	if (log_enabled(LOG_DEBUG)) {
		watch_summary(c->watch, changes, sizeof(changes));
		log_debug("%s: burst %lu%s: %s", c->conf->live_dir,
		    c->dm->bursts, resync ? ", everything scanned" : "",
		    changes);
	}
	decide_settled(c->decide, late, resync);
}

static void
on_decided(void *arg)
{
	update_status(arg);
}

static void
core_free(struct core *c)
{
	if (c == NULL)
		return;
	watch_free(c->watch);
	decide_free(c->decide);
	settle_free(c->settle);
	config_free(c->conf);
	free(c);
}

/* A running core for conf, which it then owns; NULL after logging. */
static struct core *
core_new(struct daemon *dm, struct cw_config *conf, bool act_on_start)
{
	struct core	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_err("out of memory");
		config_free(conf);
		return NULL;
	}
	c->dm = dm;
	c->conf = conf;
	c->settle = settle_new(dm->e, conf->live_dir, conf->settle_ms,
	    conf->max_settle_ms, on_settled, c);
	if (c->settle == NULL)
		goto fail;
	c->decide = decide_new(dm->e, conf, c->settle, act_on_start,
	    on_decided, c);
	if (c->decide == NULL)
		goto fail;
	/* The first scan counts as a burst: changes made while we were
	 * not running are decided on like any other. */
	c->watch = watch_new(dm->e, conf->live_dir, conf->poll_interval_ms,
	    on_watch, c);
	if (c->watch == NULL)
		goto fail;
	return c;
fail:
	core_free(c);
	return NULL;
}

static int
on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	struct daemon	*dm = arg;

	(void)s;
	(void)si;
	sd_notify(0, "STOPPING=1");
	return sd_event_exit(dm->e, 0);
}

static void
notify_reloading(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
}

static int
on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	struct daemon		*dm = arg;
	struct cw_config	*conf;
	struct core		*c;

	(void)s;
	(void)si;
	notify_reloading();
	dm->refused = true;
	if ((conf = config_load(dm->config_path)) == NULL)
		log_err("%s: not reloaded; the configuration in use stays",
		    dm->config_path);
	else if ((c = core_new(dm, conf, false)) == NULL)
		log_err("%s: cannot be applied; the configuration in use "
		    "stays", dm->config_path);
	else {
		core_free(dm->core);
		dm->core = c;
		dm->status[0] = '\0';
		dm->refused = false;
		log_info("%s: reloaded", dm->config_path);
	}
	sd_notify(0, "READY=1");
	update_status(dm->core);
	return 0;
}

static int
add_signals(struct daemon *dm)
{
	sigset_t	 set;
	int		 r;

	/* Signals are read from a signalfd by the loop, never handled
	 * asynchronously. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		log_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	if ((r = sd_event_add_signal(dm->e, NULL, SIGTERM, on_term, dm)) < 0 ||
	    (r = sd_event_add_signal(dm->e, NULL, SIGINT, on_term, dm)) < 0 ||
	    (r = sd_event_add_signal(dm->e, NULL, SIGHUP, on_hup, dm)) < 0) {
		log_err("signal sources: %s", strerror(-r));
		return -1;
	}
	return 0;
}

static int
run_daemon(const char *path, bool act_on_start)
{
	struct daemon		 dm;
	struct cw_config	*conf;
	int			 r, rc = 1;

	memset(&dm, 0, sizeof(dm));
	dm.config_path = path;
	if ((conf = config_load(path)) == NULL)
		return EXIT_CONFIG;
	if ((r = sd_event_default(&dm.e)) < 0) {
		log_err("event loop: %s", strerror(-r));
		config_free(conf);
		return 1;
	}
	/* WatchdogSec= in the unit: the loop pings at half the period,
	 * and so do actions while they keep the loop waiting. */
	if ((r = sd_event_set_watchdog(dm.e, true)) < 0)
		log_warn("watchdog: %s", strerror(-r));
	action_keepalive_setup();
	if (add_signals(&dm) == -1 ||
	    (dm.core = core_new(&dm, conf, act_on_start)) == NULL)
		goto out;
	/* The watches exist now. */
	sd_notify(0, "READY=1");
	update_status(dm.core);
	if ((r = sd_event_loop(dm.e)) < 0) {
		log_err("event loop: %s", strerror(-r));
		goto out;
	}
	rc = 0;
out:
	core_free(dm.core);
	sd_event_unref(dm.e);
	return rc;
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: cert-watch [-c FILE] [-v] [--act-on-start]\n"
	    "       cert-watch [-c FILE] --check\n"
	    "\n"
	    "  -c, --config FILE  configuration (default %s)\n"
	    "  -v, --verbose      more messages; twice for debugging\n"
	    "      --check        check the configuration, print the plan\n"
	    "      --act-on-start without a state file, act on every\n"
	    "                     certificate instead of recording them\n"
	    "  -h, --help         this text\n"
	    "      --version      the version\n", CONFIG_DEFAULT_PATH);
}

static int
check_config(const char *path)
{
	struct cw_config	*conf;

	if ((conf = config_load_check(path)) == NULL)
		return EXIT_CONFIG;
	config_print_plan(conf, stdout);
	config_free(conf);
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { OPT_CHECK = 256, OPT_ACT, OPT_VERSION };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "act-on-start", no_argument, NULL, OPT_ACT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char	*path = CONFIG_DEFAULT_PATH;
	bool		 check = false, act = false, journal;
	int		 ch, level = LOG_WARNING;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			level = level == LOG_WARNING ? LOG_INFO : LOG_DEBUG;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_ACT:
			act = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("cert-watch %s\n", VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	/* journald reads "<N>" priority prefixes; a terminal gets names. */
	journal = !check && (getenv("JOURNAL_STREAM") != NULL ||
	    !isatty(STDERR_FILENO));
	log_setup("cert-watch", level, journal);
	if (check)
		return check_config(path);
	return run_daemon(path, act);
}
