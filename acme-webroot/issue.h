/*
 * One certificate's story: is it due, and if so order it, prove each
 * name through its webroot, finalize, check what came back, store it,
 * run its deploy hooks.  What the certificates of one run share (CA
 * sessions, hooks run once, the lists for post hooks) is in struct run.
 */
#ifndef ISSUE_H
#define ISSUE_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "config.h"

struct session;

/* A growable list of strings. */
struct strv {
	char	**v;
	size_t	 n;
};

struct run {
	volatile sig_atomic_t	*stop;		/* SIGINT or SIGTERM seen */
	bool			 force;		/* `issue`: due or not */

	struct session		*sessions;	/* one per CA and account */
	size_t			 nsessions;

	bool			 attempted;	/* an order was tried */
	struct strv		 hooks_done;	/* pre hooks already run */
	struct strv		 posts_owed;	/* post hooks to run at the end */
	struct strv		 renewed;	/* domains for post hooks */
	struct strv		 failed;
};

/* What is known about a certificate without asking anyone. */
struct cert_info {
	bool	 present;	/* live/NAME holds a version */
	bool	 usable;	/* it parses, its key matches, names fit */
	bool	 blocked;	/* live/NAME is not a directory: nothing
				 * can be installed, so nothing is ordered */
	time_t	 not_before;
	time_t	 not_after;
	time_t	 renew_at;	/* when it becomes due */
	char	 why_due[160];	/* empty when not due */
};

/* Fills info from the live files; makes no request.  Returns 0, or -1
 * when the files could not be read at all (logged). */
int	 cert_inspect(const struct cert_conf *cc, time_t now,
	    struct cert_info *info);

/*
 * Renews cc when it is due (always with run->force).  Returns 0 when
 * the certificate is fine (renewed, or not due), -1 when it failed.
 */
int	 cert_renew(struct run *run, struct cert_conf *cc);

/* Runs the post hooks of the certificates attempted, once each. */
int	 run_post_hooks(struct run *run, struct config *cfg);

void	 run_free(struct run *run);

int	 strv_add(struct strv *sv, const char *s);
bool	 strv_has(const struct strv *sv, const char *s);
void	 strv_clear(struct strv *sv);
/* The strings joined by single spaces; NULL when out of memory. */
char	*strv_join(const struct strv *sv);

#endif
