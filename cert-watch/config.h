/*
 * cert-watch's configuration: the [cert-watch] section and one
 * [action NAME] section per action.
 *
 * Keys of an action section are handed to action_set(), except the
 * three that concern scheduling (certs, min_interval, retry_max), which
 * are kept here.  Errors are logged as "FILE:LINE: message", all of
 * them, before the load fails.
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH	"/etc/cert-watch/cert-watch.ini"

struct action;

/* One [action NAME] section. */
struct cw_action {
	struct action	*act;		/* the action proper (action.h) */
	char		*name;		/* NAME of the section */
	char		**certs;	/* live/NAME names it serves */
	size_t		 ncerts;
	bool		 all_certs;	/* certs = * (the default) */
	uint64_t	 min_interval_ms; /* least time between two runs */
	unsigned	 retry_max;	/* failures in a row, then give up */
};

struct cw_config {
	char		*path;		/* the file it was read from */
	char		*live_dir;	/* e.g. /etc/letsencrypt/live */
	char		*state_file;
	int		 state_file_line; /* 0: the default */
	uint64_t	 settle_ms;	/* quiet time that ends a burst */
	uint64_t	 max_settle_ms;	/* longest wait for a burst to end */
	uint64_t	 poll_interval_ms; /* 0: inotify where it works */
	struct cw_action *actions;
	size_t		 nactions;
};

/* Reads and checks path; NULL after logging every error found. */
struct cw_config *config_load(const char *path);
/* The same for --check: the folder of state_file (with
 * config_check_state_dir(), lenient) and live_dir, when it exists,
 * are checked too, their errors counted with the others. */
struct cw_config *config_load_check(const char *path);
void		 config_free(struct cw_config *conf);

/* Whether the action serves the certificate live/NAME. */
bool		 config_action_wants(const struct cw_action *ca,
		    const char *cert);

/* "FILE:LINE: state_file PATH", or "FILE: state_file PATH (the
 * default)" when the configuration does not set it: where messages
 * about the state file point. */
void		 config_state_where(const struct cw_config *conf, char *buf,
		    size_t size);

/* The folder contrib/cert-watch.service has systemd make
 * (StateDirectory=cert-watch). */
#define CONFIG_UNIT_STATE_DIR	"/var/lib/cert-watch"

/*
 * Whether the folder that holds state_file exists and is a folder,
 * and state_file, if it exists, is a regular file:
 * 0, or -1 after logging "FILE:LINE: state_file PATH: ..." (without
 * LINE for the default).  With lenient (--check), a missing
 * CONFIG_UNIT_STATE_DIR is only a warning when state_file lies in it,
 * default or not: the shipped unit's StateDirectory= creates it.
 * Without (at start), files must also be creatable in the folder.
 */
int		 config_check_state_dir(const struct cw_config *conf,
		    bool lenient);
/* The same with unit_dir in place of CONFIG_UNIT_STATE_DIR, so that
 * the rule can be tried where that folder exists. */
int		 config_check_state_dir_in(const struct cw_config *conf,
		    bool lenient, const char *unit_dir);

/* Prints what the daemon would watch and do (--check). */
void		 config_print_plan(const struct cw_config *conf, FILE *out);

/*
 * Parses a duration: a number with an optional unit (ms, s, m, h); a
 * bare number is in unit_ms milliseconds.  0 or -1 (not logged).
 */
int		 config_parse_duration(const char *text, uint64_t unit_ms,
		    uint64_t *out);

#endif
