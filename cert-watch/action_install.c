/*
 * Copies of the live files where a server wants them (install_cert,
 * install_key, install_pem), written atomically with key modes, and
 * written again when something else changed them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action-impl.h"
#include "fsutil.h"
#include "log.h"

#define CHAIN_MAX	(1024 * 1024)
#define KEY_MAX		(64 * 1024)

/* The live files of one certificate, as the copies need them. */
struct live_files {
	char	*chain;		/* fullchain.pem */
	size_t	 chainlen;
	char	*pem;		/* fullchain.pem then privkey.pem */
	size_t	 pemlen;
	size_t	 keyoff;	/* where privkey.pem starts in pem */
};

/* What a domain or a name may be to become part of a file name. */
static bool
path_part_valid(const char *s)
{
	if (*s == '\0' || *s == '.' || strlen(s) > 253)
		return false;
	for (; *s != '\0'; s++)
		if (*s == '/' || (unsigned char)*s <= 0x20 ||
		    (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Whether the template holds %C (%% being a literal percent sign). */
static bool
has_spec(const char *tmpl, char c)
{
	const char	*p;

	for (p = tmpl; (p = strchr(p, '%')) != NULL && p[1] != '\0';
	    p += 2)
		if (p[1] == c)
			return true;
	return false;
}

/* The template with %d as domain (NULL: none) and %n as name. */
static int
expand_one(const char *tmpl, const char *domain, const char *name,
    char **out)
{
	char		 buf[PATH_MAX];
	const char	*p, *part;
	size_t		 len = 0, plen;

	for (p = tmpl; *p != '\0'; p++) {
		part = p;
		plen = 1;
		if (*p == '%' && p[1] != '\0') {
			p++;
			part = *p == 'd' ? domain : *p == 'n' ? name : p;
			plen = part == p ? 1 : strlen(part);
		}
		if (len + plen >= sizeof(buf)) {
			log_err("%s: expands past %zu bytes", tmpl,
			    sizeof(buf));
			return -1;
		}
		memcpy(buf + len, part, plen);
		len += plen;
	}
	buf[len] = '\0';
	if ((*out = strdup(buf)) == NULL) {
		log_err("%s: out of memory", tmpl);
		return -1;
	}
	return 0;
}

int
install_expand(const char *tmpl, const struct changed_cert *c,
    char ***out)
{
	char	**v = NULL, *e;
	size_t	  i, n = 1;
	bool	  per_domain = has_spec(tmpl, 'd');
	int	  rc = -1;

	if (!path_part_valid(c->name)) {
		e = log_escape(c->name, strlen(c->name), 64);
		log_err("%s: name %s cannot be part of a file name", tmpl, e);
		log_escape_free(e);
		return -1;
	}
	if (per_domain)
		n = c->ndomains;
	if (n == 0) {
		log_err("%s: %s has no domain for %%d", tmpl, c->name);
		return -1;
	}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		log_err("%s: out of memory", tmpl);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (per_domain && !path_part_valid(c->domains[i])) {
			e = log_escape(c->domains[i], strlen(c->domains[i]),
			    64);
			log_err("%s: %s: domain %s cannot be part of a file "
			    "name", tmpl, c->name, e);
			log_escape_free(e);
			goto out;
		}
		if (expand_one(tmpl, per_domain ? c->domains[i] : NULL,
		    c->name, &v[i]) == -1)
			goto out;
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	strv_free(v);
	return rc;
}

static void
live_files_free(struct live_files *f)
{
	free(f->chain);
	free_secret(f->pem, f->pemlen);
	memset(f, 0, sizeof(*f));
}

/* Reads the files of lineage that a's copies need. */
static int
live_files_read(const struct action *a, const char *lineage,
    struct live_files *f)
{
	char	 path[PATH_MAX], *key = NULL;
	size_t	 keylen = 0;
	int	 rc = -1;

	memset(f, 0, sizeof(*f));
	if (snprintf(path, sizeof(path), "%s/fullchain.pem", lineage) >=
	    (int)sizeof(path)) {
		log_err("%s: path too long", lineage);
		return -1;
	}
	if ((rc = read_file(path, CHAIN_MAX, &f->chain, &f->chainlen)) !=
	    0) {
		if (rc == -ENOENT)
			log_err("%s: missing", path);
		rc = -1;
		goto out;
	}
	if (a->install_key == NULL && a->install_pem == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/privkey.pem", lineage);
	if ((rc = read_file(path, KEY_MAX, &key, &keylen)) != 0) {
		if (rc == -ENOENT)
			log_err("%s: missing", path);
		rc = -1;
		goto out;
	}
	rc = -1;
	f->pemlen = f->chainlen + keylen;
	if ((f->pem = malloc(f->pemlen + 1)) == NULL) {
		log_err("%s: out of memory", path);
		goto out;
	}
	memcpy(f->pem, f->chain, f->chainlen);
	memcpy(f->pem + f->chainlen, key, keylen + 1);
	f->keyoff = f->chainlen;
	rc = 0;
out:
	free_secret(key, keylen);
	if (rc == -1)
		live_files_free(f);
	return rc;
}

/* Whether the file at path holds exactly buf with this mode and gid. */
static bool
copy_matches(const char *path, const char *buf, size_t len, mode_t mode,
    gid_t gid)
{
	struct stat	 st;
	char		*have = NULL;
	ssize_t		 r;
	size_t		 got = 0;
	int		 fd;
	bool		 same = false;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return false;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != len || (st.st_mode & 07777) != mode ||
	    (gid != GID_KEEP && st.st_gid != gid))
		goto out;
	if ((have = malloc(len + 1)) == NULL)
		goto out;
	while (got < len && (r = read(fd, have + got, len - got)) > 0)
		got += (size_t)r;
	same = got == len && memcmp(have, buf, len) == 0;
out:
	free_secret(have, len + 1);
	close(fd);
	return same;
}

/*
 * Writes the copies one template gives for one certificate.  With
 * only_changed, copies that already match are left alone.  Sets
 * *new_copy when a copy did not exist, *wrote when any was written.
 */
static int
install_one(const struct action *a, const char *tmpl,
    const struct changed_cert *c, const char *buf, size_t len,
    mode_t mode, gid_t gid, bool only_changed, bool *new_copy,
    bool *wrote)
{
	char	**paths = NULL;
	size_t	  i;
	int	  rc = -1;

	if (install_expand(tmpl, c, &paths) == -1)
		goto out;
	for (i = 0; paths[i] != NULL; i++) {
		if (only_changed && copy_matches(paths[i], buf, len, mode,
		    gid))
			continue;
		if (access(paths[i], F_OK) == -1 && errno == ENOENT)
			*new_copy = true;
		if (atomic_write(paths[i], buf, len, mode, gid) == -1)
			goto out;
		*wrote = true;
		if (only_changed)
			log_notice("action %s: %s differed from %s, "
			    "installed again", a->name, paths[i], c->lineage);
		else
			log_info("action %s: installed %s", a->name,
			    paths[i]);
	}
	rc = 0;
out:
	strv_free(paths);
	return rc;
}

/* A template without %d or %n names one file, so one certificate. */
static int
check_shared_path(const struct action *a, const char *tmpl, size_t n)
{
	if (tmpl == NULL || n < 2 || has_spec(tmpl, 'd') ||
	    has_spec(tmpl, 'n'))
		return 0;
	log_err("action %s: %s has neither %%n nor %%d, but %zu "
	    "certificates would be copied there", a->name, tmpl, n);
	return -1;
}

static int
install_all(const struct action *a, const struct changed_cert *certs,
    size_t n, bool only_changed, bool *new_copy, bool *wrote)
{
	struct live_files	 f;
	mode_t			 kmode;
	size_t			 i;
	int			 rc = 0;

	if (check_shared_path(a, a->install_cert, n) == -1 ||
	    check_shared_path(a, a->install_key, n) == -1 ||
	    check_shared_path(a, a->install_pem, n) == -1)
		return -1;
	kmode = a->install_group == GID_KEEP ? 0600 : 0640;
	for (i = 0; i < n; i++) {
		if (live_files_read(a, certs[i].lineage, &f) == -1) {
			rc = -1;
			continue;
		}
		if ((a->install_cert != NULL && install_one(a,
		    a->install_cert, &certs[i], f.chain, f.chainlen, 0644,
		    GID_KEEP, only_changed, new_copy, wrote) == -1) ||
		    (a->install_key != NULL && install_one(a,
		    a->install_key, &certs[i], f.pem + f.keyoff,
		    f.pemlen - f.keyoff, kmode, a->install_group,
		    only_changed, new_copy, wrote) == -1) ||
		    (a->install_pem != NULL && install_one(a,
		    a->install_pem, &certs[i], f.pem, f.pemlen, kmode,
		    a->install_group, only_changed, new_copy, wrote) == -1))
			rc = -1;
		live_files_free(&f);
	}
	return rc;
}

int
action_install(const struct action *a, const struct changed_cert *certs,
    size_t n, bool *new_copy)
{
	bool	 wrote = false;

	*new_copy = false;
	if (a->install_cert == NULL && a->install_key == NULL &&
	    a->install_pem == NULL)
		return 0;
	return install_all(a, certs, n, false, new_copy, &wrote);
}

int
action_sync_installs(struct action *a, const struct changed_cert *certs,
    size_t n)
{
	bool	 new_copy = false, wrote = false;
	int	 rc;

	if (a->install_cert == NULL && a->install_key == NULL &&
	    a->install_pem == NULL)
		return 0;
	rc = install_all(a, certs, n, true, &new_copy, &wrote);
	if (new_copy)
		a->new_copy_owed = true;
	return rc == -1 ? -1 : wrote;
}
