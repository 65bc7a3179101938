/*
 * The configuration reader: values, inheritance, and every error with
 * the file and line it names.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "t.h"

static char	 dir[] = "/tmp/aw_config.XXXXXX";
static char	 errs[65536];	/* what the last load() logged */

/* dir/name, in a static buffer of its own per call site. */
static const char *
path_of(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void
write_file(const char *name, const char *text)
{
	char	 path[512];
	FILE	*fp;

	if ((fp = fopen(path_of(name, path, sizeof(path)), "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	if (fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

/* Loads dir/name with stderr captured into errs. */
static struct config *
load(const char *name)
{
	struct config	*cfg;
	char		 path[512], cap[512];
	ssize_t		 n;
	int		 fd, saved;

	path_of(name, path, sizeof(path));
	path_of("stderr.txt", cap, sizeof(cap));
	fflush(stderr);
	if ((fd = open(cap, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (saved = dup(2)) == -1 || dup2(fd, 2) == -1) {
		perror(cap);
		exit(1);
	}
	cfg = config_load(path);
	fflush(stderr);
	if (dup2(saved, 2) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		perror("dup2");
		exit(1);
	}
	close(saved);
	n = read(fd, errs, sizeof(errs) - 1);
	errs[n > 0 ? n : 0] = '\0';
	close(fd);
	return cfg;
}

/* Writes text to dir/name and loads it: the config when it has that
 * many errors and [cert NAME] sections, NULL (a failed check) if not. */
static struct config *
load_text(const char *name, const char *text, int nerrors, size_t ncerts)
{
	struct config	*cfg;

	write_file(name, text);
	cfg = load(name);
	CHECK(cfg != NULL && cfg->nerrors == nerrors &&
	    cfg->ncerts == ncerts);
	if (cfg != NULL && cfg->nerrors == nerrors && cfg->ncerts == ncerts)
		return cfg;
	if (cfg != NULL)
		fprintf(stderr, "  %s: %d errors, %zu sections:\n%s", name,
		    cfg->nerrors, cfg->ncerts, errs);
	config_free(cfg);
	return NULL;
}

/* Whether errs holds a line "NAME:LINE: ...WANT...". */
static bool
logged(const char *name, int line, const char *want)
{
	char		 path[512], where[600];
	const char	*p, *end;

	snprintf(where, sizeof(where), "%s:%d: ",
	    path_of(name, path, sizeof(path)), line);
	for (p = errs; (p = strstr(p, where)) != NULL; p = end) {
		end = strchrnul(p, '\n');
		if (memmem(p, (size_t)(end - p), want, strlen(want)) != NULL)
			return true;
	}
	fprintf(stderr, "  no \"%s...%s\" in:\n%s", where, want, errs);
	return false;
}

/* The one error a config with a single mistake gives. */
static void
one_error(const char *text, int line, const char *want)
{
	struct config	*cfg;

	write_file("one.ini", text);
	cfg = load("one.ini");
	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	CHECK(cfg->nerrors == 1);
	if (cfg->nerrors != 1)
		fprintf(stderr, "  %d errors for:\n%s", cfg->nerrors, text);
	CHECK(logged("one.ini", line, want));
	config_free(cfg);
}

#define DEFAULTS							\
	"[defaults]\n"							\
	"directory = https://127.0.0.1:14000/dir\n"			\
	"webroot = /srv/www\n"

static void
test_full(void)
{
	struct config		*cfg;
	struct cert_conf	*a, *b;
	struct group		*gr = getgrgid(getgid());
	char			 text[2048];

	CHECK(gr != NULL);
	if (gr == NULL)
		return;
	snprintf(text, sizeof(text),
	    "; comment\n"
	    "# another\n"
	    "[defaults]\n"
	    "directory = https://127.0.0.1:14000/dir ; trailing comment\n"
	    "agree_tos = yes\n"
	    "email = admin@example.org\n"
	    "ca_bundle = /etc/pebble/ca.pem\n"
	    "state_dir = /var/lib/certs\n"
	    "account_key = /var/lib/certs/account.key\n"
	    "key_type = ec-384\n"
	    "renew_before = 25%%\n"
	    "webroot = /srv/www\n"
	    "pre_hook = echo pre\n"
	    "post_hook = systemctl reload nginx\n"
	    "hook_timeout = 60\n"
	    "key_group = %s\n"
	    "max_names = 5\n"
	    "\n"
	    "[cert a.example]\n"
	    "domains = a.example WWW.A.example.\n"
	    "    shop.a.example   ; indented lines continue\n"
	    "\tb\xc3\xbc" "cher.example, a.example\n"
	    "key_type = rsa-2048\n"
	    "renew_before = 30d\n"
	    "webroot = /srv/a\n"
	    "webroot.Shop.A.Example = /srv/shop\n"
	    "email =\n"
	    "post_hook =\n"
	    "deploy_hook = /usr/local/bin/deploy --all\n"
	    "agree_tos = false\n"
	    "\n"
	    "[cert b.example]\n"
	    "domains = b.example\n", gr->gr_name);
	write_file("full.ini", text);
	cfg = load("full.ini");
	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	CHECK(cfg->nerrors == 0);
	/* The one thing said: a.example is listed twice. */
	CHECK(logged("full.ini", 22, "\"a.example\" is a.example, listed"));
	CHECK(strchr(errs, '\n') == errs + strlen(errs) - 1);
	CHECK(cfg->ncerts == 2);
	a = config_find(cfg, "a.example");
	b = config_find(cfg, "b.example");
	CHECK(a != NULL && b != NULL && config_find(cfg, "c") == NULL);
	if (a == NULL || b == NULL)
		goto out;

	CHECK(a->valid && b->valid);
	CHECK(a->line == 19 && b->line == 32);
	CHECK(strstr(a->file, "full.ini") != NULL);
	CHECK(a->ndomains == 4);
	if (a->ndomains == 4) {
		CHECK_STR(a->domains[0], "a.example");
		CHECK_STR(a->domains[1], "www.a.example");
		CHECK_STR(a->domains[2], "shop.a.example");
		CHECK_STR(a->domains[3], "xn--bcher-kva.example");
	}
	CHECK_STR(a->webroot, "/srv/a");
	CHECK_STR(cert_conf_webroot(a, "shop.a.example"), "/srv/shop");
	CHECK_STR(cert_conf_webroot(a, "a.example"), "/srv/a");
	CHECK(a->key_type == KEY_TYPE_RSA2048);
	CHECK(a->renew_kind == RENEW_SECONDS && a->renew_seconds == 2592000);
	CHECK(a->email == NULL && a->post_hook == NULL);
	CHECK_STR(a->pre_hook, "echo pre");
	CHECK_STR(a->deploy_hook, "/usr/local/bin/deploy --all");
	CHECK(!a->agree_tos);

	/* b inherits everything. */
	CHECK(b->ndomains == 1);
	CHECK_STR(b->directory, "https://127.0.0.1:14000/dir");
	CHECK(b->agree_tos);
	CHECK_STR(b->email, "admin@example.org");
	CHECK_STR(b->ca_bundle, "/etc/pebble/ca.pem");
	CHECK_STR(b->state_dir, "/var/lib/certs");
	CHECK_STR(b->account_key, "/var/lib/certs/account.key");
	CHECK(b->key_type == KEY_TYPE_EC384);
	CHECK(b->renew_kind == RENEW_FRACTION && b->renew_fraction == 0.25);
	CHECK_STR(b->webroot, "/srv/www");
	CHECK_STR(cert_conf_webroot(b, "b.example"), "/srv/www");
	CHECK_STR(b->post_hook, "systemctl reload nginx");
	CHECK(b->deploy_hook == NULL);
	CHECK(b->hook_timeout == 60 && b->max_names == 5);
	CHECK(b->has_key_group && b->key_gid == gr->gr_gid);
	CHECK_STR(b->key_group, gr->gr_name);
out:
	config_free(cfg);
}

/* The format as documented, inline comments and all, loads clean. */
static void
test_documented_example(void)
{
	struct config	*cfg;
	char		 line[256], text[8192] = "";
	size_t		 n = 0;
	FILE		*fp;

	cfg = load_text("doc.ini",
	    "[defaults]                        ; inherited by every [cert]\n"
	    "directory = https://127.0.0.1:14000/dir\n"
	    "agree_tos = yes                   ; required before an account\n"
	    "email = you@your-domain.tld       ; optional\n"
	    "ca_bundle = /path/ca.pem          ; optional: trust for HTTPS\n"
	    "state_dir = /etc/letsencrypt      ; live/, archive/, accounts/\n"
	    "account_key = /etc/acme-webroot/account.key   ; made if missing\n"
	    "key_type = ec-256                 ; ec-384, rsa-2048, rsa-3072\n"
	    "renew_before = 1/3                ; of the lifetime; or 25%\n"
	    "webroot = /var/www/html\n"
	    "post_hook = systemctl reload nginx\n"
	    "include = /nonexistent/conf.d/*.ini\n"
	    "\n"
	    "[cert example.org]                ; NAME is under live/\n"
	    "domains = example.org www.example.org\n"
	    "    shop.example.org              ; indented lines continue\n"
	    "webroot = /var/www/example        ; for all its names\n"
	    "webroot.shop.example.org = /srv/shop   ; one name's own\n"
	    "deploy_hook = /usr/local/bin/push-to-mail-server\n", 0, 1);
	if (cfg != NULL) {
		CHECK(cfg->certs[0].ndomains == 3);
		CHECK_STR(cfg->certs[0].ca_bundle, "/path/ca.pem");
		CHECK_STR(cert_conf_webroot(&cfg->certs[0],
		    "shop.example.org"), "/srv/shop");
	}
	config_free(cfg);

	/* The shipped example, once a directory is chosen. */
	if ((fp = fopen("etc/acme-webroot.ini", "r")) == NULL) {
		fprintf(stderr, "  etc/acme-webroot.ini not checked: %s\n",
		    strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL && n < sizeof(text))
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
		    strncmp(line, ";directory = ", 13) == 0 && !strstr(text,
		    "\ndirectory") ? line + 1 : line);
	fclose(fp);
	cfg = load_text("example.ini", text, 0, 1);
	/* The shipped unit could not run a reload hook without its
	 * drop-in: the example enables none. */
	if (cfg != NULL)
		CHECK(cfg->certs[0].pre_hook == NULL &&
		    cfg->certs[0].post_hook == NULL);
	config_free(cfg);
}

static void
test_builtin_defaults(void)
{
	struct config		*cfg;
	struct cert_conf	*c;

	cfg = load_text("min.ini", DEFAULTS "[cert m]\ndomains = m.example\n",
	    0, 1);
	if (cfg == NULL || cfg->ncerts != 1)
		goto out;
	c = &cfg->certs[0];
	CHECK(c->valid);
	CHECK_STR(c->state_dir, "/etc/letsencrypt");
	CHECK_STR(c->account_key, "/etc/acme-webroot/account.key");
	CHECK(c->key_type == KEY_TYPE_EC256);
	CHECK(c->renew_kind == RENEW_DEFAULT);
	CHECK(c->hook_timeout == 300 && c->max_names == 100);
	CHECK(!c->agree_tos && !c->has_key_group);
	CHECK(c->email == NULL && c->ca_bundle == NULL);
	CHECK(c->pre_hook == NULL && c->nwebroots == 0);
out:
	config_free(cfg);
}

/* CRLF line ends and a UTF-8 byte order mark are read as usual. */
static void
test_crlf_bom(void)
{
	struct config	*cfg;

	cfg = load_text("crlf.ini", "\xef\xbb\xbf[defaults]\r\n"
	    "directory = https://127.0.0.1/dir\r\n"
	    "webroot = /srv/www\r\n"
	    "[cert c]\r\n"
	    "domains = c.example\r\n"
	    "  d.example\r\n"
	    "agree_tos = yes", 0, 1);
	if (cfg != NULL) {
		CHECK(cfg->certs[0].ndomains == 2);
		CHECK_STR(cfg->certs[0].webroot, "/srv/www");
		CHECK(cfg->certs[0].agree_tos);
	}
	config_free(cfg);
}

static void
test_webroot_for(void)
{
	struct config		*cfg;
	struct cert_conf	*c;

	/* Each name its own webroot, none by default. */
	cfg = load_text("wr.ini", "[defaults]\n"
	    "directory = https://127.0.0.1/dir\n"
	    "[cert w]\n"
	    "domains = w.example b\xc3\xbc" "cher.example\n"
	    "webroot.w.example. = /srv/w\n"
	    "webroot.B\xc3\x9c" "CHER.example = /srv/b\n", 0, 1);
	if (cfg != NULL) {
		c = &cfg->certs[0];
		CHECK(c->webroot == NULL && c->nwebroots == 2);
		CHECK_STR(cert_conf_webroot(c, "w.example"), "/srv/w");
		CHECK_STR(cert_conf_webroot(c, "xn--bcher-kva.example"),
		    "/srv/b");
		CHECK(cert_conf_webroot(c, "x.example") == NULL);
	}
	config_free(cfg);

	one_error("[defaults]\ndirectory = https://127.0.0.1/dir\n"
	    "[cert w]\ndomains = w.example\nwebroot.w.example = /srv/w\n"
	    "webroot.v.example = /srv/v\n", 6,
	    "v.example is not one of the domains of [cert w]");
	one_error("[defaults]\ndirectory = https://127.0.0.1/dir\n"
	    "[cert w]\ndomains = w.example v.example\n"
	    "webroot.w.example = /srv/w\n", 3,
	    "[cert w] has no webroot for v.example");
	one_error("[defaults]\ndirectory = https://127.0.0.1/dir\n"
	    "[cert w]\ndomains = w.example\nwebroot.w.example = srv/w\n",
	    5, "webroot.w.example in [cert w]: \"srv/w\" is not an "
	    "absolute path");
	one_error(DEFAULTS "[cert w]\ndomains = w.example\n"
	    "webroot.w.example = /srv/w\nwebroot.W.example = /srv/x\n",
	    7, "w.example has its own webroot already");
	one_error(DEFAULTS "webroot.w.example = /srv/w\n", 4,
	    "webroot.w.example belongs in a [cert NAME] section");
}

/* The libinih limits: each is an error at its line. */
static void
test_inih_limits(void)
{
	struct config	*cfg;
	char		 text[1024], name[64];

	/* 199 bytes fit in libinih's 200 with the NUL, 200 do not. */
	snprintf(text, sizeof(text), DEFAULTS "[cert l]\n"
	    "domains = l.example\ndeploy_hook = %0*d\n", 199 - 14, 0);
	cfg = load_text("len.ini", text, 0, 1);
	if (cfg != NULL)
		CHECK(strlen(cfg->certs[0].deploy_hook) == 199 - 14);
	config_free(cfg);
	/* The same line last, without a newline. */
	text[strlen(text) - 1] = '\0';
	cfg = load_text("len.ini", text, 0, 1);
	if (cfg != NULL)
		CHECK(strlen(cfg->certs[0].deploy_hook) == 199 - 14);
	config_free(cfg);
	snprintf(text, sizeof(text), DEFAULTS "[cert l]\n"
	    "domains = l.example\ndeploy_hook = %0*d\n", 200 - 14, 0);
	one_error(text, 6, "line is 200 bytes long, libinih reads only 199");
	/* A domains line too long is that one error, not also a section
	 * without domains; so is a continuation line too long. */
	snprintf(text, sizeof(text), DEFAULTS "[cert long]\n"
	    "domains = %0*d.example\n", 203 - 18, 0);
	one_error(text, 5, "line is 203 bytes long, libinih reads only 199");
	snprintf(text, sizeof(text), DEFAULTS "[cert long]\n"
	    "domains =\n    %0*d.example\n", 203 - 12, 0);
	one_error(text, 6, "line is 203 bytes long, libinih reads only 199");

	/* libinih keeps 49 bytes of a section name. */
	memset(name, 'n', 44);
	name[44] = '\0';
	snprintf(text, sizeof(text), DEFAULTS "[cert %s]\n"
	    "domains = l.example\n", name);
	cfg = load_text("sec.ini", text, 0, 1);
	config_free(cfg);
	name[45] = '\0';
	name[44] = 'n';
	snprintf(text, sizeof(text), DEFAULTS "[cert %s]\n"
	    "domains = l.example\n", name);
	one_error(text, 4, "section name is 50 bytes, libinih keeps only 49");
	memset(name, 'n', 46);
	name[46] = '\0';
	snprintf(text, sizeof(text), DEFAULTS "[cert %s]\n"
	    "domains = l.example\n", name);
	one_error(text, 4, "section name is 51 bytes");

	/* " ;" starts a comment after a value, but not in a hook. */
	cfg = load_text("semi.ini", DEFAULTS "[cert s]\n"
	    "domains = s.example ; the only one\n"
	    "webroot = /srv/s ; comment\n"
	    "deploy_hook = a;b\n", 0, 1);
	if (cfg != NULL) {
		CHECK_STR(cfg->certs[0].webroot, "/srv/s");
		CHECK_STR(cfg->certs[0].deploy_hook, "a;b");
		CHECK(cfg->certs[0].ndomains == 1);
	}
	config_free(cfg);
	one_error(DEFAULTS "[cert s]\ndomains = s.example\n"
	    "post_hook = systemctl reload nginx ; systemctl reload exim\n",
	    6, "post_hook in [cert s] holds \" ;\"");
	one_error(DEFAULTS "pre_hook = true\t; comment\n", 4,
	    "pre_hook in [defaults] holds \" ;\"");
	one_error(DEFAULTS "[cert s]\ndomains = s.example\n"
	    "webroot = /srv/s # comment\n", 6,
	    "\"#\" starts a comment only at the start of a line");

	/* Indented lines continue only domains. */
	one_error(DEFAULTS "[cert s]\ndomains = s.example\n"
	    "deploy_hook = a\n  b\n", 7,
	    "indented line continues deploy_hook in [cert s], which "
	    "takes one line");
	one_error(DEFAULTS "[cert s]\ndomains = s.example\n"
	    "  webroot = /srv/s\n", 6,
	    "a key = value line must not be indented");
	one_error(DEFAULTS "[cert s]\ndomains = s.example\n"
	    " [cert t]\n", 6, "a [section] line must not be indented");
}

static void
test_structure_errors(void)
{
	one_error(DEFAULTS "[cert r]\ndomains = r.example\n"
	    "webroot = /a\nwebroot = /b\n", 7,
	    "webroot in [cert r] repeats the one at ");
	one_error(DEFAULTS "[cert r]\ndomains = r.example\n"
	    "webrot = /srv/r\n", 6, "unknown key \"webrot\" in [cert r] "
	    "(did you mean \"webroot\"?)");
	one_error(DEFAULTS "[cert r]\ndomains = r.example\n"
	    "webrot.r.example = /srv/r\n", 6,
	    "(did you mean \"webroot.r.example\"?)");
	one_error(DEFAULTS "[cert r]\ndomains = r.example\n"
	    "frobnicate = 1\n", 6, "unknown key \"frobnicate\" in [cert r]");
	one_error(DEFAULTS "[cert r]\n", 4, "[cert r] has no domains");
	one_error(DEFAULTS "[cert r]\ndomains =\n", 4,
	    "[cert r] has no domains");
	one_error("[defaults]\nwebroot = /srv\n[cert r]\ndomains = r.a\n",
	    3, "[cert r] has no directory");
	one_error(DEFAULTS "[default]\n", 4, "unknown section kind "
	    "\"default\" (did you mean \"defaults\"?)");
	one_error(DEFAULTS "[cert ../etc]\ndomains = r.example\n", 4,
	    "[cert ../etc] has a NAME starting with '.'");
	one_error(DEFAULTS "[cert a/b]\ndomains = r.example\n", 4,
	    "[cert a/b] has a NAME with a character other than");
	one_error(DEFAULTS "[cert]\ndomains = r.example\n", 4,
	    "[cert ] needs a NAME");
	one_error(DEFAULTS "[cert r\ndomains = r.example\n", 4,
	    "section line has no ']'");
	one_error(DEFAULTS "[cert r] x\ndomains = r.example\n", 4,
	    "text after ']': \"x\"");
	one_error("directory = https://x/\n" DEFAULTS, 1,
	    "directory is outside any section");
	one_error(DEFAULTS "just words\n", 4,
	    "line is not a [section], a key = value or a comment");
	one_error(DEFAULTS "= x\n", 4, "value without a key");
	one_error(DEFAULTS "domains = x.example\n", 4,
	    "domains belongs in a [cert NAME] section, not in [defaults]");
	one_error(DEFAULTS "[cert r]\ndomains = r.example\n"
	    "include = /dev/null\n", 6, "include belongs in [defaults]");
}

/* A repeated section: both halves are invalid, the others are not. */
static void
test_repeats(void)
{
	struct config	*cfg;

	cfg = load_text("rep.ini", DEFAULTS "[cert r]\ndomains = r.example\n"
	    "[cert ok]\ndomains = ok.example\n"
	    "[cert r]\nwebroot = /srv/r\n", 1, 2);
	CHECK(logged("rep.ini", 8, "[cert r] repeats the section at "));
	CHECK(logged("rep.ini", 8, "rep.ini:4 (libinih would merge"));
	if (cfg != NULL) {
		CHECK(!config_find(cfg, "r")->valid);
		CHECK(config_find(cfg, "ok")->valid);
	}
	config_free(cfg);

	cfg = load_text("repd.ini", DEFAULTS
	    "[cert ok]\ndomains = ok.example\n"
	    "[defaults]\nkey_type = ec-384\n", 1, 1);
	CHECK(logged("repd.ini", 6, "[defaults] repeats the section at"));
	if (cfg != NULL)
		CHECK(!cfg->certs[0].valid);
	config_free(cfg);
}

static void
test_values(void)
{
	struct {
		const char	*line, *want;
	} bad[] = {
		{ "key_type = ec-255", "key_type in [cert v]: \"ec-255\" is "
		    "not one of ec-256, ec-384, rsa-2048, rsa-3072, "
		    "rsa-4096" },
		{ "renew_before = 1/1", "\"1/1\" must be below 100% (1/1) "
		    "of the lifetime" },
		{ "renew_before = 0/3", "\"0/3\" must be above 0" },
		{ "renew_before = 100%", "\"100%\" must be below 100%" },
		{ "renew_before = 100.0%", "\"100.0%\" must be below 100%" },
		{ "renew_before = 0.0%", "\"0.0%\" must be above 0" },
		{ "renew_before = 0d", "\"0d\" must be above 0" },
		{ "renew_before = 3651d", "\"3651d\" is more than 3650" },
		{ "renew_before = 1.5d", "\"1.5d\" is not a fraction" },
		{ "renew_before = 5/0", "\"5/0\" is not a fraction" },
		{ "renew_before = 30", "renew_before in [cert v]" },
		{ "renew_before = 30w", "renew_before in [cert v]" },
		{ "renew_before = -1d", "renew_before in [cert v]" },
		{ "agree_tos = maybe", "\"maybe\" is not yes, no, true" },
		{ "hook_timeout = 0", "is not a number of seconds" },
		{ "hook_timeout = 5s", "is not a number of seconds" },
		{ "max_names = 0", "max_names in [cert v]" },
		{ "max_names = many", "max_names in [cert v]" },
		{ "key_group = no-such-group-here", "group "
		    "\"no-such-group-here\" does not exist" },
		{ "state_dir = var/lib", "\"var/lib\" is not an absolute" },
		{ "account_key = key.pem", "is not an absolute path" },
		{ "ca_bundle = ca.pem", "is not an absolute path" },
		{ "webroot = ~/www", "is not an absolute path" },
		{ "directory = http://127.0.0.1/dir", "is not an https URL" },
		{ "directory = https://", "is not an https URL" },
		{ "email = nobody", "\"nobody\" is not an email address" },
		{ "email = a@b@c.example", "is not an email address" },
		{ "email = a@localhost", "is not an email address" },
		{ "key_type =", "key_type in [cert v]: value is empty" },
		{ "state_dir =", "state_dir in [cert v]: value is empty" },
		{ "domains = v.example \x01", "\"\\x01\" holds" },
	};
	char	 text[512];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), DEFAULTS "[cert v]\n%s\n%s\n",
		    strncmp(bad[i].line, "domains", 7) == 0 ? "" :
		    "domains = v.example", bad[i].line);
		one_error(text, 6, bad[i].want);
	}
	/* An error in [defaults] is reported once, at its line. */
	one_error("[defaults]\ndirectory = https://127.0.0.1/dir\n"
	    "webroot = /srv/www\nkey_type = dsa\n[cert a]\ndomains = a.b\n"
	    "[cert b]\ndomains = b.c\n", 4, "key_type in [defaults]");
	/* A refused directory or webroot is not also a missing one. */
	one_error("[defaults]\ndirectory = http://127.0.0.1/dir\n"
	    "webroot = /srv/www\n[cert a]\ndomains = a.b\n"
	    "[cert b]\ndomains = b.c\n", 2, "directory in [defaults]");
	one_error("[defaults]\ndirectory = https://127.0.0.1/dir\n"
	    "webroot = srv/www\n[cert a]\ndomains = a.b\n"
	    "[cert b]\ndomains = b.c\n", 3, "webroot in [defaults]");
	one_error(DEFAULTS "[cert v]\ndomains = v.example\n"
	    "directory = https:/x\n", 6, "directory in [cert v]");
	/* An empty webroot unsets it: then a name has none. */
	one_error(DEFAULTS "[cert v]\ndomains = v.example\nwebroot =\n", 4,
	    "[cert v] has no webroot for v.example");
}

static void
test_domains(void)
{
	struct config	*cfg;
	char		 text[4096];
	size_t		 n;
	int		 i;

	one_error(DEFAULTS "[cert d]\ndomains = d.example *.d.example\n", 5,
	    "domains in [cert d]: \"*.d.example\" is a wildcard");
	one_error(DEFAULTS "[cert d]\ndomains = d.example\n  _dmarc.d.example"
	    "\n", 6, "\"_dmarc.d.example\" holds an underscore");
	one_error(DEFAULTS "[cert d]\ndomains = d.example\n\n\n  192.0.2.1\n",
	    8, "\"192.0.2.1\" is an IP address");
	one_error(DEFAULTS "[cert d]\ndomains = 2001:db8::1\n", 5,
	    "\"2001:db8::1\" is an IP address");
	one_error(DEFAULTS "[cert d]\ndomains = a..d.example\n", 5,
	    "has an empty label");

	/* max_names counts names after duplicates are dropped. */
	n = (size_t)snprintf(text, sizeof(text), DEFAULTS "max_names = 3\n"
	    "[cert d]\ndomains = a.d b.d A.d. c.d\n");
	for (i = 0; i < 2; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "  x%d.d\n", i);
	one_error(text, 7, "\"x0.d\" is name 4, more than max_names (3)");

	cfg = load_text("dup.ini", DEFAULTS "[cert d]\n"
	    "domains = d.example, D.EXAMPLE. d.example\n", 0, 1);
	if (cfg != NULL)
		CHECK(cfg->certs[0].ndomains == 1);
	/* Not an error, but worth a warning at the default level. */
	CHECK(logged("dup.ini", 5, "warning: domains in [cert d]: "
	    "\"D.EXAMPLE.\" is d.example, listed already"));
	config_free(cfg);
}

/* Sections stay valid when another is not; [defaults] errors and
 * unknown sections invalidate all. */
static void
test_validity(void)
{
	struct config	*cfg;

	cfg = load_text("mix.ini", DEFAULTS
	    "[cert good]\ndomains = good.example\n"
	    "[cert bad]\ndomains = *.bad.example\n"
	    "[cert also-good]\ndomains = also.example\n", 1, 3);
	if (cfg != NULL) {
		CHECK(config_find(cfg, "good")->valid);
		CHECK(!config_find(cfg, "bad")->valid);
		CHECK(config_find(cfg, "also-good")->valid);
	}
	config_free(cfg);

	cfg = load_text("glob.ini", DEFAULTS "hook_timeout = forever\n"
	    "[cert good]\ndomains = good.example\n", 1, 1);
	if (cfg != NULL)
		CHECK(!cfg->certs[0].valid);
	config_free(cfg);

	cfg = load_text("unk.ini", DEFAULTS
	    "[cert good]\ndomains = good.example\n"
	    "[defualts]\npost_hook = reload\n", 1, 1);
	if (cfg != NULL)
		CHECK(!cfg->certs[0].valid);
	config_free(cfg);
}

/* Errors come out in line order, though values are checked last. */
static void
test_error_order(void)
{
	struct config	*cfg;
	char		 p5[600], p6[600], path[512];
	const char	*at5, *at6;

	cfg = load_text("order.ini", DEFAULTS "[cert o]\n"
	    "domains = *.o.example\nwebrot = /srv/o\n", 2, 1);
	config_free(cfg);
	path_of("order.ini", path, sizeof(path));
	snprintf(p5, sizeof(p5), "%s:5: ", path);
	snprintf(p6, sizeof(p6), "%s:6: ", path);
	at5 = strstr(errs, p5);
	at6 = strstr(errs, p6);
	CHECK(at5 != NULL && at6 != NULL && at5 < at6);
}

static void
test_include(void)
{
	struct config	*cfg;
	char		 sub[512];

	if (mkdir(path_of("conf.d", sub, sizeof(sub)), 0700) == -1 &&
	    errno != EEXIST) {
		perror(sub);
		exit(1);
	}
	write_file("conf.d/10-a.ini", "; site a\n[cert a]\n"
	    "domains = a.example\n");
	write_file("conf.d/20-b.ini", "\n[cert b]\ndomains = b.example\n"
	    "webroot = /srv/b\nwebrot = /srv/b\n");
	write_file("conf.d/notes.txt", "not read\n");
	cfg = load_text("inc.ini", DEFAULTS "include = conf.d/*.ini\n"
	    "[cert main]\ndomains = main.example\n", 1, 3);
	CHECK(logged("conf.d/20-b.ini", 5, "unknown key \"webrot\" in "
	    "[cert b]"));
	if (cfg != NULL) {
		/* In config order: includes where they are named. */
		CHECK_STR(cfg->certs[0].name, "a");
		CHECK_STR(cfg->certs[1].name, "b");
		CHECK_STR(cfg->certs[2].name, "main");
		CHECK(cfg->certs[0].valid && !cfg->certs[1].valid);
		CHECK(strstr(cfg->certs[0].file, "conf.d/10-a.ini") != NULL);
		CHECK(cfg->certs[0].line == 2);
		CHECK_STR(cfg->certs[0].webroot, "/srv/www");
	}
	config_free(cfg);

	/* A glob that matches nothing is fine, a missing file is not. */
	cfg = load_text("inc0.ini", DEFAULTS "include = none.d/*.ini\n"
	    "[cert a]\ndomains = a.example\n", 0, 1);
	config_free(cfg);
	one_error(DEFAULTS "include = missing.ini\n", 4,
	    "missing.ini does not exist");
	one_error(DEFAULTS "include = one.ini\n", 4,
	    "read already (an include loop");

	/* include is only in [defaults], so a loop repeats it too. */
	write_file("loop.ini", "[defaults]\ninclude = loop2.ini\n");
	write_file("loop2.ini", "[defaults]\ninclude = loop.ini\n");
	cfg = load("loop.ini");
	CHECK(cfg != NULL && cfg->nerrors == 2);
	CHECK(logged("loop2.ini", 1, "[defaults] repeats the section at"));
	CHECK(logged("loop2.ini", 2, "loop.ini: read already"));
	config_free(cfg);
}

static void
test_renew_at(void)
{
	struct cert_conf	 cc;
	const time_t		 nb = 1700000000, day = 86400;
	const time_t		 na90 = nb + 90 * day, na1h = nb + 3600;

	memset(&cc, 0, sizeof(cc));
	cc.renew_kind = RENEW_DEFAULT;
	CHECK(cert_conf_renew_at(&cc, nb, na90) == na90 - 30 * day);
	CHECK(cert_conf_renew_at(&cc, nb, na1h) == na1h - 1800);
	/* Six days: under ten, half. */
	CHECK(cert_conf_renew_at(&cc, nb, nb + 6 * day) == nb + 3 * day);

	cc.renew_kind = RENEW_FRACTION;
	cc.renew_fraction = 1.0 / 3.0;
	CHECK(cert_conf_renew_at(&cc, nb, na90) == na90 - 30 * day);
	CHECK(cert_conf_renew_at(&cc, nb, na1h) == na1h - 1200);
	cc.renew_fraction = 0.25;
	CHECK(cert_conf_renew_at(&cc, nb, na90) == na90 - 22 * day - day / 2);
	CHECK(cert_conf_renew_at(&cc, nb, na1h) == na1h - 900);

	cc.renew_kind = RENEW_SECONDS;
	cc.renew_seconds = 30 * day;
	CHECK(cert_conf_renew_at(&cc, nb, na90) == na90 - 30 * day);
	/* Longer than the lifetime: the default fraction instead. */
	CHECK(cert_conf_renew_at(&cc, nb, na1h) == na1h - 1800);
	cc.renew_seconds = 12 * 3600;
	CHECK(cert_conf_renew_at(&cc, nb, na90) == na90 - 12 * 3600);
	cc.renew_seconds = 90 * 60;
	CHECK(cert_conf_renew_at(&cc, nb, na90) == na90 - 5400);
	CHECK(cert_conf_renew_at(&cc, nb, na1h) == na1h - 1800);
	cc.renew_seconds = 600;
	CHECK(cert_conf_renew_at(&cc, nb, na1h) == na1h - 600);

	/* Nonsense dates: due at once. */
	CHECK(cert_conf_renew_at(&cc, nb, nb) == nb);
	CHECK(cert_conf_renew_at(&cc, nb, nb - 1) == nb);
}

/* Each renew_before form as read from a file. */
static void
test_renew_forms(void)
{
	static const struct {
		const char	*text;
		enum renew_kind	 kind;
		double		 fraction;
		long		 seconds;
	} forms[] = {
		{ "1/3", RENEW_FRACTION, 1.0 / 3.0, 0 },
		{ "1/2", RENEW_FRACTION, 0.5, 0 },
		{ "25%", RENEW_FRACTION, 0.25, 0 },
		{ "12.5%", RENEW_FRACTION, 0.125, 0 },
		{ "99.9%", RENEW_FRACTION, 0.999, 0 },
		{ "30d", RENEW_SECONDS, 0, 30 * 86400 },
		{ "12h", RENEW_SECONDS, 0, 12 * 3600 },
		{ "90m", RENEW_SECONDS, 0, 5400 },
		{ "600s", RENEW_SECONDS, 0, 600 },
	};
	struct config	*cfg;
	char		 text[512];
	size_t		 i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(text, sizeof(text), DEFAULTS "renew_before = %s\n"
		    "[cert f]\ndomains = f.example\n", forms[i].text);
		cfg = load_text("renew.ini", text, 0, 1);
		if (cfg != NULL) {
			CHECK(cfg->certs[0].renew_kind == forms[i].kind);
			CHECK(cfg->certs[0].renew_fraction ==
			    forms[i].fraction);
			CHECK(cfg->certs[0].renew_seconds == forms[i].seconds);
		}
		config_free(cfg);
	}
}

static void
test_unreadable(void)
{
	char	 path[512];

	CHECK(load("does-not-exist.ini") == NULL);
	CHECK(strstr(errs, path_of("does-not-exist.ini", path,
	    sizeof(path))) != NULL);
	CHECK(strstr(errs, "No such file") != NULL);
}

int
main(void)
{
	char	 cmd[600];
	int	 rc;

	log_setup("aw_config", LOG_WARNING, false);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	test_full();
	test_documented_example();
	test_builtin_defaults();
	test_crlf_bom();
	test_webroot_for();
	test_inih_limits();
	test_structure_errors();
	test_repeats();
	test_values();
	test_domains();
	test_validity();
	test_error_order();
	test_include();
	test_renew_at();
	test_renew_forms();
	test_unreadable();
	rc = t_done("aw_config");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: not removed\n", dir);
	return rc;
}
