/*
 * For the action unit tests: building an action from "key=value"
 * strings and reading what it logged.
 */
#ifndef CW_ACTION_T_H
#define CW_ACTION_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action-impl.h"
#include "log.h"
#include "t.h"

static FILE	*errlog;
static int	 saved_stderr = -1;

/* Messages go to errlog between quiet() and loud(), so that logged()
 * can read them; failed CHECKs stay on the real stderr. */
static void
quiet(void)
{
	fflush(stderr);
	if (errlog == NULL && ((errlog = tmpfile()) == NULL ||
	    (saved_stderr = dup(2)) == -1))
		abort();
	if (ftruncate(fileno(errlog), 0) != 0 ||
	    dup2(fileno(errlog), 2) == -1)
		abort();
	rewind(errlog);
}

static void
loud(void)
{
	fflush(stderr);
	if (dup2(saved_stderr, 2) == -1)
		abort();
}

/* What was logged between quiet() and loud(). */
static inline const char *
logged(void)
{
	static char	 buf[8192];
	size_t		 n;

	rewind(errlog);
	n = fread(buf, 1, sizeof(buf) - 1, errlog);
	buf[n] = '\0';
	return buf;
}

#define CHECK_LOG(needle) do {						\
	const char *t_l = logged();					\
	if (strstr(t_l, (needle)) != NULL)				\
		t_passed++;						\
	else {								\
		t_failed++;						\
		fprintf(stderr, "%s:%d: log \"%s\" lacks \"%s\"\n",	\
		    __FILE__, __LINE__, t_l, (needle));			\
	}								\
} while (0)

/* An action from "key=value" strings, as lines 2, 3, ... of t.ini;
 * *rc is what action_set and action_finish said. */
static inline struct action *
section(const char *name, const char *const *kv, int *rc)
{
	struct action	*a = action_new(name, "t.ini", 1);
	char		 buf[512], *eq;
	int		 i;

	*rc = 0;
	quiet();
	for (i = 0; kv[i] != NULL; i++) {
		snprintf(buf, sizeof(buf), "%s", kv[i]);
		if ((eq = strchr(buf, '=')) == NULL)
			abort();
		*eq = '\0';
		if (action_set(a, buf, eq + 1, "t.ini", i + 2) == -1)
			*rc = -1;
	}
	if (*rc == 0)
		*rc = action_finish(a);
	loud();
	return a;
}

/* action_run with its messages kept for CHECK_LOG. */
static inline int
run_quiet(struct action *a, const struct changed_cert *c, size_t n)
{
	int	 rc;

	quiet();
	rc = action_run(a, c, n);
	loud();
	return rc;
}

#endif
