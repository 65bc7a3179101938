/*
 * [action NAME] sections: their keys, their coherence, the plan line
 * --check prints, and the order of a run (install, act, verify).
 *
 * Keys (certs, min_interval and retry_max belong to the daemon):
 *   type            systemd | signal | docker | exec (required)
 *   verify          HOST:PORT or [IPV6]:PORT, checked after the action
 *   verify_timeout  default 20 (seconds, or a number and "ms")
 *   install_cert    full chain copied there first; %d each domain, %n
 *   install_key     the name, %% a percent sign; keys get mode 0600,
 *   install_pem     0640 with install_group; pem is chain then key
 *   install_group   group (name or number) of the key copies
 *   timeout         systemd 90, docker 60 (per request, and the
 *                   exec's run), exec 300
 *   systemd:  unit (required), method = reload | restart
 *   signal:   pidfile, process (both required), signal (default HUP)
 *   docker:   container (required), docker_action = restart | kill |
 *             exec (default restart), exec (the command, split on
 *             blanks), signal (kill only, default HUP), socket
 *             (default /run/docker.sock)
 *   exec:     command (required, through /bin/sh -c), per_cert = yes
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action-impl.h"
#include "fsutil.h"
#include "hint.h"
#include "log.h"
#include "verify.h"

#define T(type)		(1u << (type))
#define T_ANY		0u

/* Defaults, in milliseconds. */
#define VERIFY_TIMEOUT_MS	20000u
#define SYSTEMD_TIMEOUT_MS	90000u
#define DOCKER_TIMEOUT_MS	60000u
#define EXEC_TIMEOUT_MS		300000u
#define DURATION_MAX_MS		86400000u

#define EXEC_ARGS_MAX		64

/* A key parser: NULL on success, or what is wrong with the value. */
typedef const char *key_parser(struct action *, const char *);

struct key_def {
	const char	*name;
	enum action_key	 key;
	unsigned	 types;		/* T_ANY, or the types it belongs to */
	key_parser	*parse;
};

static const char *const type_names[] = {
	[ACTION_NONE] = "(none)", [ACTION_SYSTEMD] = "systemd",
	[ACTION_SIGNAL] = "signal", [ACTION_DOCKER] = "docker",
	[ACTION_EXEC] = "exec",
};

static const char *const docker_action_names[] = {
	[DOCKER_RESTART] = "restart", [DOCKER_KILL] = "kill",
	[DOCKER_EXEC] = "exec",
};

static const struct {
	const char	*name;
	int		 signo;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
	{ "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "WINCH", SIGWINCH },
};

long long
action_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
action_sleep_ms(long long ms)
{
	long long	 slice;
	struct timespec	 ts;

	while (ms > 0) {
		if (action_keepalive())
			return -1;
		slice = ms < ACTION_KEEPALIVE_MS ? ms : ACTION_KEEPALIVE_MS;
		ms -= slice;
		ts.tv_sec = slice / 1000;
		ts.tv_nsec = (slice % 1000) * 1000000;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	return action_keepalive() ? -1 : 0;
}

void
action_abandoned(const char *action)
{
	log_warn("action %s: abandoned, cert-watch is stopping", action);
}

const char *
signal_name(int signo)
{
	size_t	 i;

	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].signo == signo)
			return signals[i].name;
	return NULL;
}

int
signal_number(const char *name)
{
	size_t	 i;

	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcmp(signals[i].name, name) == 0)
			return signals[i].signo;
	return -1;
}

/* Replaces *dst by a copy of value. */
static const char *
set_string(char **dst, const char *value)
{
	char	*copy;

	if ((copy = strdup(value)) == NULL)
		return "out of memory";
	free(*dst);
	*dst = copy;
	return NULL;
}

/* Printable ASCII, and tabs where they separate words. */
static bool
printable_tabs(const char *s, bool tabs)
{
	for (; *s != '\0'; s++)
		if (!(tabs && *s == '\t') && ((unsigned char)*s < 0x20 ||
		    (unsigned char)*s >= 0x7f))
			return false;
	return true;
}

static bool
printable(const char *s)
{
	return printable_tabs(s, false);
}

/* "N" or "Ns" seconds, or "Nms", at most a day. */
static const char *
parse_duration(const char *value, unsigned *ms)
{
	uintmax_t	 n;
	char		*end;

	errno = 0;
	if (*value < '0' || *value > '9')
		return "not a duration (seconds, or a number and ms)";
	n = strtoumax(value, &end, 10);
	if (errno == ERANGE || n > DURATION_MAX_MS)
		return "duration too long";
	if (strcmp(end, "ms") != 0) {
		if (*end != '\0' && strcmp(end, "s") != 0)
			return "not a duration (seconds, or a number and ms)";
		n *= 1000;
	}
	if (n == 0 || n > DURATION_MAX_MS)
		return "duration must be between 1 ms and a day";
	*ms = (unsigned)n;
	return NULL;
}

/* The index of v in names[first..last], or -1. */
static int
lookup(const char *const *names, int first, int last, const char *v)
{
	int	 i;

	for (i = first; i <= last; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

static const char *
parse_type(struct action *a, const char *v)
{
	static char	 msg[96];
	const char	*best;
	int		 t;

	t = lookup(type_names, ACTION_SYSTEMD, ACTION_EXEC, v);
	if (t != -1) {
		a->type = (enum action_type)t;
		return NULL;
	}
	best = hint_closest(v, &type_names[ACTION_SYSTEMD],
	    ACTION_EXEC - ACTION_SYSTEMD + 1);
	if (best == NULL)
		return "type must be systemd, signal, docker or exec";
	snprintf(msg, sizeof(msg), "type must be systemd, signal, docker "
	    "or exec (did you mean \"%s\"?)", best);
	return msg;
}

/* HOST:PORT, with an IPv6 address in brackets. */
static const char *
parse_verify(struct action *a, const char *v)
{
	const char	*colon, *host = v, *port;
	size_t		 hostlen;
	unsigned long	 p;
	char		*end, *h;

	if (*v == '[') {
		host = v + 1;
		if ((colon = strchr(host, ']')) == NULL || colon[1] != ':')
			return "expected [IPV6]:PORT";
		hostlen = (size_t)(colon - host);
		port = colon + 2;
	} else {
		if ((colon = strrchr(v, ':')) == NULL)
			return "expected HOST:PORT";
		if (memchr(v, ':', (size_t)(colon - v)) != NULL)
			return "an IPv6 address goes in brackets: [::1]:443";
		hostlen = (size_t)(colon - v);
		port = colon + 1;
	}
	if (hostlen == 0 || !printable(v) || strpbrk(v, " \t") != NULL)
		return "expected HOST:PORT";
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end != '\0' || p == 0 ||
	    p > 65535)
		return "port must be a number from 1 to 65535";
	if ((h = strndup(host, hostlen)) == NULL)
		return "out of memory";
	free(a->verify_host);
	a->verify_host = h;
	return set_string(&a->verify_port, port);
}

static const char *
parse_verify_timeout(struct action *a, const char *v)
{
	return parse_duration(v, &a->verify_timeout_ms);
}

static const char *
parse_timeout(struct action *a, const char *v)
{
	return parse_duration(v, &a->timeout_ms);
}

/* An absolute path whose %-sequences are %d, %n or %%. */
static const char *
check_template(const char *v)
{
	const char	*p;

	if (v[0] != '/')
		return "must be an absolute path";
	if (v[strlen(v) - 1] == '/')
		return "must name a file, not a directory";
	if (!printable(v))
		return "contains control characters";
	for (p = v; (p = strchr(p, '%')) != NULL; p += 2)
		if (p[1] != 'd' && p[1] != 'n' && p[1] != '%')
			return "only %d (domain), %n (name) and %% expand";
	return NULL;
}

static const char *
parse_install_cert(struct action *a, const char *v)
{
	const char	*err = check_template(v);

	return err != NULL ? err : set_string(&a->install_cert, v);
}

static const char *
parse_install_key(struct action *a, const char *v)
{
	const char	*err = check_template(v);

	return err != NULL ? err : set_string(&a->install_key, v);
}

static const char *
parse_install_pem(struct action *a, const char *v)
{
	const char	*err = check_template(v);

	return err != NULL ? err : set_string(&a->install_pem, v);
}

/* A group name, or a number. */
static const char *
parse_install_group(struct action *a, const char *v)
{
	struct group	 gr, *res = NULL;
	char		 buf[4096], *end;
	unsigned long	 n;

	if (*v >= '0' && *v <= '9') {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (*end != '\0' || errno == ERANGE || n >= (gid_t)-1)
			return "not a group name or number";
		a->install_group = (gid_t)n;
		return NULL;
	}
	if (getgrnam_r(v, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return "no such group";
	a->install_group = res->gr_gid;
	return NULL;
}

static const char *
parse_unit(struct action *a, const char *v)
{
	if (*v == '\0' || strlen(v) > 255 || !printable(v) ||
	    strpbrk(v, " \t/") != NULL)
		return "not a unit name";
	return set_string(&a->unit, v);
}

static const char *
parse_method(struct action *a, const char *v)
{
	if (strcmp(v, "reload") == 0)
		a->restart = false;
	else if (strcmp(v, "restart") == 0)
		a->restart = true;
	else
		return "method must be reload or restart";
	return NULL;
}

static const char *
parse_pidfile(struct action *a, const char *v)
{
	if (v[0] != '/' || !printable(v))
		return "must be an absolute path";
	return set_string(&a->pidfile, v);
}

static const char *
parse_process(struct action *a, const char *v)
{
	if (*v == '\0' || strlen(v) > NAME_MAX || !printable(v) ||
	    strchr(v, '/') != NULL)
		return "must be a command name, without a path";
	return set_string(&a->process, v);
}

static const char *
parse_signal(struct action *a, const char *v)
{
	if ((a->signo = signal_number(v)) == -1)
		return "unknown signal name (HUP, USR1, USR2, TERM, ...)";
	return NULL;
}

bool
container_name_valid(const char *name)
{
	size_t	 i;

	/* isalnum() of the C locale, which a daemon keeps. */
	if (!isalnum((unsigned char)name[0]))
		return false;
	for (i = 1; name[i] != '\0'; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("_.-", name[i]) == NULL)
			return false;
	return i <= CONTAINER_NAME_MAX;
}

static const char *
parse_container(struct action *a, const char *v)
{
	if (!container_name_valid(v))
		return "not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, "
		    "at most 128)";
	return set_string(&a->container, v);
}

static const char *
parse_docker_action(struct action *a, const char *v)
{
	int	 d = lookup(docker_action_names, DOCKER_RESTART, DOCKER_EXEC,
	    v);

	if (d == -1)
		return "docker_action must be restart, kill or exec";
	a->docker_action = (enum docker_action)d;
	return NULL;
}

void
strv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Words separated by blanks; no quoting, no shell. */
static const char *
parse_exec(struct action *a, const char *v)
{
	char		**argv;
	const char	 *p = v, *start;
	size_t		  n = 0;

	if (!printable_tabs(v, true))
		return "contains control characters";
	if ((argv = calloc(EXEC_ARGS_MAX + 1, sizeof(*argv))) == NULL)
		return "out of memory";
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == EXEC_ARGS_MAX) {
			strv_free(argv);
			return "more than 64 words";
		}
		for (start = p; *p != '\0' && *p != ' ' && *p != '\t'; p++)
			;
		if ((argv[n++] = strndup(start, (size_t)(p - start))) ==
		    NULL) {
			strv_free(argv);
			return "out of memory";
		}
	}
	if (n == 0) {
		free(argv);
		return "empty command";
	}
	strv_free(a->exec_argv);
	a->exec_argv = argv;
	return NULL;
}

static const char *
parse_socket(struct action *a, const char *v)
{
	/* sun_path holds 108 bytes with the NUL. */
	if (v[0] != '/' || strlen(v) > 107 || !printable(v))
		return "must be an absolute path of at most 107 bytes";
	return set_string(&a->socket, v);
}

static const char *
parse_command(struct action *a, const char *v)
{
	if (*v == '\0')
		return "empty command";
	if (!printable_tabs(v, true))
		return "contains control characters";
	return set_string(&a->command, v);
}

static const char *
parse_per_cert(struct action *a, const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		a->per_cert = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		a->per_cert = false;
	else
		return "must be yes or no";
	return NULL;
}

static const struct key_def keys[] = {
	{ "type", K_TYPE, T_ANY, parse_type },
	{ "verify", K_VERIFY, T_ANY, parse_verify },
	{ "verify_timeout", K_VERIFY_TIMEOUT, T_ANY, parse_verify_timeout },
	{ "install_cert", K_INSTALL_CERT, T_ANY, parse_install_cert },
	{ "install_key", K_INSTALL_KEY, T_ANY, parse_install_key },
	{ "install_pem", K_INSTALL_PEM, T_ANY, parse_install_pem },
	{ "install_group", K_INSTALL_GROUP, T_ANY, parse_install_group },
	{ "timeout", K_TIMEOUT,
	    T(ACTION_SYSTEMD) | T(ACTION_DOCKER) | T(ACTION_EXEC),
	    parse_timeout },
	{ "unit", K_UNIT, T(ACTION_SYSTEMD), parse_unit },
	{ "method", K_METHOD, T(ACTION_SYSTEMD), parse_method },
	{ "pidfile", K_PIDFILE, T(ACTION_SIGNAL), parse_pidfile },
	{ "process", K_PROCESS, T(ACTION_SIGNAL), parse_process },
	{ "signal", K_SIGNAL, T(ACTION_SIGNAL) | T(ACTION_DOCKER),
	    parse_signal },
	{ "container", K_CONTAINER, T(ACTION_DOCKER), parse_container },
	{ "docker_action", K_DOCKER_ACTION, T(ACTION_DOCKER),
	    parse_docker_action },
	{ "exec", K_EXEC, T(ACTION_DOCKER), parse_exec },
	{ "socket", K_SOCKET, T(ACTION_DOCKER), parse_socket },
	{ "command", K_COMMAND, T(ACTION_EXEC), parse_command },
	{ "per_cert", K_PER_CERT, T(ACTION_EXEC), parse_per_cert },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

struct action *
action_new(const char *name, const char *file, int line)
{
	struct action	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->name = strdup(name)) == NULL ||
	    (a->file = strdup(file)) == NULL) {
		log_err("%s:%d: out of memory", file, line);
		action_free(a);
		return NULL;
	}
	a->line = line;
	a->install_group = GID_KEEP;
	a->signo = SIGHUP;
	a->verify_timeout_ms = VERIFY_TIMEOUT_MS;
	return a;
}

void
action_free(struct action *a)
{
	if (a == NULL)
		return;
	free(a->name);
	free(a->file);
	free(a->verify_host);
	free(a->verify_port);
	free(a->install_cert);
	free(a->install_key);
	free(a->install_pem);
	free(a->unit);
	free(a->pidfile);
	free(a->process);
	free(a->container);
	strv_free(a->exec_argv);
	free(a->socket);
	free(a->command);
	free(a);
}

const char *
action_name(const struct action *a)
{
	return a->name;
}

static const struct key_def *
find_key(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

bool
action_key_known(const char *key)
{
	return find_key(key) != NULL;
}

size_t
action_key_names(const char **out, size_t max)
{
	size_t	 i;

	for (i = 0; i < NKEYS && i < max; i++)
		out[i] = keys[i].name;
	return i;
}

int
action_set(struct action *a, const char *key, const char *value,
    const char *file, int line)
{
	const struct key_def	*k = find_key(key);
	const char		*err;
	char			*ekey, *evalue;

	if (k == NULL) {
		ekey = log_escape(key, strlen(key), 64);
		log_err("%s:%d: [action %s]: unknown key '%s'", file, line,
		    a->name, ekey);
		log_escape_free(ekey);
		return -1;
	}
	if (a->key_line[k->key] != 0) {
		log_err("%s:%d: %s: already set at line %d", file, line,
		    k->name, a->key_line[k->key]);
		return -1;
	}
	if ((err = k->parse(a, value)) != NULL) {
		evalue = log_escape(value, strlen(value), 200);
		log_err("%s:%d: %s = %s: %s", file, line, k->name, evalue,
		    err);
		log_escape_free(evalue);
		/* One error for a bad value, not a second "missing". */
		a->key_refused[k->key] = true;
		return -1;
	}
	a->key_line[k->key] = line;
	return 0;
}

/* Keys set that belong to other types. */
static int
check_foreign_keys(const struct action *a)
{
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < NKEYS; i++) {
		if (a->key_line[keys[i].key] == 0 || keys[i].types == T_ANY ||
		    (keys[i].types & T(a->type)) != 0)
			continue;
		log_err("%s:%d: %s: not a key of type %s", a->file,
		    a->key_line[keys[i].key], keys[i].name,
		    type_names[a->type]);
		rc = -1;
	}
	return rc;
}

/* Whether the section gave key, with a value taken or refused. */
static bool
given(const struct action *a, enum action_key key)
{
	return a->key_line[key] != 0 || a->key_refused[key];
}

static int
require(const struct action *a, enum action_key key, const char *name)
{
	if (given(a, key))
		return 0;
	log_err("%s:%d: [action %s]: type %s needs %s", a->file, a->line,
	    a->name, type_names[a->type], name);
	return -1;
}

static int
check_docker(const struct action *a)
{
	int	 rc = require(a, K_CONTAINER, "container");

	if (a->docker_action == DOCKER_EXEC)
		rc |= require(a, K_EXEC, "exec (the command to run)");
	/* Which keys fit is not known when docker_action was refused. */
	if (a->key_refused[K_DOCKER_ACTION])
		return rc;
	if (a->docker_action != DOCKER_EXEC && a->key_line[K_EXEC] != 0) {
		log_err("%s:%d: exec: only for docker_action = exec", a->file,
		    a->key_line[K_EXEC]);
		rc = -1;
	}
	if (a->docker_action != DOCKER_KILL && a->key_line[K_SIGNAL] != 0) {
		log_err("%s:%d: signal: only for docker_action = kill",
		    a->file, a->key_line[K_SIGNAL]);
		rc = -1;
	}
	return rc;
}

int
action_finish(struct action *a)
{
	int	 rc = 0;

	if (a->type == ACTION_NONE && a->key_refused[K_TYPE])
		return 0;
	if (a->type == ACTION_NONE) {
		log_err("%s:%d: [action %s]: type is missing (systemd, "
		    "signal, docker or exec)", a->file, a->line, a->name);
		return -1;
	}
	rc |= check_foreign_keys(a);
	switch (a->type) {
	case ACTION_SYSTEMD:
		rc |= require(a, K_UNIT, "unit");
		break;
	case ACTION_SIGNAL:
		rc |= require(a, K_PIDFILE, "pidfile");
		rc |= require(a, K_PROCESS, "process");
		break;
	case ACTION_DOCKER:
		rc |= check_docker(a);
		break;
	case ACTION_EXEC:
		rc |= require(a, K_COMMAND, "command");
		break;
	case ACTION_NONE:
		break;
	}
	if (a->key_line[K_INSTALL_GROUP] != 0 && !given(a, K_INSTALL_KEY) &&
	    !given(a, K_INSTALL_PEM)) {
		log_err("%s:%d: install_group: only for install_key or "
		    "install_pem", a->file, a->key_line[K_INSTALL_GROUP]);
		rc = -1;
	}
	if (a->key_line[K_VERIFY_TIMEOUT] != 0 && !given(a, K_VERIFY)) {
		log_err("%s:%d: verify_timeout: without verify", a->file,
		    a->key_line[K_VERIFY_TIMEOUT]);
		rc = -1;
	}
	return rc == 0 ? 0 : -1;
}

unsigned
action_timeout_ms(const struct action *a)
{
	if (a->timeout_ms != 0)
		return a->timeout_ms;
	switch (a->type) {
	case ACTION_SYSTEMD:
		return SYSTEMD_TIMEOUT_MS;
	case ACTION_DOCKER:
		return DOCKER_TIMEOUT_MS;
	default:
		return EXEC_TIMEOUT_MS;
	}
}

static void
describe_type(const struct action *a, FILE *out)
{
	size_t	 i;

	switch (a->type) {
	case ACTION_SYSTEMD:
		fprintf(out, "%s %s over D-Bus", a->restart ? "restart" :
		    "reload", a->unit);
		break;
	case ACTION_SIGNAL:
		fprintf(out, "SIG%s to the %s whose pid is in %s",
		    signal_name(a->signo), a->process, a->pidfile);
		break;
	case ACTION_DOCKER:
		fprintf(out, "docker %s of container %s",
		    docker_action_names[a->docker_action], a->container);
		if (a->docker_action == DOCKER_KILL)
			fprintf(out, " with SIG%s", signal_name(a->signo));
		for (i = 0; a->exec_argv != NULL && a->exec_argv[i]; i++)
			fprintf(out, "%s%s", i == 0 ? ": " : " ",
			    a->exec_argv[i]);
		fprintf(out, " through %s", a->socket != NULL ? a->socket :
		    DOCKER_SOCKET_DEFAULT);
		/* See action_run(): a new copy means a restart. */
		if (a->docker_action == DOCKER_EXEC && (a->install_cert ||
		    a->install_key || a->install_pem))
			fprintf(out, " (a restart instead when an install "
			    "creates a new file)");
		break;
	case ACTION_EXEC:
		fprintf(out, "/bin/sh -c '%s'%s", a->command,
		    a->per_cert ? " once per certificate" : "");
		break;
	case ACTION_NONE:
		break;
	}
}

/* A duration as the configuration would say it. */
static void
describe_ms(FILE *out, unsigned ms)
{
	if (ms % 1000 == 0)
		fprintf(out, "%u s", ms / 1000);
	else
		fprintf(out, "%u ms", ms);
}

static void
describe_installs(const struct action *a, FILE *out)
{
	const char	*sep = "";

	fprintf(out, "  installs first:");
	if (a->install_cert != NULL) {
		fprintf(out, " fullchain to %s", a->install_cert);
		sep = ",";
	}
	if (a->install_key != NULL) {
		fprintf(out, "%s key to %s", sep, a->install_key);
		sep = ",";
	}
	if (a->install_pem != NULL)
		fprintf(out, "%s fullchain and key to %s", sep,
		    a->install_pem);
	if (a->install_key != NULL || a->install_pem != NULL)
		fprintf(out, " (key mode %s)",
		    a->install_group == GID_KEEP ? "0600" : "0640");
	fputc('\n', out);
}

void
action_describe(const struct action *a, FILE *out)
{
	bool	 v6;

	fprintf(out, "action %s: ", a->name);
	describe_type(a, out);
	if (a->type != ACTION_SIGNAL) {
		fprintf(out, ", within ");
		describe_ms(out, action_timeout_ms(a));
	}
	if (a->verify_host != NULL) {
		v6 = strchr(a->verify_host, ':') != NULL;
		fprintf(out, "; then verify %s%s%s:%s within ", v6 ? "[" : "",
		    a->verify_host, v6 ? "]" : "", a->verify_port);
		describe_ms(out, a->verify_timeout_ms);
	}
	fputc('\n', out);
	if (a->install_cert != NULL || a->install_key != NULL ||
	    a->install_pem != NULL)
		describe_installs(a, out);
}

static int
perform(const struct action *a, const struct changed_cert *certs,
    size_t n, bool new_copy)
{
	switch (a->type) {
	case ACTION_SYSTEMD:
		return systemd_run(a);
	case ACTION_SIGNAL:
		return signal_run(a);
	case ACTION_DOCKER:
		return docker_run(a, new_copy);
	case ACTION_EXEC:
		return exec_run(a, certs, n);
	case ACTION_NONE:
		break;
	}
	log_err("action %s: no type", a->name);
	return -1;
}

int
action_run(struct action *a, const struct changed_cert *certs, size_t n)
{
	bool	 new_copy = false;
	size_t	 i;

	action_keepalive_start();
	if (action_install(a, certs, n, &new_copy) == -1)
		return -1;
	if (perform(a, certs, n, new_copy || a->new_copy_owed) == -1)
		return -1;
	a->new_copy_owed = false;
	if (a->verify_host == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (verify_served(a->name, a->verify_host, a->verify_port,
		    a->verify_timeout_ms, &certs[i]) == -1)
			return -1;
	return 0;
}
