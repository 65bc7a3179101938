/*
 * What the action types share: the parsed section and the entry points
 * of each type.  Private to action*.c and their unit tests.
 */
#ifndef CW_ACTION_IMPL_H
#define CW_ACTION_IMPL_H

#include <stdbool.h>
#include <sys/types.h>

#include "action.h"

enum action_type {
	ACTION_NONE,
	ACTION_SYSTEMD,
	ACTION_SIGNAL,
	ACTION_DOCKER,
	ACTION_EXEC
};

enum docker_action {
	DOCKER_RESTART,
	DOCKER_KILL,
	DOCKER_EXEC
};

/* Keys of a section, as indices into action.key_line. */
enum action_key {
	K_TYPE, K_VERIFY, K_VERIFY_TIMEOUT, K_INSTALL_CERT, K_INSTALL_KEY,
	K_INSTALL_PEM, K_INSTALL_GROUP, K_TIMEOUT,
	K_UNIT, K_METHOD,
	K_PIDFILE, K_PROCESS, K_SIGNAL,
	K_CONTAINER, K_DOCKER_ACTION, K_EXEC, K_SOCKET,
	K_COMMAND, K_PER_CERT,
	K_COUNT
};

#define DOCKER_SOCKET_DEFAULT	"/run/docker.sock"
#define CONTAINER_NAME_MAX	128

struct action {
	char		*name;
	char		*file;		/* where the section starts */
	int		 line;
	int		 key_line[K_COUNT];	/* 0 while a key is unset */
	enum action_type type;
	/* Keys given with a value action_set() refused: that error is
	 * reported, and finishing takes them as given, not missing. */
	bool		 key_refused[K_COUNT];

	/* verify = HOST:PORT */
	char		*verify_host;
	char		*verify_port;
	unsigned	 verify_timeout_ms;

	/* Templates of installed copies, %d and %n not yet expanded. */
	char		*install_cert;	/* full chain */
	char		*install_key;
	char		*install_pem;	/* full chain then key */
	gid_t		 install_group;	/* GID_KEEP unless install_group */

	unsigned	 timeout_ms;	/* 0: the type's default */
	/* A resync created a copy that did not exist: the next run must
	 * restart (docker) even if it writes no new file itself. */
	bool		 new_copy_owed;

	/* systemd */
	char		*unit;
	bool		 restart;	/* RestartUnit, not ReloadUnit */

	/* signal, and docker kill */
	char		*pidfile;
	char		*process;
	int		 signo;

	/* docker */
	char		*container;
	enum docker_action docker_action;
	char		**exec_argv;	/* NULL-terminated */
	char		*socket;

	/* exec */
	char		*command;
	bool		 per_cert;
};

/* CLOCK_MONOTONIC in milliseconds, and a sleep that resumes after
 * signals (actions run synchronously) and calls action_keepalive()
 * every second: -1 as soon as it says to stop, else 0. */
long long	 action_now_ms(void);
int		 action_sleep_ms(long long ms);

/* The longest wait between two calls of action_keepalive(). */
#define ACTION_KEEPALIVE_MS	1000

/* At the start of a run: pings at once, as the loop's last ping may
 * be half a period old. */
void		 action_keepalive_start(void);

/* Logs that the action gives up because the daemon stops. */
void		 action_abandoned(const char *action);

/* The name of a signal number ("HUP"), or NULL. */
const char	*signal_name(int signo);
/* A signal by name, with or without "SIG"; -1 when unknown. */
int		 signal_number(const char *name);

/* The timeout that applies to a, in milliseconds. */
unsigned	 action_timeout_ms(const struct action *a);

/*
 * Each type's work, once the copies are installed.  new_copy says that
 * an install created a file that did not exist before.  0 or -1 logged.
 */
int	 systemd_run(const struct action *a);
int	 signal_run(const struct action *a);
int	 docker_run(const struct action *a, bool new_copy);
int	 exec_run(const struct action *a, const struct changed_cert *certs,
	    size_t n);

/* Pid file text to a pid: digits and one optional trailing newline
 * only, 1 .. INT_MAX.  -1 when it is anything else (not logged). */
pid_t	 pidfile_parse(const char *text, size_t len);

/* A container name Docker would accept, short enough for a URL. */
bool	 container_name_valid(const char *name);

/*
 * The paths of a template for one certificate: one per domain when it
 * contains %d, otherwise one.  *out is a NULL-terminated array to free
 * with strv_free().  0, or -1 after logging.
 */
int	 install_expand(const char *tmpl, const struct changed_cert *c,
	    char ***out);
void	 strv_free(char **v);

/*
 * Writes the copies of each certificate's files (action_run); new_copy
 * is set when one of them did not exist before.  0 or -1 logged.
 */
int	 action_install(const struct action *a,
	    const struct changed_cert *certs, size_t n, bool *new_copy);

#endif
