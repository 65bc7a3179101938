/*
 * A live certificate set: live/NAME/fullchain.pem and privkey.pem,
 * fingerprinted and checked before anything acts on it.
 */
#ifndef CW_CERTSET_H
#define CW_CERTSET_H

#include <stdbool.h>
#include <stddef.h>

#define CERTSET_HASH_HEX	65	/* SHA-256 in hex, NUL included */

enum certset_status {
	CERTSET_OK,
	CERTSET_GONE,		/* the directory is not there */
	CERTSET_INCOMPLETE,	/* a file or a link's target is missing */
	CERTSET_INVALID,	/* unreadable, unparsable, expired, mismatch */
};

struct certset {
	char			*name;		/* NAME in live/NAME */
	char			*lineage;	/* live_dir/NAME */
	enum certset_status	 status;
	char			 why[512];	/* what is wrong, for logs */
	char			 fullchain_sha[CERTSET_HASH_HEX];
	char			 privkey_sha[CERTSET_HASH_HEX];
	char			**domains;	/* DNS SANs of the leaf */
	size_t			 ndomains;
};

/*
 * Reads live_dir/name: hashes both files, and when check is true also
 * parses them, checks the validity period and that the key matches
 * the leaf.  Returns NULL only when out of memory (logged); problems
 * with the files are in status and why, not logged, because whether
 * they are worth an error depends on how long the burst has lasted.
 */
struct certset	*certset_read(const char *live_dir, const char *name,
		    bool check);
void		 certset_free(struct certset *cs);
/* A copy, or NULL when out of memory (logged). */
struct certset	*certset_dup(const struct certset *cs);

/* Whether a directory entry of live_dir can be a certificate set. */
bool		 certset_name_ok(const char *name);
/* Whether name has blanks or control bytes: such a directory is
 * never acted on (certset_name_ok() is false), and is reported. */
bool		 certset_name_unsafe(const char *name);

#endif
