/*
 * A minimal unit test harness: CHECK() counts, t_done() prints the
 * summary line tests/run reads and gives the exit status.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

static int	 t_passed, t_failed;

#define CHECK(cond) do {						\
	if (cond)							\
		t_passed++;						\
	else {								\
		t_failed++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *t_g = (got), *t_w = (want);				\
	if (t_g != NULL && strcmp(t_g, t_w) == 0)			\
		t_passed++;						\
	else {								\
		t_failed++;						\
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n",	\
		    __FILE__, __LINE__, t_g ? t_g : "(null)", t_w);	\
	}								\
} while (0)

static inline int
t_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, t_passed, t_failed);
	return t_failed == 0 ? 0 : 1;
}

#endif
