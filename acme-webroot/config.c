/*
 * The configuration file, read with libinih.
 *
 * libinih hides what it does to a line: it gives no line numbers, cuts
 * lines and section names short, ends a value at " ;", continues
 * indented lines and merges repeated sections.  So every line reaches
 * it through read_line(), which counts lines, classifies each one the
 * way libinih will, and reports what libinih would otherwise change
 * without a word.  The handler then only stores values.  They are
 * checked once the whole file and its includes are read, when
 * [defaults] can be applied to every [cert NAME] wherever it appears.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "hint.h"
#include "iniline.h"
#include "log.h"
#include "config.h"
#include "names.h"

/* libinih copies a section name into 50 bytes, its NUL included. */
#define SECTION_MAX	49
#define CERT_NAME_MAX	64
#define INCLUDE_DEPTH	8
#define SHOWN_MAX	120	/* bytes of a value shown in a message */
#define POOL_SIZE	8

/* One file read, the main one or an include. */
struct conf_file {
	size_t	 index;		/* in the order files were opened */
	char	*path;		/* as given, or as glob(3) found it */
	char	*real;		/* realpath(3), to recognise it again */
	char	*shown;		/* path escaped, for messages */
};

/* The error that comes first in file and line order, for status. */
struct first_error {
	char	*text;		/* "FILE:LINE: message", or NULL */
	size_t	 file;		/* conf_file index */
	int	 line;
};

/* One key = value line, or one indented line continuing it. */
struct entry {
	char			*key;	/* in full, as written */
	char			*value;	/* as libinih left it */
	const struct conf_file	*file;	/* where the line is */
	int			 line;
	bool			 cont;	/* an indented continuation line */
};

/* A section as written, before [defaults] are applied. */
struct section {
	char			*name;	/* NAME of [cert NAME], or NULL */
	char			*label;	/* "[cert NAME]", escaped */
	const struct conf_file	*file;	/* where its [...] line is */
	int			 line;
	bool			 defaults; /* a [defaults] section */
	bool			 bad;	/* an error was found in it */
	struct first_error	 error;	/* the first one in file order */
	bool			 discard; /* not to become a cert_conf */
	bool			 domains_lost; /* a domains line was refused:
					 * no domains is no news then */
	struct entry		*entries; /* its lines, in order */
	size_t			 nentries;
};

/* An error, kept so that all are shown in file and line order. */
struct conf_msg {
	size_t	 file;		/* conf_file index */
	int	 line;
	size_t	 seq;		/* order found, for equal lines */
	char	*text;		/* "FILE:LINE: message" */
};

/* One config_load(). */
struct loader {
	struct config		 *cfg;
	struct conf_file	**files;	/* every file read */
	size_t			  nfiles;
	struct section		**sections;	/* in the order read */
	size_t			  nsections;
	struct section		 *defaults;	/* the first [defaults] */
	bool			  global_bad;	/* every section is invalid */
	struct first_error	  global_error;	/* the first that made it so */
	bool			  oom;		/* memory ran out: fail */
	int			  depth;	/* of includes */
	char			 *pool[POOL_SIZE]; /* escaped message parts */
	size_t			  npool;
	struct conf_msg		 *msgs;		/* errors not yet logged */
	size_t			  nmsgs;
};

/*
 * One file being read.  Its line state mirrors libinih's: last_key is
 * libinih's "previous name", which decides whether an indented line is
 * a continuation, kept here in full where libinih cuts it.
 */
struct reader {
	struct loader		*ld;
	const struct conf_file	*file;
	FILE			*fp;
	char			*raw;		/* getline(3) buffer */
	size_t			 rawsize;
	int			 lineno;	/* of the line just read */
	int			 read_errno;	/* why reading stopped early */
	bool			 in_section;	/* a section line was seen */
	struct section		*cur;		/* NULL: keys are dropped */
	char			*last_key;	/* of the last key line */
	bool			 ignore_key;	/* last_key's lines dropped */
	bool			 cont;		/* this line continues */
	bool			 semicolon;	/* its value holds " ;" */
	bool			 ignore;	/* its value is dropped */
};

enum line_kind { LINE_BLANK, LINE_CONT, LINE_SECTION, LINE_KEY, LINE_BAD };

/* How a key's value is read. */
enum value_kind {
	V_URL, V_BOOL, V_EMAIL, V_PATH, V_KEYTYPE, V_RENEW, V_HOOK,
	V_SECONDS, V_COUNT, V_GROUP, V_DOMAINS, V_WEBROOT_FOR, V_INCLUDE,
};

enum key_where { IN_ANY, IN_CERT, IN_DEFAULTS };

struct key_info {
	const char	*name;
	enum value_kind	 kind;
	enum key_where	 where;
	size_t		 offset;	/* of the member it sets */
	bool		 may_be_empty;	/* empty unsets what [defaults] set */
};

#define AT(m)	offsetof(struct cert_conf, m)

static const struct key_info keys[] = {
	{ "directory",	 V_URL,		IN_ANY,	AT(directory),	 false },
	{ "agree_tos",	 V_BOOL,	IN_ANY,	AT(agree_tos),	 false },
	{ "email",	 V_EMAIL,	IN_ANY,	AT(email),	 true },
	{ "ca_bundle",	 V_PATH,	IN_ANY,	AT(ca_bundle),	 true },
	{ "state_dir",	 V_PATH,	IN_ANY,	AT(state_dir),	 false },
	{ "account_key", V_PATH,	IN_ANY,	AT(account_key), false },
	{ "key_type",	 V_KEYTYPE,	IN_ANY,	AT(key_type),	 false },
	{ "renew_before", V_RENEW,	IN_ANY,	0,		 false },
	{ "webroot",	 V_PATH,	IN_ANY,	AT(webroot),	 true },
	{ "domains",	 V_DOMAINS,	IN_CERT, 0,		 false },
	{ "pre_hook",	 V_HOOK,	IN_ANY,	AT(pre_hook),	 true },
	{ "post_hook",	 V_HOOK,	IN_ANY,	AT(post_hook),	 true },
	{ "deploy_hook", V_HOOK,	IN_ANY,	AT(deploy_hook), true },
	{ "hook_timeout", V_SECONDS,	IN_ANY,	AT(hook_timeout), false },
	{ "timeout",	 V_SECONDS,	IN_ANY,	AT(timeout),	 false },
	{ "key_group",	 V_GROUP,	IN_ANY,	AT(key_group),	 true },
	{ "max_names",	 V_COUNT,	IN_ANY,	AT(max_names),	 false },
	{ "include",	 V_INCLUDE,	IN_DEFAULTS, 0,		 false },
};

static const struct key_info webroot_for = {
	"webroot.DOMAIN", V_WEBROOT_FOR, IN_CERT, 0, false
};

/* The string members of struct cert_conf, to copy and free them. */
static const size_t string_members[] = {
	AT(name), AT(file), AT(webroot), AT(directory), AT(email),
	AT(ca_bundle), AT(state_dir), AT(account_key), AT(pre_hook),
	AT(post_hook), AT(deploy_hook), AT(key_group), AT(webroot_at),
	AT(ca_bundle_at), AT(renew_before_at), AT(error),
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int	 parse_file(struct loader *, const char *,
		    const struct conf_file *, int);

/* Memory */

static void *
xrealloc(struct loader *ld, void *p, size_t n, size_t size)
{
	void	*q;

	if ((q = reallocarray(p, n, size)) == NULL)
		ld->oom = true;
	return q;
}

static char *
xstrdup(struct loader *ld, const char *s)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		ld->oom = true;
	return d;
}

static char **
member_str(struct cert_conf *cc, size_t offset)
{
	return (char **)(void *)((char *)cc + offset);
}

static bool
append_str(struct loader *ld, char ***arr, size_t n, const char *s)
{
	char	**a, *d;

	if ((d = xstrdup(ld, s)) == NULL)
		return false;
	if ((a = xrealloc(ld, *arr, n + 1, sizeof(*a))) == NULL) {
		free(d);
		return false;
	}
	a[n] = d;
	*arr = a;
	return true;
}

static void
free_strv(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Messages */

/* An escaped copy of untrusted text for the message being built,
 * freed once conf_err() has logged it. */
static const char *
q(struct loader *ld, const char *text)
{
	char	*e;

	if (ld->npool == POOL_SIZE)
		return "...";
	e = log_escape(text, strlen(text), SHOWN_MAX);
	ld->pool[ld->npool++] = e;
	return e;
}

/* Values are checked after the whole file is read, so errors are found
 * out of line order; they are sorted before they are logged. */
static void
keep_msg(struct loader *ld, const struct conf_file *f, int line,
    const char *msg)
{
	struct conf_msg	*v;
	char		*text;

	if (asprintf(&text, "%s:%d: %s", f->shown, line, msg) == -1) {
		log_err("%s:%d: %s", f->shown, line, msg);
		return;
	}
	if ((v = reallocarray(ld->msgs, ld->nmsgs + 1, sizeof(*v))) ==
	    NULL) {
		log_err("%s", text);
		free(text);
		return;
	}
	ld->msgs = v;
	v[ld->nmsgs] = (struct conf_msg){ f->index, line, ld->nmsgs, text };
	ld->nmsgs++;
}

static int
msg_order(const void *a, const void *b)
{
	const struct conf_msg	*x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
log_msgs(struct loader *ld)
{
	size_t	 i;

	if (ld->nmsgs > 0)
		qsort(ld->msgs, ld->nmsgs, sizeof(*ld->msgs), msg_order);
	for (i = 0; i < ld->nmsgs; i++) {
		log_err("%s", ld->msgs[i].text);
		free(ld->msgs[i].text);
	}
	free(ld->msgs);
	ld->msgs = NULL;
	ld->nmsgs = 0;
}

/* Keeps the error if it comes before the one kept, in file order. */
static void
keep_first(struct first_error *first, const struct conf_file *f, int line,
    const char *msg)
{
	char	*text;

	if (first->text != NULL && (first->file < f->index ||
	    (first->file == f->index && first->line <= line)))
		return;
	if (asprintf(&text, "%s:%d: %s", f->shown, line, msg) == -1)
		return;
	free(first->text);
	*first = (struct first_error){ text, f->index, line };
}

/* Reports FILE:LINE: message, counts it, and marks what it invalidates:
 * its [cert NAME], or everything when it is outside one. */
static void
conf_err(struct loader *ld, struct section *sec, const struct conf_file *f,
    int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
conf_err(struct loader *ld, struct section *sec, const struct conf_file *f,
    int line, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	keep_msg(ld, f, line, msg);
	while (ld->npool > 0)
		log_escape_free(ld->pool[--ld->npool]);
	ld->cfg->nerrors++;
	if (sec == NULL || sec->defaults) {
		ld->global_bad = true;
		keep_first(&ld->global_error, f, line, msg);
	} else {
		sec->bad = true;
		keep_first(&sec->error, f, line, msg);
	}
}

/* The message of an invalid value, after "KEY in [SECTION]: ". */
static void
value_err(struct loader *ld, struct section *sec, const struct entry *e,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
value_err(struct loader *ld, struct section *sec, const struct entry *e,
    const char *fmt, ...)
{
	char	 msg[768];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err(ld, sec, e->file, e->line, "%s in %s: %s", q(ld, e->key),
	    sec->label, msg);
}

/* Keys */

static const struct key_info *
find_key(const char *name)
{
	size_t	 i;

	if (strncmp(name, "webroot.", 8) == 0)
		return &webroot_for;
	for (i = 0; i < NELEM(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* " (did you mean "KEY"?)" for an unknown key, or "". */
static void
key_hint(const char *key, char *hint, size_t len)
{
	const char	*words[NELEM(keys)], *best, *dot;
	char		 head[65];
	size_t		 i;

	hint[0] = '\0';
	for (i = 0; i < NELEM(keys); i++)
		words[i] = keys[i].name;
	if ((best = hint_closest(key, words, NELEM(words))) != NULL) {
		snprintf(hint, len, " (did you mean \"%s\"?)", best);
		return;
	}
	/* "webrot.example.org" is meant as "webroot.example.org". */
	dot = strchr(key, '.');
	if (dot == NULL || (size_t)(dot - key) >= sizeof(head))
		return;
	memcpy(head, key, (size_t)(dot - key));
	head[dot - key] = '\0';
	if (hint_distance(head, "webroot") <= 2)
		snprintf(hint, len, " (did you mean \"webroot%.*s\"?)",
		    SHOWN_MAX, dot);
}

/* Line classification, mirroring libinih */

static const char *
skip_space(const char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Where libinih stops when looking for one of chars: there, at an
 * inline comment (whitespace then ';'), or at the end. */
static const char *
find_stop(const char *s, const char *chars)
{
	bool	 was_space = false;

	for (; *s != '\0'; s++) {
		if (chars != NULL && strchr(chars, *s) != NULL)
			break;
		if (was_space && *s == ';')
			break;
		was_space = isspace((unsigned char)*s);
	}
	return s;
}

static struct section *
find_cert(struct loader *ld, const char *name)
{
	size_t	 i;

	for (i = 0; i < ld->nsections; i++) {
		struct section	*s = ld->sections[i];

		if (!s->discard && s->name != NULL &&
		    strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

static struct section *
new_section(struct reader *rd, const char *name, bool defaults)
{
	struct loader	*ld = rd->ld;
	struct section	*sec, **v;
	char		*shown;
	size_t		 len;

	if ((sec = calloc(1, sizeof(*sec))) == NULL ||
	    (v = xrealloc(ld, ld->sections, ld->nsections + 1,
	    sizeof(*v))) == NULL) {
		ld->oom = true;
		free(sec);
		return NULL;
	}
	ld->sections = v;
	v[ld->nsections++] = sec;
	sec->file = rd->file;
	sec->line = rd->lineno;
	sec->defaults = defaults;
	sec->name = xstrdup(ld, name);
	shown = log_escape(name ? name : "", name ? strlen(name) : 0,
	    SHOWN_MAX);
	len = strlen(shown) + 16;
	if ((sec->label = malloc(len)) == NULL)
		ld->oom = true;
	else if (defaults)
		snprintf(sec->label, len, "[defaults]");
	else
		snprintf(sec->label, len, "[cert %s]", shown);
	log_escape_free(shown);
	return sec;
}

static bool
cert_name_ok(const char *name, char *why, size_t len)
{
	const char	*p;

	if (*name == '\0')
		snprintf(why, len, "needs a NAME");
	else if (strlen(name) > CERT_NAME_MAX)
		snprintf(why, len, "has a NAME longer than %d bytes",
		    CERT_NAME_MAX);
	else if (name[0] == '.')
		snprintf(why, len, "has a NAME starting with '.'");
	else {
		/* ASCII whatever the locale: NAME becomes a path. */
		for (p = name; *p != '\0'; p++)
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p) ==
			    NULL)
				break;
		if (*p == '\0')
			return true;
		snprintf(why, len, "has a NAME with a character other than "
		    "letters, digits, '.', '-' and '_'");
	}
	return false;
}

/* The section a [cert NAME] line starts; a discarded one when NAME is
 * bad or repeated, so that its keys are still checked. */
static struct section *
start_cert(struct reader *rd, const char *name)
{
	struct loader	*ld = rd->ld;
	struct section	*sec, *old;
	char		 why[128];

	old = find_cert(ld, name);
	if ((sec = new_section(rd, name, false)) == NULL)
		return NULL;
	if (!cert_name_ok(name, why, sizeof(why))) {
		sec->discard = true;
		conf_err(ld, sec, rd->file, rd->lineno, "%s %s", sec->label,
		    why);
	} else if (old != NULL) {
		sec->discard = true;
		conf_err(ld, sec, rd->file, rd->lineno, "%s repeats the "
		    "section at %s:%d (libinih would merge the two)",
		    sec->label, old->file->shown, old->line);
		old->bad = true;
		if (old->error.text == NULL) {
			old->error = sec->error;
			old->error.text = xstrdup(ld, sec->error.text);
		}
	}
	return sec;
}

static struct section *
start_defaults(struct reader *rd, const char *rest)
{
	struct loader	*ld = rd->ld;
	struct section	*sec;

	if ((sec = new_section(rd, NULL, true)) == NULL)
		return NULL;
	if (*rest != '\0')
		conf_err(ld, sec, rd->file, rd->lineno, "[defaults] takes "
		    "no name, \"%s\" follows it", q(ld, rest));
	if (ld->defaults != NULL) {
		sec->discard = true;
		conf_err(ld, sec, rd->file, rd->lineno, "[defaults] repeats "
		    "the section at %s:%d (libinih would merge the two)",
		    ld->defaults->file->shown, ld->defaults->line);
	} else
		ld->defaults = sec;
	return sec;
}

/* Splits "cert  NAME " into kind and name, in place. */
static void
split_header(char *text, char **kind, char **rest)
{
	char	*end;

	text += skip_space(text) - text;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		*--end = '\0';
	*kind = text;
	while (*text != '\0' && !isspace((unsigned char)*text))
		text++;
	if (*text != '\0')
		*text++ = '\0';
	*rest = text + (skip_space(text) - text);
}

static void
open_section(struct reader *rd, char *text)
{
	static const char *const kinds[] = { "defaults", "cert" };
	struct loader	*ld = rd->ld;
	const char	*hint;
	char		*kind, *rest;

	split_header(text, &kind, &rest);
	if (strcmp(kind, "defaults") == 0)
		rd->cur = start_defaults(rd, rest);
	else if (strcmp(kind, "cert") == 0)
		rd->cur = start_cert(rd, rest);
	else {
		/* Keys meant for an unknown section could be defaults:
		 * nothing can be trusted. */
		hint = hint_closest(kind, kinds, NELEM(kinds));
		conf_err(ld, NULL, rd->file, rd->lineno, "unknown section "
		    "kind \"%s\"%s%s%s", q(ld, kind),
		    hint ? " (did you mean \"" : "", hint ? hint : "",
		    hint ? "\"?)" : "");
		rd->cur = NULL;
	}
}

static enum line_kind
section_line(struct reader *rd, const char *s)
{
	struct loader	*ld = rd->ld;
	const char	*end = find_stop(s + 1, "]"), *after;
	char		*text;
	size_t		 len;

	rd->in_section = true;
	if (*end != ']') {
		conf_err(ld, NULL, rd->file, rd->lineno, "section line has "
		    "no ']'%s", *end == ';' ? " before the ';' comment" : "");
		rd->cur = NULL;
		return LINE_BAD;
	}
	len = (size_t)(end - (s + 1));
	if ((text = strndup(s + 1, len)) == NULL) {
		ld->oom = true;
		rd->cur = NULL;
		return LINE_SECTION;
	}
	open_section(rd, text);
	free(text);
	free(rd->last_key);
	rd->last_key = NULL;
	if (len > SECTION_MAX)
		conf_err(ld, rd->cur, rd->file, rd->lineno, "section name is "
		    "%zu bytes, libinih keeps only %d", len, SECTION_MAX);
	after = skip_space(end + 1);
	if (*after != '\0' && *after != ';' && *after != '#')
		conf_err(ld, rd->cur, rd->file, rd->lineno, "text after "
		    "']': \"%s\"", q(ld, after));
	return LINE_SECTION;
}

static struct entry *
find_entry(struct section *sec, const char *key)
{
	size_t	 i;

	for (i = 0; i < sec->nentries; i++)
		if (!sec->entries[i].cont &&
		    strcmp(sec->entries[i].key, key) == 0)
			return &sec->entries[i];
	return NULL;
}

/* Whether a key = value line belongs where it is; false: drop it. */
static bool
key_allowed(struct reader *rd, const char *key)
{
	struct loader		*ld = rd->ld;
	struct section		*sec = rd->cur;
	const struct key_info	*ki = find_key(key);
	const struct entry	*old;
	char			 hint[160];

	if (ki == NULL) {
		key_hint(key, hint, sizeof(hint));
		conf_err(ld, sec, rd->file, rd->lineno, "unknown key \"%s\" "
		    "in %s%s", q(ld, key), sec->label, hint);
		return false;
	}
	if ((ki->where == IN_CERT && sec->defaults) ||
	    (ki->where == IN_DEFAULTS && !sec->defaults)) {
		conf_err(ld, sec, rd->file, rd->lineno, "%s belongs in %s, "
		    "not in %s", q(ld, key), ki->where == IN_CERT ?
		    "a [cert NAME] section" : "[defaults]", sec->label);
		return false;
	}
	if (ki->kind != V_INCLUDE && (old = find_entry(sec, key)) != NULL) {
		conf_err(ld, sec, rd->file, rd->lineno, "%s in %s repeats "
		    "the one at %s:%d", q(ld, key), sec->label,
		    old->file->shown, old->line);
		return false;
	}
	/* libinih ends the value at " ;", which in shell text is
	 * more likely a command separator than a comment. */
	if (ki->kind == V_HOOK && rd->semicolon) {
		conf_err(ld, sec, rd->file, rd->lineno, "%s in %s holds "
		    "\" ;\", where libinih would end it as a comment: put "
		    "the commands in a script, or write \";\" without the "
		    "space before it", key, sec->label);
		return false;
	}
	return true;
}

/* A whitespace then ';' in a value: libinih ends the value there. */
static bool
has_inline_comment(const char *value)
{
	return *find_stop(value, NULL) != '\0';
}

static enum line_kind
key_line(struct reader *rd, const char *s)
{
	struct loader	*ld = rd->ld;
	const char	*end = find_stop(s, "=:");
	size_t		 len;

	if (*end != '=' && *end != ':') {
		conf_err(ld, rd->in_section ? rd->cur : NULL, rd->file,
		    rd->lineno, "line is not a [section], a key = value or "
		    "a comment");
		return LINE_BAD;
	}
	for (len = (size_t)(end - s); len > 0; len--)
		if (!isspace((unsigned char)s[len - 1]))
			break;
	free(rd->last_key);
	rd->last_key = NULL;
	rd->ignore_key = true;
	rd->semicolon = has_inline_comment(end + 1);
	if (len == 0) {
		conf_err(ld, rd->in_section ? rd->cur : NULL, rd->file,
		    rd->lineno, "value without a key");
		return LINE_KEY;
	}
	if ((rd->last_key = strndup(s, len)) == NULL) {
		ld->oom = true;
		return LINE_KEY;
	}
	if (!rd->in_section)
		conf_err(ld, NULL, rd->file, rd->lineno, "%s is outside "
		    "any section", q(ld, rd->last_key));
	else if (rd->cur != NULL && key_allowed(rd, rd->last_key))
		rd->ignore_key = false;
	return LINE_KEY;
}

static enum line_kind
cont_line(struct reader *rd, const char *s)
{
	struct loader	*ld = rd->ld;
	const char	*shape;

	rd->cont = true;
	if (rd->ignore_key || rd->cur == NULL)
		return LINE_CONT;
	if ((shape = iniline_indented_shape(s)) != NULL) {
		conf_err(ld, rd->cur, rd->file, rd->lineno, "indented line "
		    "continues %s in %s: a %s line must not be indented",
		    q(ld, rd->last_key), rd->cur->label, shape);
		rd->ignore = true;
	} else if (strcmp(rd->last_key, "domains") != 0) {
		conf_err(ld, rd->cur, rd->file, rd->lineno, "indented line "
		    "continues %s in %s, which takes one line", q(ld,
		    rd->last_key), rd->cur->label);
		rd->ignore = true;
	}
	return LINE_CONT;
}

static enum line_kind
classify(struct reader *rd, const char *line)
{
	const char	*s = skip_space(line);

	if (*s == '\0' || *s == ';' || *s == '#')
		return LINE_BLANK;
	if (rd->last_key != NULL && s > line)
		return cont_line(rd, s);
	if (*s == '[')
		return section_line(rd, s);
	return key_line(rd, s);
}

/*
 * Checks one raw line and says what libinih is to see: the line, or,
 * when it must not reach libinih whole, a stand-in that leaves
 * libinih's state as the line would have.
 */
static const char *
check_line(struct reader *rd, char *line, size_t len, size_t room)
{
	enum line_kind	 kind;
	bool		 skip = false, nul = strlen(line) != len;

	rd->cont = rd->semicolon = rd->ignore = false;
	kind = classify(rd, line);
	/* libinih r55 keeps an inline comment on a continuation line as
	 * part of the value; it ends there on a key line, and here too. */
	if (kind == LINE_CONT)
		*(line + (find_stop(line, NULL) - line)) = '\0';
	if (nul) {
		conf_err(rd->ld, rd->cur, rd->file, rd->lineno, "line holds "
		    "a NUL byte");
		skip = true;
	} else if (len + 1 > room) {
		conf_err(rd->ld, rd->cur, rd->file, rd->lineno, "line is "
		    "%zu bytes long, libinih reads only %zu", len, room - 1);
		skip = true;
	}
	rd->ignore = rd->ignore || rd->ignore_key || rd->cur == NULL;
	if (!skip)
		return line;
	rd->ignore = true;
	if (rd->cur != NULL && rd->last_key != NULL &&
	    (kind == LINE_KEY || kind == LINE_CONT) &&
	    strcmp(rd->last_key, "domains") == 0)
		rd->cur->domains_lost = true;
	if (kind == LINE_SECTION)
		return "[]";
	if (kind == LINE_KEY)
		return rd->last_key != NULL ? "-=" : "=";
	return "";
}

/* The ini_reader: one raw line at a time, counted and checked. */
static char *
read_line(char *buf, int num, void *stream)
{
	struct reader	*rd = stream;
	const char	*give;
	char		*line;
	ssize_t		 len;

	errno = 0;
	if ((len = getline(&rd->raw, &rd->rawsize, rd->fp)) == -1) {
		if (ferror(rd->fp))
			rd->read_errno = errno != 0 ? errno : EIO;
		return NULL;
	}
	rd->lineno++;
	line = rd->raw;
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (rd->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf",
	    3) == 0) {
		line += 3;
		len -= 3;
	}
	give = check_line(rd, line, (size_t)len, (size_t)num);
	/* Without its newline, which libinih does not need, a line
	 * may use the whole buffer. */
	snprintf(buf, (size_t)num, "%s", give);
	return buf;
}

static void
add_entry(struct reader *rd, const char *value)
{
	struct loader	*ld = rd->ld;
	struct section	*sec = rd->cur;
	struct entry	*v, *e;

	v = xrealloc(ld, sec->entries, sec->nentries + 1, sizeof(*v));
	if (v == NULL)
		return;
	sec->entries = v;
	e = &v[sec->nentries++];
	e->key = xstrdup(ld, rd->last_key);
	e->value = xstrdup(ld, value);
	e->file = rd->file;
	e->line = rd->lineno;
	e->cont = rd->cont;
}

/* Includes */

static bool
has_glob_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The pattern, relative ones taken from the including file's folder. */
static char *
include_pattern(struct reader *rd, const char *value)
{
	const char	*path = rd->file->path, *slash;
	char		*full;
	int		 dirlen;

	if (value[0] == '/' || (slash = strrchr(path, '/')) == NULL)
		return xstrdup(rd->ld, value);
	dirlen = (int)(slash - path);
	if (asprintf(&full, "%.*s/%s", dirlen, path, value) == -1) {
		rd->ld->oom = true;
		return NULL;
	}
	return full;
}

/* glob(3) gives its error callback no context, so the error that
 * stopped it is kept here for the message. */
static int	 glob_errno;

/* A folder of the pattern that does not exist just matches nothing;
 * any other error stops glob(3), lest files be skipped unseen. */
static int
glob_error(const char *epath, int eerrno)
{
	(void)epath;
	if (eerrno == ENOENT || eerrno == ENOTDIR)
		return 0;
	glob_errno = eerrno;
	return 1;
}

static void
include_glob(struct reader *rd, const char *value)
{
	struct loader	*ld = rd->ld;
	glob_t		 g;
	char		*pattern;
	size_t		 i;
	int		 rc;

	if (*value == '\0') {
		conf_err(ld, rd->cur, rd->file, rd->lineno, "include in %s "
		    "is empty", rd->cur->label);
		return;
	}
	if ((pattern = include_pattern(rd, value)) == NULL)
		return;
	glob_errno = 0;
	rc = glob(pattern, 0, glob_error, &g);
	if (rc == GLOB_NOMATCH && has_glob_magic(value))
		log_info("%s:%d: include \"%s\" matches no file",
		    rd->file->shown, rd->lineno, q(ld, pattern));
	else if (rc == GLOB_NOMATCH)
		conf_err(ld, rd->cur, rd->file, rd->lineno, "include: %s "
		    "does not exist", q(ld, pattern));
	else if (rc != 0)
		conf_err(ld, rd->cur, rd->file, rd->lineno, "include: %s "
		    "cannot be read: %s", q(ld, pattern),
		    rc == GLOB_NOSPACE ? "out of memory" :
		    strerror(glob_errno != 0 ? glob_errno : EIO));
	else
		for (i = 0; i < g.gl_pathc; i++)
			parse_file(ld, g.gl_pathv[i], rd->file, rd->lineno);
	while (ld->npool > 0)
		log_escape_free(ld->pool[--ld->npool]);
	globfree(&g);
	free(pattern);
}

/* The ini_handler: stores what read_line() let through. */
static int
on_value(void *user, const char *section, const char *name,
    const char *value)
{
	struct reader	*rd = user;

	(void)section;
	(void)name;
	if (rd->ignore || rd->cur == NULL || rd->last_key == NULL)
		return 1;
	if (!rd->cont && strcmp(rd->last_key, "include") == 0)
		include_glob(rd, value);
	else
		add_entry(rd, value);
	return 1;
}

/* Files */

static struct conf_file *
add_file(struct loader *ld, const char *path, const char *real)
{
	struct conf_file	*f, **v;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (v = xrealloc(ld, ld->files, ld->nfiles + 1,
	    sizeof(*v))) == NULL) {
		ld->oom = true;
		free(f);
		return NULL;
	}
	ld->files = v;
	f->index = ld->nfiles;
	v[ld->nfiles++] = f;
	f->path = xstrdup(ld, path);
	f->real = xstrdup(ld, real);
	f->shown = log_escape(path, strlen(path), 256);
	return f;
}

static const struct conf_file *
seen_file(struct loader *ld, const char *real)
{
	size_t	 i;

	for (i = 0; i < ld->nfiles; i++)
		if (ld->files[i]->real != NULL &&
		    strcmp(ld->files[i]->real, real) == 0)
			return ld->files[i];
	return NULL;
}

/* Why path cannot be read, reported at the include line or, for the
 * main file, on its own. */
static void
file_err(struct loader *ld, const char *path, const struct conf_file *from,
    int line, const char *why)
{
	if (from == NULL)
		log_err("%s: %s", q(ld, path), why);
	else
		conf_err(ld, NULL, from, line, "include: %s: %s", q(ld, path),
		    why);
	while (ld->npool > 0)
		log_escape_free(ld->pool[--ld->npool]);
}

/* Opens path as a regular file that was not read before. */
static FILE *
open_conf(struct loader *ld, const char *path, const struct conf_file *from,
    int line, char **real)
{
	struct stat	 st;
	FILE		*fp = NULL;
	int		 fd;

	*real = NULL;
	/* O_NONBLOCK: a FIFO that an include matches must not hang the
	 * open; it is refused below as not a regular file. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		file_err(ld, path, from, line, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode))
		file_err(ld, path, from, line, "not a regular file");
	else if ((*real = realpath(path, NULL)) == NULL)
		file_err(ld, path, from, line, strerror(errno));
	else if (seen_file(ld, *real) != NULL)
		file_err(ld, path, from, line, "read already (an include "
		    "loop, or a file included twice)");
	else if (from != NULL && ld->depth >= INCLUDE_DEPTH)
		file_err(ld, path, from, line, "includes nest too deep");
	else
		return fp;
	free(*real);
	*real = NULL;
	fclose(fp);
	return NULL;
}

/* Reads one file; -1 when it cannot be read at all. */
static int
parse_file(struct loader *ld, const char *path, const struct conf_file *from,
    int line)
{
	struct reader	 rd;
	char		*real;
	int		 rc;

	memset(&rd, 0, sizeof(rd));
	rd.ld = ld;
	if ((rd.fp = open_conf(ld, path, from, line, &real)) == NULL)
		return -1;
	rd.file = add_file(ld, path, real);
	free(real);
	if (rd.file == NULL) {
		fclose(rd.fp);
		return -1;
	}
	ld->depth++;
	rc = ini_parse_stream(read_line, &rd, on_value, &rd);
	ld->depth--;
	if (rd.read_errno != 0)
		file_err(ld, path, from, line, strerror(rd.read_errno));
	else if (rc < 0)
		ld->oom = true;
	fclose(rd.fp);
	free(rd.raw);
	free(rd.last_key);
	return rd.read_errno != 0 || rc < 0 ? -1 : 0;
}

/* Values */

static bool
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };
	size_t	 i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Digits only, no sign, small enough that products cannot overflow. */
static bool
parse_num(const char *s, const char **rest, long *out)
{
	long	 n = 0;
	int	 digits = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 9)
			return false;
		n = n * 10 + (*s - '0');
	}
	*rest = s;
	*out = n;
	return digits > 0;
}

static bool
parse_range(const char *v, long min, long max, long *out)
{
	const char	*rest;
	long		 n;

	if (!parse_num(v, &rest, &n) || *rest != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* The share of the lifetime that "1/3", "25%" or "12.5%" give, in
 * *out; false when v has none of these forms. */
static bool
parse_share(const char *v, double *out)
{
	const char	*p, *decimals;
	double		 scale = 1;
	long		 a, b;

	if (!parse_num(v, &p, &a))
		return false;
	if (*p == '/') {
		if (!parse_num(p + 1, &p, &b) || *p != '\0' || b == 0)
			return false;
		*out = (double)a / (double)b;
		return true;
	}
	/* One division, so that "99.9%" is the double nearest 0.999. */
	b = 0;
	if (*p == '.') {
		decimals = p + 1;
		if (!parse_num(decimals, &p, &b))
			return false;
		for (; decimals < p; decimals++)
			scale *= 10;
	}
	if (p[0] != '%' || p[1] != '\0')
		return false;
	*out = ((double)a * scale + (double)b) / (scale * 100);
	return true;
}

/* "1/3", "25%", "30d", "12h", "90m", "600s": NULL when v is one of
 * these forms and in range, else what is wrong with it. */
static const char *
parse_renew(const char *v, struct cert_conf *cc)
{
	static const char	 units[] = "dhms";
	static const long	 secs[] = { 86400, 3600, 60, 1 };
	const char		*p, *unit;
	double			 share;
	long			 a;

	if (parse_share(v, &share)) {
		if (share <= 0)
			return "must be above 0";
		if (share >= 1)
			return "must be below 100% (1/1) of the lifetime";
		cc->renew_kind = RENEW_FRACTION;
		cc->renew_fraction = share;
		return NULL;
	}
	if (!parse_num(v, &p, &a) || p[0] == '\0' || p[1] != '\0' ||
	    (unit = strchr(units, p[0])) == NULL)
		return "is not a fraction of the lifetime (1/3, 25%) or a "
		    "time (30d, 12h, 90m, 600s)";
	if (a == 0)
		return "must be above 0";
	if (a > 3650 * 86400 / secs[unit - units])
		return "is more than 3650 days";
	cc->renew_kind = RENEW_SECONDS;
	cc->renew_seconds = a * secs[unit - units];
	return NULL;
}

static bool
url_ok(const char *v)
{
	const char	*p;

	if (strncasecmp(v, "https://", 8) != 0 || v[8] == '\0' ||
	    v[8] == '/')
		return false;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

static bool
email_ok(const char *v)
{
	const char	*at = strchr(v, '@'), *p;
	size_t		 len = strlen(v);

	if (at == NULL || at == v || strchr(at + 1, '@') != NULL ||
	    len > 254 || strchr(at + 1, '.') == NULL || at[1] == '.' ||
	    v[len - 1] == '.')
		return false;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("\",;:<>()[]\\", *p) != NULL)
			return false;
	return true;
}

/* Whitespace then '#': meant as a comment, which it is not here. */
static bool
has_hash_comment(const char *v)
{
	for (; *v != '\0'; v++)
		if (isspace((unsigned char)v[0]) && v[1] == '#')
			return true;
	return false;
}

static void
set_str(struct loader *ld, struct cert_conf *cc, size_t offset,
    const char *v)
{
	char	**m = member_str(cc, offset);

	free(*m);
	*m = xstrdup(ld, v);
}

static void
key_type_err(struct loader *ld, struct section *sec, const struct entry *e)
{
	char	 list[128];
	size_t	 n = 0;
	int	 t;

	for (t = KEY_TYPE_EC256; t <= KEY_TYPE_RSA4096; t++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    t > KEY_TYPE_EC256 ? ", " : "",
		    key_type_name((enum key_type)t));
	value_err(ld, sec, e, "\"%s\" is not one of %s", q(ld, e->value),
	    list);
}

static void
set_group(struct loader *ld, struct section *sec, struct cert_conf *cc,
    const struct entry *e)
{
	struct group	*gr;

	errno = 0;
	if ((gr = getgrnam(e->value)) == NULL) {
		value_err(ld, sec, e, "group \"%s\" %s", q(ld, e->value),
		    errno != 0 ? strerror(errno) : "does not exist");
		return;
	}
	set_str(ld, cc, AT(key_group), e->value);
	cc->key_gid = gr->gr_gid;
	cc->has_key_group = true;
}

/* Checks a non-empty value and sets the member it is for. */
static void
set_value(struct loader *ld, struct section *sec, struct cert_conf *cc,
    const struct entry *e, const struct key_info *ki)
{
	const char	*v = e->value, *what = "";
	void		*m = (char *)cc + ki->offset;
	bool		 ok = true, parsed = false;

	switch (ki->kind) {
	case V_URL:
		ok = url_ok(v);
		what = "an https URL";
		break;
	case V_BOOL:
		ok = parsed = parse_bool(v, m);
		what = "yes, no, true, false, 1 or 0";
		break;
	case V_EMAIL:
		ok = email_ok(v);
		what = "an email address";
		break;
	case V_PATH:
		ok = v[0] == '/';
		what = "an absolute path";
		break;
	case V_RENEW:
		if ((what = parse_renew(v, cc)) != NULL)
			value_err(ld, sec, e, "\"%s\" %s", q(ld, v), what);
		return;
	case V_SECONDS:
		ok = parsed = parse_range(v, 1, 86400, m);
		what = "a number of seconds from 1 to 86400";
		break;
	case V_COUNT:
		ok = parsed = parse_range(v, 1, 1000, m);
		what = "a number from 1 to 1000";
		break;
	case V_KEYTYPE:
		if (key_type_parse(v, &cc->key_type) == -1)
			key_type_err(ld, sec, e);
		return;
	case V_GROUP:
		set_group(ld, sec, cc, e);
		return;
	case V_HOOK:
		break;
	default:	/* domains, webroot.DOMAIN, include: elsewhere */
		return;
	}
	if (!ok)
		value_err(ld, sec, e, "\"%s\" is not %s", q(ld, v), what);
	else if (!parsed)
		set_str(ld, cc, ki->offset, v);
}

/* Where the paths checked after loading, and renew_before, were set,
 * for their messages. */
static void
note_origin(struct loader *ld, struct cert_conf *cc, const struct entry *e,
    const struct key_info *ki)
{
	char	**at;

	if (ki->kind == V_RENEW)
		at = &cc->renew_before_at;
	else if (ki->offset == AT(webroot))
		at = &cc->webroot_at;
	else if (ki->offset == AT(ca_bundle))
		at = &cc->ca_bundle_at;
	else
		return;
	free(*at);
	if (asprintf(at, "%s:%d", e->file->shown, e->line) == -1) {
		*at = NULL;
		ld->oom = true;
	}
}

/* A key = value line: empty unsets, otherwise set_value(). */
static void
apply_entry(struct loader *ld, struct section *sec, struct cert_conf *cc,
    const struct entry *e)
{
	const struct key_info	*ki = find_key(e->key);

	if (e->cont || ki == NULL || ki->kind == V_DOMAINS ||
	    ki->kind == V_WEBROOT_FOR || ki->kind == V_INCLUDE)
		return;
	note_origin(ld, cc, e, ki);
	if (e->value[0] == '\0') {
		if (!ki->may_be_empty)
			value_err(ld, sec, e, "value is empty");
		else if (ki->kind == V_GROUP)
			cc->has_key_group = false;
		if (ki->may_be_empty)
			set_str(ld, cc, ki->offset, NULL);
		return;
	}
	if (ki->kind != V_HOOK && has_hash_comment(e->value)) {
		value_err(ld, sec, e, "\"#\" starts a comment only at the "
		    "start of a line; after a value, use \" ;\"");
		return;
	}
	set_value(ld, sec, cc, e, ki);
}

/* Index of s in v, or -1. */
static ssize_t
find_str(char *const *v, size_t n, const char *s)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return (ssize_t)i;
	return -1;
}

static bool
has_domain(const struct cert_conf *cc, const char *name)
{
	return find_str(cc->domains, cc->ndomains, name) != -1;
}

/* A name again: harmless, but likely a slip worth a word. */
static void
twice_warn(const struct section *sec, const struct entry *e,
    const char *token, const char *name)
{
	char	*shown = log_escape(token, strlen(token), SHOWN_MAX);

	log_warn("%s:%d: warning: domains in %s: \"%s\" is %s, listed "
	    "already", e->file->shown, e->line, sec->label, shown, name);
	log_escape_free(shown);
}

/* One name of a domains list; false once max_names is passed. */
static bool
add_domain(struct loader *ld, struct section *sec, struct cert_conf *cc,
    const struct entry *e, const char *token)
{
	char	 why[256], *name;

	if (name_normalise(token, &name, why, sizeof(why)) == -1) {
		value_err(ld, sec, e, "\"%s\" %s", q(ld, token), why);
		return true;
	}
	if (has_domain(cc, name))
		twice_warn(sec, e, token, name);
	else if (cc->ndomains >= (size_t)cc->max_names) {
		value_err(ld, sec, e, "\"%s\" is name %zu, more than "
		    "max_names (%ld)", q(ld, token), cc->ndomains + 1,
		    cc->max_names);
		free(name);
		return false;
	} else if (append_str(ld, &cc->domains, cc->ndomains, name))
		cc->ndomains++;
	free(name);
	return true;
}

/* domains and its continuation lines, in order; false when there is
 * not a single name. */
static bool
apply_domains(struct loader *ld, struct section *sec, struct cert_conf *cc)
{
	static const char	 seps[] = " \t,";
	char			*copy, *token, *save;
	size_t			 i;
	bool			 any = false, more = true;

	for (i = 0; i < sec->nentries && more; i++) {
		const struct entry	*e = &sec->entries[i];

		if (strcmp(e->key, "domains") != 0)
			continue;
		if ((copy = xstrdup(ld, e->value)) == NULL)
			return true;
		for (token = strtok_r(copy, seps, &save);
		    token != NULL && more;
		    token = strtok_r(NULL, seps, &save)) {
			any = true;
			more = add_domain(ld, sec, cc, e, token);
		}
		free(copy);
	}
	return any;
}

/* One name's own webroot, with the line that set it. */
static void
add_webroot_for(struct loader *ld, struct cert_conf *cc, const char *name,
    const struct entry *e)
{
	char	 at[600];
	size_t	 n = cc->nwebroots;

	snprintf(at, sizeof(at), "%s:%d", e->file->shown, e->line);
	if (!append_str(ld, &cc->webroot_domains, n, name))
		return;
	if (!append_str(ld, &cc->webroot_paths, n, e->value)) {
		free(cc->webroot_domains[n]);
		return;
	}
	if (!append_str(ld, &cc->webroot_paths_at, n, at)) {
		free(cc->webroot_domains[n]);
		free(cc->webroot_paths[n]);
		return;
	}
	cc->nwebroots++;
}

static void
apply_webroot_for(struct loader *ld, struct section *sec,
    struct cert_conf *cc, const struct entry *e)
{
	const char	*domain = e->key + strlen("webroot.");
	char		 why[256], *name;

	if (name_normalise(domain, &name, why, sizeof(why)) == -1) {
		value_err(ld, sec, e, "\"%s\" %s", q(ld, domain), why);
		return;
	}
	if (!has_domain(cc, name))
		value_err(ld, sec, e, "%s is not one of the domains of %s",
		    name, sec->label);
	else if (find_str(cc->webroot_domains, cc->nwebroots, name) != -1)
		value_err(ld, sec, e, "%s has its own webroot already", name);
	else if (e->value[0] != '/')
		value_err(ld, sec, e, "\"%s\" is not an absolute path",
		    q(ld, e->value));
	else
		add_webroot_for(ld, cc, name, e);
	free(name);
}

/*
 * Whether key has a value in sec, or in [defaults] when sec has none.
 * Its member being NULL then means the value was refused, which was
 * reported already.
 */
static bool
value_given(struct loader *ld, struct section *sec, const char *key)
{
	const struct entry	*e = find_entry(sec, key);

	if (e == NULL && ld->defaults != NULL)
		e = find_entry(ld->defaults, key);
	return e != NULL && e->value[0] != '\0';
}

/* What a section must end up with, from itself or [defaults]. */
static void
check_required(struct loader *ld, struct section *sec,
    struct cert_conf *cc, bool any_domain)
{
	size_t	 i;

	if (!any_domain && !sec->domains_lost)
		conf_err(ld, sec, sec->file, sec->line, "%s has no domains",
		    sec->label);
	if (cc->directory == NULL && !value_given(ld, sec, "directory"))
		conf_err(ld, sec, sec->file, sec->line, "%s has no "
		    "directory, in it or in [defaults]", sec->label);
	if (cc->webroot == NULL && value_given(ld, sec, "webroot"))
		return;
	/* A webroot.DOMAIN already reported would be reported again. */
	for (i = 0; i < cc->ndomains && !sec->bad; i++)
		if (cert_conf_webroot(cc, cc->domains[i]) == NULL)
			conf_err(ld, sec, sec->file, sec->line, "%s has no "
			    "webroot for %s (set webroot or webroot.%s)",
			    sec->label, cc->domains[i], cc->domains[i]);
}

static void
free_members(struct cert_conf *cc)
{
	size_t	 i;

	for (i = 0; i < NELEM(string_members); i++)
		free(*member_str(cc, string_members[i]));
	free_strv(cc->domains, cc->ndomains);
	free_strv(cc->webroot_domains, cc->nwebroots);
	free_strv(cc->webroot_paths, cc->nwebroots);
	free_strv(cc->webroot_paths_at, cc->nwebroots);
}

/* The built-in defaults, which [defaults] then changes. */
static void
init_template(struct loader *ld, struct cert_conf *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->state_dir = xstrdup(ld, CONFIG_STATE_DIR);
	cc->account_key = xstrdup(ld, CONFIG_ACCOUNT_KEY);
	cc->key_type = KEY_TYPE_EC256;
	cc->renew_kind = RENEW_DEFAULT;
	cc->hook_timeout = CONFIG_HOOK_TIMEOUT;
	cc->timeout = CONFIG_TIMEOUT;
	cc->max_names = CONFIG_MAX_NAMES;
}

static void
copy_template(struct loader *ld, struct cert_conf *dst,
    const struct cert_conf *src)
{
	size_t	 i;

	*dst = *src;
	for (i = 0; i < NELEM(string_members); i++) {
		char	**m = member_str(dst, string_members[i]);

		*m = xstrdup(ld, *m);
	}
}

/* A [cert NAME] section over the template. */
static void
resolve_cert(struct loader *ld, struct section *sec,
    const struct cert_conf *tmpl, struct cert_conf *cc)
{
	size_t	 i;
	bool	 any;

	copy_template(ld, cc, tmpl);
	set_str(ld, cc, AT(name), sec->name);
	set_str(ld, cc, AT(file), sec->file->path);
	cc->line = sec->line;
	for (i = 0; i < sec->nentries; i++)
		apply_entry(ld, sec, cc, &sec->entries[i]);
	any = apply_domains(ld, sec, cc);
	for (i = 0; i < sec->nentries; i++)
		if (find_key(sec->entries[i].key) == &webroot_for)
			apply_webroot_for(ld, sec, cc, &sec->entries[i]);
	/* A repeated section has its keys checked, but is no whole. */
	if (!sec->discard)
		check_required(ld, sec, cc, any);
}

/* Applies [defaults] to each [cert NAME] and fills cfg->certs. */
static void
build(struct loader *ld)
{
	struct config		*cfg = ld->cfg;
	struct cert_conf	 tmpl, cc, *v;
	size_t			 i, j;

	init_template(ld, &tmpl);
	if (ld->defaults != NULL)
		for (j = 0; j < ld->defaults->nentries; j++)
			apply_entry(ld, ld->defaults, &tmpl,
			    &ld->defaults->entries[j]);
	for (i = 0; i < ld->nsections; i++) {
		struct section	*sec = ld->sections[i];

		/* A repeated [defaults] is checked, then dropped. */
		if (sec->defaults && sec != ld->defaults) {
			copy_template(ld, &cc, &tmpl);
			for (j = 0; j < sec->nentries; j++)
				apply_entry(ld, sec, &cc, &sec->entries[j]);
			free_members(&cc);
		}
		if (sec->defaults)
			continue;
		resolve_cert(ld, sec, &tmpl, &cc);
		if (sec->discard || (v = xrealloc(ld, cfg->certs,
		    cfg->ncerts + 1, sizeof(*v))) == NULL) {
			free_members(&cc);
			continue;
		}
		cfg->certs = v;
		v[cfg->ncerts++] = cc;
	}
	free_members(&tmpl);
	for (i = 0, j = 0; i < ld->nsections; i++) {
		struct section	*sec = ld->sections[i];

		if (sec->defaults || sec->discard)
			continue;
		cfg->certs[j].valid = !sec->bad && !ld->global_bad;
		cfg->certs[j++].error = xstrdup(ld, sec->error.text != NULL ?
		    sec->error.text : ld->global_error.text);
	}
}

static void
free_loader(struct loader *ld)
{
	size_t	 i, j;

	for (i = 0; i < ld->nsections; i++) {
		struct section	*sec = ld->sections[i];

		for (j = 0; j < sec->nentries; j++) {
			free(sec->entries[j].key);
			free(sec->entries[j].value);
		}
		free(sec->entries);
		free(sec->name);
		free(sec->label);
		free(sec->error.text);
		free(sec);
	}
	free(ld->sections);
	free(ld->global_error.text);
	for (i = 0; i < ld->nfiles; i++) {
		free(ld->files[i]->path);
		free(ld->files[i]->real);
		log_escape_free(ld->files[i]->shown);
		free(ld->files[i]);
	}
	free(ld->files);
	log_msgs(ld);
	while (ld->npool > 0)
		log_escape_free(ld->pool[--ld->npool]);
}

/* Public */

struct config *
config_load(const char *path)
{
	struct loader	 ld;
	struct config	*cfg;

	memset(&ld, 0, sizeof(ld));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = strdup(path)) == NULL) {
		log_err("%s: out of memory", path);
		free(cfg);
		return NULL;
	}
	ld.cfg = cfg;
	if (parse_file(&ld, path, NULL, 0) == -1 && !ld.oom)
		goto fail;
	if (!ld.oom)
		build(&ld);
	if (ld.oom) {
		log_err("%s: out of memory", path);
		goto fail;
	}
	free_loader(&ld);
	return cfg;
fail:
	free_loader(&ld);
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	size_t	 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->ncerts; i++)
		free_members(&cfg->certs[i]);
	free(cfg->certs);
	free(cfg->path);
	free(cfg);
}

struct cert_conf *
config_find(struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->ncerts; i++)
		if (strcmp(cfg->certs[i].name, name) == 0)
			return &cfg->certs[i];
	return NULL;
}

const char *
cert_conf_webroot(const struct cert_conf *cc, const char *domain)
{
	ssize_t	 i = find_str(cc->webroot_domains, cc->nwebroots, domain);

	return i == -1 ? cc->webroot : cc->webroot_paths[i];
}

/* "FILE:LINE: KEY of [cert NAME]: PATH: why"; returns -1. */
static int
path_err(const struct cert_conf *cc, const char *at, const char *key,
    const char *path, const char *why)
{
	char	*shown = log_escape(path, strlen(path), SHOWN_MAX);

	log_err("%s: %s of [cert %s]: %s: %s", at != NULL ? at : cc->file,
	    key, cc->name, shown, why);
	log_escape_free(shown);
	return -1;
}

static const char *
stat_why(int err)
{
	return err == ENOENT ? "does not exist" : strerror(err);
}

static int
check_dir(const struct cert_conf *cc, const char *at, const char *key,
    const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return path_err(cc, at, key, path, stat_why(errno));
	if (!S_ISDIR(st.st_mode))
		return path_err(cc, at, key, path, "is not a directory");
	return 0;
}

static int
check_readable_file(const struct cert_conf *cc, const char *at,
    const char *key, const char *path)
{
	struct stat	 st;
	int		 fd, rc = 0;

	/* O_NONBLOCK: a FIFO is refused below, not waited on. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return path_err(cc, at, key, path, stat_why(errno));
	if (fstat(fd, &st) == -1)
		rc = path_err(cc, at, key, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = path_err(cc, at, key, path, "is not a regular file");
	close(fd);
	return rc;
}

/* Whether some domain is served from the section's own webroot. */
static bool
webroot_in_use(const struct cert_conf *cc)
{
	size_t	 i;

	for (i = 0; i < cc->ndomains; i++)
		if (find_str(cc->webroot_domains, cc->nwebroots,
		    cc->domains[i]) == -1)
			return true;
	return false;
}

int
cert_conf_check_paths(const struct cert_conf *cc)
{
	char	 key[300];
	size_t	 i;
	int	 rc = 0;

	if (cc->webroot != NULL && webroot_in_use(cc) &&
	    check_dir(cc, cc->webroot_at, "webroot", cc->webroot) == -1)
		rc = -1;
	for (i = 0; i < cc->nwebroots; i++) {
		snprintf(key, sizeof(key), "webroot.%s",
		    cc->webroot_domains[i]);
		if (check_dir(cc, cc->webroot_paths_at[i], key,
		    cc->webroot_paths[i]) == -1)
			rc = -1;
	}
	if (cc->ca_bundle != NULL && check_readable_file(cc,
	    cc->ca_bundle_at, "ca_bundle", cc->ca_bundle) == -1)
		rc = -1;
	return rc;
}

time_t
cert_conf_renew_at(const struct cert_conf *cc, time_t not_before,
    time_t not_after)
{
	time_t	 life = not_after - not_before, before;

	if (not_after <= not_before)
		return not_before;
	if (cc->renew_kind == RENEW_SECONDS && cc->renew_seconds < life)
		before = cc->renew_seconds;
	else if (cc->renew_kind == RENEW_FRACTION)
		before = (time_t)((double)life * cc->renew_fraction + 0.5);
	else if (life < 10 * 86400)
		before = life / 2;
	else
		before = life / 3;
	return not_after - before;
}
