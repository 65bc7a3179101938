/*
 * Actions: what cert-watch does once certificates have changed.  One
 * struct action per [action NAME] section of the configuration; the
 * daemon feeds it the section's keys, then runs it with the set of
 * certificates that changed.
 */
#ifndef CW_ACTION_H
#define CW_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct action;

/* A new, empty action for the section at FILE:LINE; NULL when out of
 * memory (logged). */
struct action	*action_new(const char *name, const char *file, int line);

/*
 * One key of the section.  The daemon keeps certs, min_interval and
 * retry_max for itself and passes every other key here.  Returns 0, or
 * -1 after logging "FILE:LINE: message" (an unknown key is named).
 */
int	 action_set(struct action *a, const char *key, const char *value,
	    const char *file, int line);

/* The section is complete: checks that the keys its type needs are
 * there and that none belongs to another type.  0, or -1 logged with
 * the file and line.  A section whose type action_set() refused is
 * not checked further (0): that error was reported already. */
int	 action_finish(struct action *a);

/* Whether key is one of the keys action_set() takes. */
bool	 action_key_known(const char *key);
/* Puts the names of those keys in out, at most max; how many. */
size_t	 action_key_names(const char **out, size_t max);

void	 action_free(struct action *a);
const char *action_name(const struct action *a);

/* One or two lines of the plan --check prints. */
void	 action_describe(const struct action *a, FILE *out);

/* A certificate that changed. */
struct changed_cert {
	const char	 *name;		/* live/NAME */
	const char	 *lineage;	/* absolute path of live/NAME */
	char *const	 *domains;	/* DNS SANs of the new leaf */
	size_t		  ndomains;
};

/*
 * Runs the action, synchronously: installs the copies (install_cert,
 * install_key, install_pem), performs the action, then, with verify=,
 * waits until the new leaf is served.  0 on success, -1 after logging.
 */
int	 action_run(struct action *a, const struct changed_cert *certs,
	    size_t n);

/*
 * While an action runs, the event loop does not: every wait inside an
 * action calls action_keepalive() at least once a second.  It sends
 * WATCHDOG=1 when half the watchdog period has passed since the last
 * one, and returns true when SIGTERM or SIGINT is pending; the action
 * is then abandoned (logged by the wait that gives up) and its run
 * returns -1.  action_keepalive_setup() reads the watchdog period of
 * the service manager once, at start.
 */
void	 action_keepalive_setup(void);
bool	 action_keepalive(void);
/* Whether SIGTERM or SIGINT is pending, without pinging. */
bool	 action_stopping(void);

/* Installs again the copies that differ from the live files (another
 * tool may have overwritten them).  1 when it wrote any, so the
 * server must be told; 0 when all matched; -1 after logging. */
int	 action_sync_installs(struct action *a,
	    const struct changed_cert *certs, size_t n);

#endif
