/*
 * Hooks: the administrator's commands run around issuance.
 *
 * A hook runs as "/bin/sh -c TEXT" with stdin from /dev/null, no
 * descriptors but 0-2, PATH extended with the sbin directories cron
 * leaves out, NOTIFY_SOCKET and WATCHDOG_* removed, in a process group
 * of its own.  Its stdout and stderr are logged line by line as
 * "LABEL: line" at LOG_NOTICE.  We wait for the process to exit, not
 * for its output to end, so a daemon it starts in the background does
 * not hold us.  After timeout seconds the group gets SIGTERM, and
 * SIGKILL a few seconds later.
 *
 * Only the administrator's text is ever a command line; values that
 * came from elsewhere (domain names) go into the environment.
 */
#ifndef HOOKS_H
#define HOOKS_H

#include <stddef.h>

/* One variable added to a hook's environment. */
struct hook_var {
	const char	*name;		/* RENEWED_LINEAGE, ... */
	const char	*value;
};

/*
 * Values longer than this go into a temporary file instead, named by
 * NAME_FILE (RENEWED_DOMAINS_FILE), and NAME is left unset.
 */
#define HOOK_VALUE_MAX	(64 * 1024)

/* Default hook_timeout, seconds. */
#define HOOK_TIMEOUT_DEFAULT	300

/*
 * Runs command through /bin/sh -c.  label names the hook in the log
 * ("deploy_hook"); a timeout of 0 means none.  Returns 0 when it
 * exited 0, -1 after logging the exit status, the signal, the timeout
 * or why it could not start.
 */
int	 hook_run(const char *label, const char *command,
	    const struct hook_var *vars, size_t nvars, unsigned timeout);

/*
 * Runs every executable regular file of dir (not dotfiles), directly
 * and in name order, with the same environment; each is labelled by
 * its path.  A missing dir is not an error.  Returns 0 when all
 * exited 0, -1 when any failed (each logged); all are run regardless.
 */
int	 hook_run_dir(const char *dir, const struct hook_var *vars,
	    size_t nvars, unsigned timeout);

#endif
