/*
 * The state file, held as a jansson object between reads and writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fsutil.h"
#include "log.h"
#include "state.h"

#define STATE_VERSION	1
#define STATE_MAX_SIZE	(16 * 1024 * 1024)

struct state {
	json_t	*actions;	/* ACTION -> CERT -> {fullchain, privkey} */
};

static struct state *
state_empty(void)
{
	struct state	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->actions = json_object()) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

static bool
valid_entry(json_t *entry)
{
	json_t	*fc = json_object_get(entry, "fullchain");
	json_t	*pk = json_object_get(entry, "privkey");

	return json_is_string(fc) && json_is_string(pk);
}

/* Checks the shape of "actions" before any of it is trusted. */
static bool
valid_actions(json_t *actions)
{
	const char	*an, *cn;
	json_t		*certs, *entry;

	if (!json_is_object(actions))
		return false;
	json_object_foreach(actions, an, certs) {
		if (!json_is_object(certs))
			return false;
		json_object_foreach(certs, cn, entry)
			if (!valid_entry(entry))
				return false;
	}
	return true;
}

static int
parse_state(struct state *st, const char *path, const char *text)
{
	json_error_t	 err;
	json_t		*root, *actions;
	int		 rc = -1;

	if ((root = json_loads(text, 0, &err)) == NULL) {
		log_err("%s:%d: %s", path, err.line, err.text);
		return -1;
	}
	if (json_integer_value(json_object_get(root, "version")) !=
	    STATE_VERSION) {
		log_err("%s: not a version %d state file", path,
		    STATE_VERSION);
		goto out;
	}
	actions = json_object_get(root, "actions");
	if (!valid_actions(actions)) {
		log_err("%s: \"actions\" is malformed", path);
		goto out;
	}
	json_decref(st->actions);
	st->actions = json_incref(actions);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
state_load(const char *path, struct state **out)
{
	struct state	*st;
	char		*text = NULL;
	int		 rc;

	if ((*out = st = state_empty()) == NULL) {
		log_err("%s: out of memory", path);
		return -1;
	}

	/* cert-watch alone writes it: a temporary file beside it is what
	 * a kill during a save left, never a write in progress. */
	remove_stale_temps(path);
	rc = read_file(path, STATE_MAX_SIZE, &text, NULL);
	if (rc < 0)
		return rc;
	rc = parse_state(st, path, text);
	free(text);
	return rc;
}

int
state_save(const struct state *st, const char *path)
{
	json_t	*root;
	char	*text = NULL;
	int	 rc = -1;

	root = json_pack("{s:i, s:O}", "version", STATE_VERSION, "actions",
	    st->actions);
	if (root == NULL ||
	    (text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS)) ==
	    NULL) {
		log_err("%s: out of memory", path);
		goto out;
	}
	rc = atomic_write(path, text, strlen(text), 0644, GID_KEEP);
out:
	free(text);
	json_decref(root);
	return rc;
}

void
state_free(struct state *st)
{
	if (st == NULL)
		return;
	json_decref(st->actions);
	free(st);
}

bool
state_has_action(const struct state *st, const char *action)
{
	return json_object_get(st->actions, action) != NULL;
}

int
state_add_action(struct state *st, const char *action)
{
	if (state_has_action(st, action))
		return 0;
	if (json_object_set_new(st->actions, action, json_object()) == -1) {
		log_err("state: %s: out of memory", action);
		return -1;
	}
	return 0;
}

bool
state_get(const struct state *st, const char *action, const char *cert,
    const char **fullchain, const char **privkey)
{
	json_t	*entry;

	entry = json_object_get(json_object_get(st->actions, action), cert);
	if (entry == NULL)
		return false;
	*fullchain = json_string_value(json_object_get(entry, "fullchain"));
	*privkey = json_string_value(json_object_get(entry, "privkey"));
	return true;
}

int
state_set(struct state *st, const char *action, const char *cert,
    const char *fullchain, const char *privkey)
{
	json_t	*certs;

	if (state_add_action(st, action) == -1)
		return -1;
	certs = json_object_get(st->actions, action);
	if (json_object_set_new(certs, cert, json_pack("{s:s, s:s}",
	    "fullchain", fullchain, "privkey", privkey)) == -1) {
		log_err("state: %s: %s: out of memory", action, cert);
		return -1;
	}
	return 0;
}

void
state_forget_cert(struct state *st, const char *cert)
{
	const char	*an;
	json_t		*certs;

	json_object_foreach(st->actions, an, certs)
		json_object_del(certs, cert);
}
