/*
 * The configuration file: an INI file read with libinih, one [defaults]
 * section inherited by every [cert NAME] section.
 *
 * Every error is logged as "FILE:LINE: message" and counted; loading
 * goes on so that all of them are shown at once.  An error inside a
 * [cert NAME] section marks that section invalid; an error in
 * [defaults], in an include, or outside any section marks every section
 * invalid.  `renew` processes the valid sections and skips the others.
 *
 * `include = GLOB` (in [defaults], as often as wanted) reads each file
 * glob(3) finds, in name order, at that point; a relative GLOB is taken
 * from the including file's folder, and a GLOB without wildcards must
 * name a file.  A cert section may override any key of [defaults], and
 * an empty value (`post_hook =`) unsets an optional one.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "keytype.h"

/* Where nothing is configured. */
#define CONFIG_PATH		"/etc/acme-webroot/acme-webroot.ini"
#define CONFIG_STATE_DIR	"/etc/letsencrypt"
#define CONFIG_ACCOUNT_KEY	"/etc/acme-webroot/account.key"
#define CONFIG_HOOK_TIMEOUT	300
#define CONFIG_TIMEOUT		600
#define CONFIG_MAX_NAMES	100

/* How renew_before was given. */
enum renew_kind {
	RENEW_DEFAULT,		/* not given: 1/3 of the lifetime, 1/2 under
				 * 10 days */
	RENEW_FRACTION,		/* "1/3" or "25%": renew_fraction */
	RENEW_SECONDS,		/* "30d", "12h", "90m", "600s":
				 * renew_seconds */
};

/* One [cert NAME] section with [defaults] applied.  Strings are owned
 * by the structure and freed by config_free(). */
struct cert_conf {
	char		*name;		/* NAME: the directory under live/ */
	char		*file;		/* file holding the [cert NAME] line */
	int		 line;		/* line of the [cert NAME] line */
	bool		 valid;		/* no error in it, nor in [defaults]
					 * or includes */
	char		*error;		/* when not valid: the first error
					 * that made it so, "FILE:LINE: ..." */

	char		**domains;	/* normalised, in config order, each
					 * once */
	size_t		 ndomains;

	char		*webroot;	/* default webroot; NULL if every
					 * domain has its own */
	char		**webroot_domains; /* each webroot.DOMAIN's DOMAIN,
					    * normalised */
	char		**webroot_paths;   /* ... and their paths */
	size_t		 nwebroots;
	char		*webroot_at;	/* "FILE:LINE" of the webroot line in
					 * effect, NULL if none */
	char		**webroot_paths_at; /* ... of each webroot.DOMAIN */

	char		*directory;	/* ACME directory URL, https */
	bool		 agree_tos;	/* the CA's terms are accepted */
	char		*email;		/* account contact, NULL if none */
	char		*ca_bundle;	/* trust for the CA's HTTPS; NULL:
					 * the system's */
	char		*ca_bundle_at;	/* "FILE:LINE" of its line, or NULL */
	char		*state_dir;	/* holds live/, archive/, accounts/ */
	char		*account_key;	/* account key file, made if missing */
	enum key_type	 key_type;	/* the certificate's key */

	enum renew_kind	 renew_kind;	/* which of the two below applies */
	double		 renew_fraction; /* of the lifetime, 0 < f < 1 */
	long		 renew_seconds;	/* before notAfter, > 0 */
	char		*renew_before_at; /* "FILE:LINE" of its line, or
					 * NULL */

	char		*pre_hook;	/* shell text, NULL if none */
	char		*post_hook;	/* shell text, NULL if none */
	char		*deploy_hook;	/* shell text, NULL if none */
	long		 hook_timeout;	/* seconds before TERM, then KILL */
	long		 timeout;	/* seconds of retries and polls for one
					 * certificate before giving up */

	char		*key_group;	/* group that may read private keys */
	gid_t		 key_gid;	/* its gid, when has_key_group */
	bool		 has_key_group;	/* key_group was given and exists */

	long		 max_names;	/* most domains the section may list */
};

/*
 * A whole configuration: the main file and everything it includes.
 * certs holds every [cert NAME] in config order (an include's sections
 * where the include line is), invalid ones too, except a section whose
 * NAME is malformed or repeats an earlier one's: the earlier one is
 * there, invalid.
 */
struct config {
	char		*path;		/* the main file, as given */
	struct cert_conf *certs;	/* see above */
	size_t		 ncerts;
	int		 nerrors;	/* errors logged while loading */
};

/*
 * Reads path and everything it includes.  NULL only when path itself
 * cannot be opened or read, or memory runs out (logged); otherwise
 * every error is logged as "FILE:LINE: message", counted in nerrors and
 * the sections it touches are marked invalid.
 */
struct config	*config_load(const char *path);
void		 config_free(struct config *cfg);

/* The [cert NAME] section called name, valid or not; NULL if none. */
struct cert_conf *config_find(struct config *cfg, const char *name);

/* The webroot that serves domain (normalised): its own webroot.DOMAIN
 * or the section's webroot; NULL if neither. */
const char	*cert_conf_webroot(const struct cert_conf *cc,
		    const char *domain);

/*
 * Whether the paths a run needs are there: each webroot in use a
 * directory, ca_bundle a readable file.  Logs "FILE:LINE: KEY of
 * [cert NAME]: PATH: what is wrong" for each that is not and returns
 * -1; 0 when all are.  Makes no request.
 */
int		 cert_conf_check_paths(const struct cert_conf *cc);

/* When a certificate valid from not_before to not_after becomes due
 * for renewal under renew_before.  A fixed time that is not shorter
 * than the lifetime falls back to the default fraction, so that a
 * short-lived certificate is not renewed on every run.  A certificate
 * whose not_after is not after not_before is due at once (not_before). */
time_t		 cert_conf_renew_at(const struct cert_conf *cc,
		    time_t not_before, time_t not_after);

#endif
