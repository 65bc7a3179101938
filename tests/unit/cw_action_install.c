/*
 * install_cert, install_key, install_pem: the copies, their modes,
 * whether one is new, and their re-installation when changed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_action_t.h"
#include "fsutil.h"

#define CHAIN	"-----BEGIN CERTIFICATE-----\nleaf\n" \
	"-----END CERTIFICATE-----\n"
#define KEY	"-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n"

static char	 dir[] = "/tmp/cw_action_install.XXXXXX";
static char	 lineage[300], out[300];
static char	 d1[] = "a.example.org", d2[] = "b.example.org";
static char *const doms[] = { d1, d2 };

static void
put(const char *path, const char *text)
{
	if (atomic_write(path, text, strlen(text), 0600, GID_KEEP) == -1)
		abort();
}

static void
setup(void)
{
	char	 path[400];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(lineage, sizeof(lineage), "%s/live", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	if (mkdir(lineage, 0700) == -1 || mkdir(out, 0755) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/fullchain.pem", lineage);
	put(path, CHAIN);
	snprintf(path, sizeof(path), "%s/privkey.pem", lineage);
	put(path, KEY);
}

/* Whether path holds text with this mode. */
static bool
holds(const char *name, const char *text, mode_t mode)
{
	char		 path[400], *got = NULL;
	struct stat	 st;
	bool		 ok;

	snprintf(path, sizeof(path), "%s/%s", out, name);
	if (stat(path, &st) == -1 || read_file(path, 4096, &got, NULL) != 0)
		return false;
	ok = strcmp(got, text) == 0 && (st.st_mode & 07777) == mode;
	if (!ok)
		fprintf(stderr, "%s: mode %o: %s\n", path,
		    st.st_mode & 07777, got);
	free(got);
	return ok;
}

static struct action *
install_action(const char *group)
{
	char		 c[400], k[400], p[400], g[64];
	const char	*kv[] = { "type=exec", "command=true", c, k, p,
	    group != NULL ? g : NULL, NULL };
	struct action	*a;
	int		 rc;

	snprintf(c, sizeof(c), "install_cert=%s/%%d.crt", out);
	snprintf(k, sizeof(k), "install_key=%s/%%d.key", out);
	snprintf(p, sizeof(p), "install_pem=%s/%%n.pem", out);
	snprintf(g, sizeof(g), "install_group=%s", group ? group : "");
	a = section("i", kv, &rc);
	CHECK(rc == 0);
	return a;
}

static void
test_install(void)
{
	struct changed_cert	 c = { "site", lineage, doms, 2 };
	struct action		*a = install_action(NULL);
	bool			 new_copy;
	char			 path[400];

	quiet();
	CHECK(action_install(a, &c, 1, &new_copy) == 0 && new_copy);
	CHECK(action_install(a, &c, 1, &new_copy) == 0 && !new_copy);
	loud();
	CHECK(holds("a.example.org.crt", CHAIN, 0644));
	CHECK(holds("b.example.org.crt", CHAIN, 0644));
	CHECK(holds("a.example.org.key", KEY, 0600));
	CHECK(holds("b.example.org.key", KEY, 0600));
	CHECK(holds("site.pem", CHAIN KEY, 0600));

	/* Another tool overwrote one copy and loosened another. */
	snprintf(path, sizeof(path), "%s/a.example.org.crt", out);
	put(path, "old\n");
	snprintf(path, sizeof(path), "%s/b.example.org.key", out);
	CHECK(chmod(path, 0644) == 0);
	quiet();
	CHECK(action_sync_installs(a, &c, 1) == 1);
	loud();
	CHECK_LOG("a.example.org.crt differed from");
	CHECK_LOG("b.example.org.key differed from");
	CHECK(strstr(logged(), "site.pem") == NULL);
	CHECK(holds("a.example.org.crt", CHAIN, 0644));
	CHECK(holds("b.example.org.key", KEY, 0600));
	/* All match now: nothing written, nothing for the server. */
	CHECK(action_sync_installs(a, &c, 1) == 0);

	/* A run installs before it acts. */
	snprintf(path, sizeof(path), "%s/site.pem", out);
	CHECK(unlink(path) == 0);
	CHECK(run_quiet(a, &c, 1) == 0);
	CHECK(holds("site.pem", CHAIN KEY, 0600));
	action_free(a);
}

static void
test_group(void)
{
	struct changed_cert	 c = { "g", lineage, doms, 1 };
	struct action		*a;
	char			 gid[32], path[400];
	struct stat		 st;

	snprintf(gid, sizeof(gid), "%u", (unsigned)getegid());
	a = install_action(gid);
	CHECK(run_quiet(a, &c, 1) == 0);
	CHECK(holds("a.example.org.key", KEY, 0640));
	CHECK(holds("g.pem", CHAIN KEY, 0640));
	CHECK(holds("a.example.org.crt", CHAIN, 0644));
	snprintf(path, sizeof(path), "%s/g.pem", out);
	CHECK(stat(path, &st) == 0 && st.st_gid == getegid());
	action_free(a);
}

static void
test_errors(void)
{
	struct changed_cert	 c[2] = { { "x", lineage, doms, 1 },
	    { "y", lineage, doms, 1 } };
	char			 t[400];
	const char		*kv[] = { "type=exec", "command=touch ran",
	    t, NULL };
	struct action		*a;
	int			 rc;

	snprintf(t, sizeof(t), "install_cert=%s/one.crt", out);
	a = section("s", kv, &rc);
	CHECK(rc == 0);
	CHECK(run_quiet(a, c, 2) == -1);
	CHECK_LOG("one.crt has neither %n nor %d, but 2 certificates");
	action_free(a);

	snprintf(t, sizeof(t), "install_cert=%s/missing/%%n.crt", out);
	a = section("s", kv, &rc);
	CHECK(rc == 0);
	CHECK(run_quiet(a, c, 1) == -1);
	CHECK_LOG("/missing: open: No such file or directory");
	CHECK(access("ran", F_OK) == -1);
	action_free(a);

	c[0].lineage = "/nonexistent/live/x";
	snprintf(t, sizeof(t), "install_cert=%s/%%n.crt", out);
	a = section("s", kv, &rc);
	CHECK(run_quiet(a, c, 1) == -1);
	CHECK_LOG("/nonexistent/live/x/fullchain.pem: missing");
	action_free(a);
}

static void
cleanup(void)
{
	char	 cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: not removed\n", dir);
}

int
main(void)
{
	log_setup("cw_action_install", LOG_DEBUG, false);
	setup();
	test_install();
	test_group();
	test_errors();
	cleanup();
	return t_done("cw_action_install");
}
