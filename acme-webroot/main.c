/*
 * acme-webroot: renews certificates through the webroots of running
 * web servers.  This file is the command line: options, the verbs, the
 * lock, the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "hint.h"
#include "issue.h"
#include "log.h"
#include "status.h"
#include "store.h"

#define EXIT_FAILED	1
#define EXIT_USAGE	2
#define EXIT_LOCKED	75

static volatile sig_atomic_t	 stop_requested;

struct options {
	const char	*config;
	int		 level;
	bool		 json;
	unsigned	 wait;
	const char	*verb;
	char		**names;
	int		 nnames;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: acme-webroot [-c FILE] [-v] [-q] [--wait SECONDS] "
	    "renew [NAME...]\n"
	    "       acme-webroot [-c FILE] [-v] [-q] [--wait SECONDS] "
	    "issue NAME...\n"
	    "       acme-webroot [-c FILE] status [--json] [NAME...]\n"
	    "       acme-webroot [-c FILE] check [NAME...]\n"
	    "       acme-webroot -h | --version\n"
	    "\n"
	    "  renew   renew the certificates that are due (all if no NAME)\n"
	    "  issue   issue the named certificates now, due or not\n"
	    "  status  one line per certificate; exit 1 if any needs care\n"
	    "  check   validate the configuration only\n"
	    "\n"
	    "  -c FILE         configuration (default %s)\n"
	    "  -v              show each step; -vv also protocol details\n"
	    "  -q              errors only, nothing on stdout\n"
	    "  --wait SECONDS  wait for another run's lock (default: "
	    "exit 75)\n"
	    "  --json          status as JSON\n", CONFIG_PATH);
}

static int
parse_wait(const char *arg, unsigned *out)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || end == arg || v > 86400) {
		fprintf(stderr, "acme-webroot: --wait: \"%s\" is not a "
		    "number of seconds up to 86400\n", arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* An option getopt refused: unknown, or without its argument. */
static void
bad_option(int c, char *argv[])
{
	char		 shortopt[3] = { '-', (char)optopt, '\0' };
	const char	*opt = argv[optind - 1];

	/* A short one may sit in a cluster ("-qx"): name it alone. */
	if (optopt != 0 && strncmp(opt, "--", 2) != 0)
		opt = shortopt;
	if (c == ':')
		fprintf(stderr, "acme-webroot: option \"%s\" needs an "
		    "argument (-h for help)\n", opt);
	else
		fprintf(stderr, "acme-webroot: unknown option \"%s\" (-h for "
		    "help)\n", opt);
}

/* The verb and its arguments, checked before the configuration is
 * read: a mistyped command line must not be taken for a bad file. */
static int
check_verb(const struct options *o)
{
	static const char *const verbs[] = { "renew", "issue", "status",
	    "check" };
	const char	*hint;
	size_t		 i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(o->verb, verbs[i]) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		hint = hint_closest(o->verb, verbs, i);
		fprintf(stderr, "acme-webroot: unknown verb \"%s\"%s%s%s\n",
		    o->verb, hint ? " (did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?)" : "");
		return -1;
	}
	if (o->json && strcmp(o->verb, "status") != 0) {
		fprintf(stderr, "acme-webroot: --json is for status only\n");
		return -1;
	}
	if (strcmp(o->verb, "issue") == 0 && o->nnames == 0) {
		fprintf(stderr, "acme-webroot: issue needs a NAME\n");
		return -1;
	}
	return 0;
}

/* Returns -1 for a usage error, 1 when done (help, version), else 0. */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "wait", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int	 c;

	o->config = CONFIG_PATH;
	o->level = LOG_WARNING;
	/* Our messages, which name the program rather than its path. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hqv", longs, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'h': usage(stdout); return 1;
		case 'j': o->json = true; break;
		case 'q': o->level = LOG_ERR; break;
		case 'v':
			o->level = o->level < LOG_INFO ? LOG_INFO : LOG_DEBUG;
			break;
		case 'V': printf("acme-webroot %s\n", VERSION); return 1;
		case 'w':
			if (parse_wait(optarg, &o->wait) == -1)
				return -1;
			break;
		default:
			bad_option(c, argv);
			return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	o->verb = argv[optind];
	o->names = argv + optind + 1;
	o->nnames = argc - optind - 1;
	return check_verb(o);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
catch_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1) {
		log_err("sigaction: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/*
 * Marks the sections the command line names; an unknown name is a
 * usage error.  With no names every section is selected.
 */
static int
select_certs(struct config *cfg, char **names, int n, bool *selected)
{
	struct cert_conf	*cc;
	size_t			 i;
	int			 k, rc = 0;

	for (i = 0; i < cfg->ncerts; i++)
		selected[i] = n == 0;
	for (k = 0; k < n; k++) {
		if ((cc = config_find(cfg, names[k])) == NULL) {
			log_err("%s: no [cert %s] section", cfg->path,
			    names[k]);
			rc = -1;
			continue;
		}
		selected[cc - cfg->certs] = true;
	}
	return rc;
}

/* One lock per state directory, taken in config order. */
static int
lock_state_dirs(struct config *cfg, const bool *selected, unsigned wait,
    int *fds)
{
	size_t	 i, j;
	int	 rc;

	for (i = 0; i < cfg->ncerts; i++) {
		fds[i] = -1;
		if (!selected[i] || !cfg->certs[i].valid)
			continue;
		for (j = 0; j < i; j++)
			if (fds[j] != -1 && strcmp(cfg->certs[j].state_dir,
			    cfg->certs[i].state_dir) == 0)
				break;
		if (j < i)
			continue;
		if (store_init(cfg->certs[i].state_dir) == -1)
			return EXIT_FAILED;
		rc = store_lock(cfg->certs[i].state_dir, wait, &fds[i]);
		if (rc == STORE_LOCK_BUSY)
			return EXIT_LOCKED;
		if (rc != 0)
			return EXIT_FAILED;
	}
	return 0;
}

static int
renew_all(struct config *cfg, const bool *selected, bool force)
{
	struct run	 run = { 0 };
	size_t		 i;
	int		 status = 0;

	run.stop = &stop_requested;
	run.force = force;

	for (i = 0; i < cfg->ncerts && !stop_requested; i++) {
		if (!selected[i])
			continue;
		log_set_context(cfg->certs[i].name);
		if (!cfg->certs[i].valid) {
			log_err("skipped: its configuration has errors");
			status = EXIT_FAILED;
		} else if (cert_renew(&run, &cfg->certs[i]) == -1)
			status = EXIT_FAILED;
		log_set_context(NULL);
	}
	if (run_post_hooks(&run, cfg) == -1)
		status = EXIT_FAILED;
	if (stop_requested)
		status = EXIT_FAILED;
	run_free(&run);
	return status;
}

/* `check`: the configuration, then the paths the valid sections need. */
static int
check_all(struct config *cfg, const bool *selected)
{
	size_t	 i;
	int	 status = cfg->nerrors > 0 ? EXIT_USAGE : 0;

	for (i = 0; i < cfg->ncerts; i++)
		if (selected[i] && cfg->certs[i].valid &&
		    cert_conf_check_paths(&cfg->certs[i]) == -1)
			status = EXIT_USAGE;
	return status;
}

static int
run_verb(struct options *o, struct config *cfg)
{
	bool	*selected = NULL;
	int	*locks = NULL, status = EXIT_USAGE;
	size_t	 i;
	bool	 issue = strcmp(o->verb, "issue") == 0;

	selected = calloc(cfg->ncerts + 1, sizeof(*selected));
	locks = calloc(cfg->ncerts + 1, sizeof(*locks));
	if (selected == NULL || locks == NULL)
		goto out;
	if (select_certs(cfg, o->names, o->nnames, selected) == -1)
		goto out;
	/* Not an error (a fresh install has none yet), but not silent. */
	if (cfg->ncerts == 0)
		log_warn("%s: warning: no [cert ...] sections", cfg->path);

	if (strcmp(o->verb, "status") == 0) {
		status = show_status(cfg, selected, o->json);
		goto out;
	}
	if (strcmp(o->verb, "check") == 0) {
		status = check_all(cfg, selected);
		goto out;
	}

	for (i = 0; i < cfg->ncerts; i++)
		locks[i] = -1;
	if ((status = lock_state_dirs(cfg, selected, o->wait, locks)) == 0)
		status = renew_all(cfg, selected, issue);
	/* Configuration errors outrank a failed renewal. */
	if (cfg->nerrors > 0)
		status = EXIT_USAGE;
	for (i = 0; i < cfg->ncerts; i++)
		if (locks[i] != -1)
			store_unlock(locks[i]);
out:
	free(selected);
	free(locks);
	return status;
}

int
main(int argc, char *argv[])
{
	struct options	 o = { 0 };
	struct config	*cfg;
	int		 rc;

	umask(022);
	log_setup("acme-webroot", LOG_WARNING, false);
	if ((rc = parse_options(argc, argv, &o)) != 0)
		return rc == 1 ? 0 : EXIT_USAGE;
	log_setup("acme-webroot", o.level, false);
	if (catch_signals() == -1)
		return EXIT_FAILED;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_err("libcurl cannot be initialised");
		return EXIT_FAILED;
	}

	if ((cfg = config_load(o.config)) == NULL)
		rc = EXIT_USAGE;
	else {
		rc = run_verb(&o, cfg);
		config_free(cfg);
	}
	curl_global_cleanup();
	return rc;
}
