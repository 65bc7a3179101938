/*
 * Runs cert-watch's actions the way the daemon does, for the action
 * integration tests, without the daemon's watching and settling:
 *
 *   cw-action-driver [-v] CONFIG run|sync|describe ACTION [LINEAGE...]
 *
 * CONFIG's [action NAME] sections are read (certs, min_interval and
 * retry_max are the daemon's and skipped); each LINEAGE is a live/NAME
 * directory whose cert.pem gives the domains.  Exit status: 0 done,
 * 1 the action failed, 2 the configuration or arguments are wrong.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "action.h"
#include "log.h"

#define MAX_CERTS	16
#define MAX_DOMAINS	32

static char *
trim(char *s)
{
	char	*end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]) != NULL)
		*--end = '\0';
	return s;
}

/* Reads the section [action WANT] of file into an action. */
static struct action *
load(const char *file, const char *want)
{
	FILE		*f;
	char		 line[1024], *s, *eq, *semi;
	struct action	*a = NULL;
	int		 n = 0, bad = 0, in = 0;

	if ((f = fopen(file, "r")) == NULL) {
		perror(file);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if ((semi = strstr(line, " ;")) != NULL)
			*semi = '\0';
		s = trim(line);
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			s[strcspn(s, "]")] = '\0';
			in = strncmp(s + 1, "action ", 7) == 0 &&
			    strcmp(s + 8, want) == 0 && a == NULL;
			if (in && (a = action_new(want, file, n)) == NULL)
				bad = 1;
			continue;
		}
		if (!in || a == NULL || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		s = trim(s);
		if (strcmp(s, "certs") == 0 ||
		    strcmp(s, "min_interval") == 0 ||
		    strcmp(s, "retry_max") == 0)
			continue;
		if (action_set(a, s, trim(eq + 1), file, n) == -1)
			bad = 1;
	}
	fclose(f);
	if (a == NULL)
		fprintf(stderr, "%s: no [action %s]\n", file, want);
	else if (bad || action_finish(a) == -1) {
		action_free(a);
		a = NULL;
	}
	return a;
}

/* The name, lineage and DNS names of LINEAGE/cert.pem. */
static int
cert_of(const char *lineage, struct changed_cert *c, char **doms)
{
	char			 path[PATH_MAX];
	GENERAL_NAMES		*names = NULL;
	const GENERAL_NAME	*g;
	X509			*x = NULL;
	FILE			*f;
	const char		*slash = strrchr(lineage, '/');
	int			 i;
	size_t			 n = 0;

	snprintf(path, sizeof(path), "%s/cert.pem", lineage);
	if ((f = fopen(path, "r")) == NULL ||
	    (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "%s: not readable\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(names) && n < MAX_DOMAINS; i++) {
		g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_DNS)
			doms[n++] = strdup((const char *)
			    ASN1_STRING_get0_data(g->d.dNSName));
	}
	GENERAL_NAMES_free(names);
	X509_free(x);
	c->name = slash != NULL ? slash + 1 : lineage;
	c->lineage = lineage;
	c->domains = doms;
	c->ndomains = n;
	return 0;
}

int
main(int argc, char **argv)
{
	struct changed_cert	 certs[MAX_CERTS];
	static char		*doms[MAX_CERTS][MAX_DOMAINS];
	struct action		*a;
	int			 verbose = 0, i, n = 0, rc = 1;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		argv++;
		argc--;
	}
	log_setup("cw-action-driver", verbose ? LOG_DEBUG : LOG_NOTICE,
	    false);
	if (argc < 4 || argc - 4 > MAX_CERTS) {
		fprintf(stderr, "usage: cw-action-driver [-v] CONFIG "
		    "run|sync|describe ACTION [LINEAGE...]\n");
		return 2;
	}
	if ((a = load(argv[1], argv[3])) == NULL)
		return 2;
	for (i = 4; i < argc; i++)
		if (cert_of(argv[i], &certs[n], doms[n]) == 0)
			n++;
		else
			return 2;
	if (strcmp(argv[2], "run") == 0)
		rc = action_run(a, certs, (size_t)n) == 0 ? 0 : 1;
	else if (strcmp(argv[2], "sync") == 0)
		rc = action_sync_installs(a, certs, (size_t)n) == 0 ? 0 : 1;
	else if (strcmp(argv[2], "describe") == 0) {
		action_describe(a, stdout);
		rc = 0;
	} else
		rc = 2;
	action_free(a);
	return rc;
}
