/*
 * Reading cert-watch.ini.
 *
 * libinih does the tokenising; its reader callback is ours, so that we
 * know the line each key came from, see section headers as they come
 * (empty and repeated sections included), and catch lines that are too
 * long or not KEY = VALUE.  Every error is logged and counted; the load
 * fails at the end if there was any.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "action.h"
#include "config.h"
#include "hint.h"
#include "iniline.h"
#include "log.h"

#define DEFAULT_LIVE_DIR	"/etc/letsencrypt/live"
#define DEFAULT_STATE_FILE	CONFIG_UNIT_STATE_DIR "/state.json"
#define DEFAULT_SETTLE_MS	2000
#define DEFAULT_MAX_SETTLE_MS	60000
#define DEFAULT_MIN_INTERVAL_MS	30000
#define DEFAULT_RETRY_MAX	5
#define MAX_SEEN_KEYS		32
#define ACTION_PREFIX		"action "

enum section { SEC_NONE, SEC_MAIN, SEC_ACTION, SEC_BAD };

struct parse {
	const char	*path;
	FILE		*f;
	int		 line;
	int		 errors;
	enum section	 kind;
	struct cw_action *cur;		/* the section being read */
	bool		 seen_main;
	bool		 state_file_refused; /* its value was not a path */
	char		*seen[MAX_SEEN_KEYS]; /* keys of this section */
	size_t		 nseen;
	struct cw_config *conf;
};

static const char *const main_keys[] = {
	"live_dir", "settle_ms", "max_settle_ms", "state_file",
	"poll_interval", NULL
};

/* Keys of [action NAME] sections kept here; action_set() has the rest. */
static const char *const schedule_keys[] = {
	"certs", "min_interval", "retry_max", NULL
};

static void __attribute__((format(printf, 2, 3)))
perr(struct parse *p, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line > 0)
		log_err("%s:%d: %s", p->path, p->line, msg);
	else
		log_err("%s: %s", p->path, msg);	/* an empty file */
	p->errors++;
}

/* "KEY: "VALUE" WHAT", the value escaped: it may hold anything. */
static void
bad_value(struct parse *p, const char *key, const char *value,
    const char *what)
{
	char	*v = log_escape(value, strlen(value), 128);

	perr(p, "%s: \"%s\" %s", key, v, what);
	log_escape_free(v);
}

static void
seen_reset(struct parse *p)
{
	while (p->nseen > 0)
		free(p->seen[--p->nseen]);
}

/* Whether key was already given in this section; remembers it. */
static bool
seen_before(struct parse *p, const char *key)
{
	size_t	 i;

	for (i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i], key) == 0)
			return true;
	if (p->nseen < MAX_SEEN_KEYS &&
	    (p->seen[p->nseen] = strdup(key)) != NULL)
		p->nseen++;
	return false;
}

int
config_parse_duration(const char *text, uint64_t unit_ms, uint64_t *out)
{
	static const struct { const char *name; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "", 0 },
	};
	unsigned long long	 n;
	char			*end;
	size_t			 i;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0 || n > UINT32_MAX)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end == '\0') {
		*out = n * unit_ms;
		return 0;
	}
	for (i = 0; units[i].ms != 0; i++)
		if (strcmp(end, units[i].name) == 0) {
			*out = n * units[i].ms;
			return 0;
		}
	return -1;
}

static int
parse_uint(const char *text, unsigned max, unsigned *out)
{
	unsigned long	 n;
	char		*end;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	n = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static void
unknown_key(struct parse *p, const char *key, const char *const *known)
{
	const char	*best = hint_closest(key, known, SIZE_MAX);
	char		*k = log_escape(key, strlen(key), 64);

	if (best != NULL)
		perr(p, "unknown key \"%s\" (did you mean \"%s\"?)", k, best);
	else
		perr(p, "unknown key \"%s\"", k);
	log_escape_free(k);
}

/* Hinted with this file's keys of action sections and action.c's. */
static void
unknown_action_key(struct parse *p, const char *key)
{
	const char	*words[64];
	size_t		 n;

	for (n = 0; schedule_keys[n] != NULL; n++)
		words[n] = schedule_keys[n];
	n += action_key_names(words + n, sizeof(words) / sizeof(*words) -
	    n - 1);
	words[n] = NULL;
	unknown_key(p, key, words);
}

static int
set_string(struct parse *p, const char *key, char **dst, const char *value)
{
	if (value[0] != '/') {
		bad_value(p, key, value, "is not an absolute path");
		return -1;
	}
	free(*dst);
	if ((*dst = strdup(value)) == NULL) {
		perr(p, "out of memory");
		return -1;
	}
	return 0;
}

static void
main_key(struct parse *p, const char *key, const char *value)
{
	struct cw_config	*c = p->conf;
	uint64_t		*ms = NULL, unit = 1;

	if (strcmp(key, "live_dir") == 0)
		set_string(p, key, &c->live_dir, value);
	else if (strcmp(key, "state_file") == 0) {
		if (set_string(p, key, &c->state_file, value) == 0)
			c->state_file_line = p->line;
		else
			p->state_file_refused = true;
	} else if (strcmp(key, "settle_ms") == 0)
		ms = &c->settle_ms;
	else if (strcmp(key, "max_settle_ms") == 0)
		ms = &c->max_settle_ms;
	else if (strcmp(key, "poll_interval") == 0) {
		ms = &c->poll_interval_ms;
		unit = 1000;
	} else
		unknown_key(p, key, main_keys);

	if (ms != NULL && config_parse_duration(value, unit, ms) == -1)
		bad_value(p, key, value, "is not a duration");
}

static bool
valid_cert_name(const char *name)
{
	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 255)
		return false;
	return strchr(name, '/') == NULL;
}

static int
add_cert(struct parse *p, struct cw_action *ca, const char *name)
{
	char	**n;

	if (!valid_cert_name(name)) {
		char	*e = log_escape(name, strlen(name), 64);

		perr(p, "certs: \"%s\" is not a certificate name", e);
		log_escape_free(e);
		return -1;
	}
	n = reallocarray(ca->certs, ca->ncerts + 1, sizeof(*n));
	if (n == NULL || (n[ca->ncerts] = strdup(name)) == NULL) {
		if (n != NULL)
			ca->certs = n;
		perr(p, "out of memory");
		return -1;
	}
	ca->certs = n;
	ca->ncerts++;
	return 0;
}

/* certs = * or names separated by blanks or commas. */
static void
set_certs(struct parse *p, struct cw_action *ca, const char *value)
{
	char	*copy, *tok, *save = NULL;

	if (strcmp(value, "*") == 0) {
		ca->all_certs = true;
		return;
	}
	if ((copy = strdup(value)) == NULL) {
		perr(p, "out of memory");
		return;
	}
	ca->all_certs = false;
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "*") == 0) {
			perr(p, "certs: \"*\" must stand alone");
			break;
		}
		if (add_cert(p, ca, tok) == -1)
			break;
	}
	if (ca->ncerts == 0 && !ca->all_certs)
		perr(p, "certs: no certificate named");
	free(copy);
}

static void
action_key(struct parse *p, const char *key, const char *value)
{
	struct cw_action	*ca = p->cur;

	if (strcmp(key, "certs") == 0)
		set_certs(p, ca, value);
	else if (strcmp(key, "min_interval") == 0) {
		if (config_parse_duration(value, 1000,
		    &ca->min_interval_ms) == -1)
			bad_value(p, key, value, "is not a duration");
	} else if (strcmp(key, "retry_max") == 0) {
		if (parse_uint(value, 1000, &ca->retry_max) == -1 ||
		    ca->retry_max == 0)
			bad_value(p, key, value,
			    "is not a number from 1 to 1000");
	} else if (!action_key_known(key))
		unknown_action_key(p, key);
	else if (action_set(ca->act, key, value, p->path, p->line) == -1)
		p->errors++;
}

static int
handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct parse	*p = user;
	char		*k;

	(void)section;
	if (p->kind == SEC_BAD)
		return 1;
	if (p->kind == SEC_NONE) {
		perr(p, "key outside of any section");
		return 1;
	}
	if (seen_before(p, key)) {
		k = log_escape(key, strlen(key), 64);
		perr(p, "\"%s\" given twice in this section", k);
		log_escape_free(k);
		return 1;
	}
	if (p->kind == SEC_MAIN)
		main_key(p, key, value);
	else
		action_key(p, key, value);
	return 1;
}

static bool
valid_action_name(const char *name)
{
	const char	*s;

	if (name[0] == '\0' || strlen(name) > 64)
		return false;
	for (s = name; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return false;
	return true;
}

static struct cw_action *
new_action(struct parse *p, const char *name)
{
	struct cw_config	*c = p->conf;
	struct cw_action	*a;
	size_t			 i;

	/* Read anyway, so that its errors are reported too. */
	for (i = 0; i < c->nactions; i++)
		if (strcmp(c->actions[i].name, name) == 0)
			perr(p, "[action %s] given twice", name);
	a = reallocarray(c->actions, c->nactions + 1, sizeof(*a));
	if (a == NULL) {
		perr(p, "out of memory");
		return NULL;
	}
	c->actions = a;
	a = &c->actions[c->nactions];
	memset(a, 0, sizeof(*a));
	a->all_certs = true;
	a->min_interval_ms = DEFAULT_MIN_INTERVAL_MS;
	a->retry_max = DEFAULT_RETRY_MAX;
	if ((a->name = strdup(name)) == NULL ||
	    (a->act = action_new(name, p->path, p->line)) == NULL) {
		free(a->name);
		perr(p, "[action %s]: cannot be set up", name);
		return NULL;
	}
	c->nactions++;
	return a;
}

/* Whether the action section being left is complete. */
static void
finish_section(struct parse *p)
{
	if (p->kind == SEC_ACTION && action_finish(p->cur->act) == -1)
		p->errors++;
	p->kind = SEC_BAD;
	p->cur = NULL;
	seen_reset(p);
}

static void
start_section(struct parse *p, const char *name)
{
	char	*e;

	finish_section(p);
	if (strcmp(name, "cert-watch") == 0) {
		/* Read anyway, so that its errors are reported too. */
		if (p->seen_main)
			perr(p, "[cert-watch] given twice");
		p->kind = SEC_MAIN;
		p->seen_main = true;
		return;
	}
	if (strncmp(name, ACTION_PREFIX, strlen(ACTION_PREFIX)) == 0) {
		name += strlen(ACTION_PREFIX);
		while (*name == ' ')
			name++;
		/* A bad name is reported, and the section read under its
		 * escaped form so that its keys are checked too. */
		e = log_escape(name, strlen(name), 64);
		if (!valid_action_name(name)) {
			perr(p, "\"%s\": action names are letters, digits, "
			    "'.', '_' and '-'", e);
			name = e;
		}
		if ((p->cur = new_action(p, name)) != NULL)
			p->kind = SEC_ACTION;
		log_escape_free(e);
		return;
	}
	e = log_escape(name, strlen(name), 64);
	perr(p, "unknown section [%s] (expected [cert-watch] or "
	    "[action NAME])", e);
	log_escape_free(e);
}

/*
 * An indented line, which libinih would join to the value before it:
 * no value here takes more than one line, so it is an error, named
 * for what the line looks like rather than for what the join makes.
 * A section header or a key is then read as if not indented, so that
 * the sections and keys after it are checked as meant; false for
 * other text, which is hidden.
 */
static bool
indented_line(struct parse *p, char *line, char *s)
{
	const char	*shape = iniline_indented_shape(s);

	if (shape == NULL) {
		perr(p, "line must not be indented: no value continues on "
		    "the next line");
		return false;
	}
	perr(p, "a %s line must not be indented", shape);
	memmove(line, s, strlen(s) + 1);
	return true;
}

/* Looks at a whole line before libinih does; false to hide it. */
static bool
inspect_line(struct parse *p, char *line)
{
	char	*s = line, *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n' || *s == '\r' || *s == ';' ||
	    *s == '#')
		return true;
	if (s > line) {
		if (!indented_line(p, line, s))
			return false;
		s = line;
	}
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			perr(p, "section header without ']'");
			return false;
		}
		*end = '\0';
		start_section(p, s + 1);
		*end = ']';
		return true;
	}
	if (strpbrk(s, "=:") == NULL) {
		perr(p, "expected KEY = VALUE");
		return false;
	}
	return true;
}

/* The reader libinih calls for each line: counts and inspects it. */
static char *
reader(char *str, int num, void *user)
{
	struct parse	*p = user;
	int		 c;
	size_t		 len;

	if (fgets(str, num, p->f) == NULL)
		return NULL;
	p->line++;
	len = strlen(str);
	/* Editors on Windows begin UTF-8 files with a byte order mark. */
	if (p->line == 1 && len >= 3 && memcmp(str, "\xef\xbb\xbf", 3) == 0) {
		len -= 3;
		memmove(str, str + 3, len + 1);
	}
	if (len > 0 && str[len - 1] != '\n' && !feof(p->f)) {
		perr(p, "line longer than %d characters", num - 3);
		while ((c = fgetc(p->f)) != EOF && c != '\n')
			;
		str[0] = '\0';
		return str;
	}
	if (!inspect_line(p, str))
		str[0] = '\0';
	return str;
}

static void
check_main(struct parse *p)
{
	struct cw_config	*c = p->conf;

	if (c->max_settle_ms < c->settle_ms)
		perr(p, "max_settle_ms (%" PRIu64 ") is below settle_ms "
		    "(%" PRIu64 ")", c->max_settle_ms, c->settle_ms);
	if (c->settle_ms == 0)
		perr(p, "settle_ms must be above 0");
	if (c->nactions == 0)
		perr(p, "no [action NAME] section: nothing to do");
}

static struct cw_config *
config_defaults(const char *path)
{
	struct cw_config	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->path = strdup(path);
	c->live_dir = strdup(DEFAULT_LIVE_DIR);
	c->state_file = strdup(DEFAULT_STATE_FILE);
	c->settle_ms = DEFAULT_SETTLE_MS;
	c->max_settle_ms = DEFAULT_MAX_SETTLE_MS;
	if (c->path == NULL || c->live_dir == NULL || c->state_file == NULL) {
		config_free(c);
		return NULL;
	}
	return c;
}

/* live_dir may appear after the start (it is watched for), but what
 * is there already must be a directory. */
static int
check_live_dir(const struct cw_config *conf)
{
	struct stat	 st;

	if (stat(conf->live_dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		log_err("%s: live_dir %s: not a directory", conf->path,
		    conf->live_dir);
		return -1;
	}
	if (errno == ENOENT)
		return 0;
	log_err("%s: live_dir %s: %s", conf->path, conf->live_dir,
	    strerror(errno));
	return -1;
}

/*
 * Reads path; with check_state, also the folder of state_file as
 * --check sees it, unless state_file was refused: the default, then
 * checked, is not what the file asked for.
 */
static struct cw_config *
load(const char *path, bool check_state)
{
	struct parse	 p;
	struct stat	 st;

	memset(&p, 0, sizeof(p));
	p.path = path;
	if ((p.f = fopen(path, "re")) == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(p.f), &st) == -1 || !S_ISREG(st.st_mode)) {
		log_err("%s: not a regular file", path);
		fclose(p.f);
		return NULL;
	}
	if ((p.conf = config_defaults(path)) == NULL) {
		log_err("%s: out of memory", path);
		goto out;
	}
	/* Line syntax is checked by inspect_line(); the return value of
	 * libinih adds nothing to what was already reported. */
	ini_parse_stream(reader, &p, handler, &p);
	finish_section(&p);
	if (ferror(p.f))
		perr(&p, "read error: %s", strerror(errno));
	check_main(&p);
	if (check_state && !p.state_file_refused &&
	    config_check_state_dir(p.conf, true) == -1)
		p.errors++;
	if (check_state && check_live_dir(p.conf) == -1)
		p.errors++;
out:
	seen_reset(&p);
	fclose(p.f);
	if (p.conf != NULL && p.errors > 0) {
		log_err("%s: %d error%s", path, p.errors,
		    p.errors == 1 ? "" : "s");
		config_free(p.conf);
		p.conf = NULL;
	}
	return p.conf;
}

struct cw_config *
config_load(const char *path)
{
	return load(path, false);
}

struct cw_config *
config_load_check(const char *path)
{
	return load(path, true);
}

void
config_free(struct cw_config *c)
{
	size_t	 i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nactions; i++) {
		action_free(c->actions[i].act);
		for (j = 0; j < c->actions[i].ncerts; j++)
			free(c->actions[i].certs[j]);
		free(c->actions[i].certs);
		free(c->actions[i].name);
	}
	free(c->actions);
	free(c->path);
	free(c->live_dir);
	free(c->state_file);
	free(c);
}

bool
config_action_wants(const struct cw_action *ca, const char *cert)
{
	size_t	 i;

	if (ca->all_certs)
		return true;
	for (i = 0; i < ca->ncerts; i++)
		if (strcmp(ca->certs[i], cert) == 0)
			return true;
	return false;
}

void
config_state_where(const struct cw_config *c, char *buf, size_t size)
{
	if (c->state_file_line > 0)
		snprintf(buf, size, "%s:%d: state_file %s", c->path,
		    c->state_file_line, c->state_file);
	else
		snprintf(buf, size, "%s: state_file %s (the default)",
		    c->path, c->state_file);
}

/*
 * Whether files can be made in dir: an unnamed one is made and
 * dropped, which leaves nothing behind whatever happens.  A file
 * system without O_TMPFILE cannot tell; its first write will.
 */
static int
check_creatable(const char *where, const char *dir)
{
	int	 fd;

	if ((fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == EISDIR)
		return 0;
	log_err("%s: %s: cannot create files: %s", where, dir,
	    strerror(errno));
	return -1;
}

int
config_check_state_dir(const struct cw_config *c, bool lenient)
{
	return config_check_state_dir_in(c, lenient, CONFIG_UNIT_STATE_DIR);
}

int
config_check_state_dir_in(const struct cw_config *c, bool lenient,
    const char *unit_dir)
{
	const char	*slash = strrchr(c->state_file, '/');
	char		 where[PATH_MAX + 64], *dir;
	struct stat	 st;
	int		 rc = 0;

	dir = slash == c->state_file ? strdup("/") :
	    strndup(c->state_file, (size_t)(slash - c->state_file));
	if (dir == NULL) {
		log_err("%s: out of memory", c->path);
		return -1;
	}
	config_state_where(c, where, sizeof(where));
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_err("%s: %s: not a directory", where, dir);
			rc = -1;
		} else if (stat(c->state_file, &st) == 0 &&
		    !S_ISREG(st.st_mode)) {
			log_err("%s: not a regular file", where);
			rc = -1;
		} else if (!lenient)
			rc = check_creatable(where, dir);
	} else if (errno != ENOENT) {
		log_err("%s: %s: %s", where, dir, strerror(errno));
		rc = -1;
	} else if (lenient && strcmp(dir, unit_dir) == 0)
		log_warn("%s: %s does not exist yet; cert-watch.service "
		    "makes it (StateDirectory=), cert-watch started "
		    "otherwise refuses to run without it", where, dir);
	else {
		log_err("%s: %s does not exist (cert-watch does not create "
		    "it)", where, dir);
		rc = -1;
	}
	free(dir);
	return rc;
}

void
config_print_plan(const struct cw_config *c, FILE *out)
{
	size_t	 i, j;

	fprintf(out, "%s: watch %s\n", c->path, c->live_dir);
	fprintf(out, "  settle after %" PRIu64 " ms of quiet, at most %"
	    PRIu64 " ms\n", c->settle_ms, c->max_settle_ms);
	if (c->poll_interval_ms > 0)
		fprintf(out, "  poll every %" PRIu64 " ms\n",
		    c->poll_interval_ms);
	fprintf(out, "  state in %s\n", c->state_file);
	for (i = 0; i < c->nactions; i++) {
		const struct cw_action	*a = &c->actions[i];

		action_describe(a->act, out);
		fprintf(out, "  for certificates:");
		if (a->all_certs)
			fprintf(out, " all");
		for (j = 0; j < a->ncerts; j++)
			fprintf(out, " %s", a->certs[j]);
		fprintf(out, "\n  at most every %" PRIu64 " ms, given up "
		    "after %u failures\n", a->min_interval_ms, a->retry_max);
	}
}
