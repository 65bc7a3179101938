/*
 * Reading live certificate sets: hashes, SANs, and the states a set
 * passes through while certbot or acme-webroot writes it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certset.h"
#include "log.h"
#include "t.h"

static char	 dir[] = "/tmp/cw_certset.XXXXXX";

/* Runs a shell command made from fmt. */
static int __attribute__((format(printf, 1, 0)))
sh_fmt(const char *fmt, va_list ap)
{
	char	 cmd[1024];

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	return system(cmd);
}

static int __attribute__((format(printf, 1, 2)))
shf(const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = sh_fmt(fmt, ap);
	va_end(ap);
	return rc;
}


/* A self-signed EC set in dir/NAME with SANs NAME and www.NAME. */
static void
make_set(const char *name)
{
	CHECK(shf("mkdir -p %s/%s && cd %s/%s && openssl req -x509 "
	    "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout privkey.pem -out fullchain.pem -days 2 "
	    "-subj /CN=x -addext "
	    "subjectAltName=DNS:x.example,DNS:www.x.example,IP:127.0.0.1 "
	    "2>/dev/null", dir, name, dir, name) == 0);
}

static void
test_ok(void)
{
	struct certset	*cs;

	make_set("ok");
	cs = certset_read(dir, "ok", true);
	CHECK(cs != NULL && cs->status == CERTSET_OK);
	if (cs == NULL)
		return;
	CHECK(strlen(cs->fullchain_sha) == 64);
	CHECK(strlen(cs->privkey_sha) == 64);
	CHECK(strcmp(cs->fullchain_sha, cs->privkey_sha) != 0);
	CHECK(cs->ndomains == 2);
	if (cs->ndomains == 2) {
		CHECK_STR(cs->domains[0], "x.example");
		CHECK_STR(cs->domains[1], "www.x.example");
	}
	CHECK(strstr(cs->lineage, "/ok") != NULL);
	certset_free(cs);
}

static void
test_problems(void)
{
	struct certset	*cs;

	cs = certset_read(dir, "nothing", true);
	CHECK(cs != NULL && cs->status == CERTSET_GONE);
	certset_free(cs);

	make_set("nokey");
	CHECK(shf("rm %s/nokey/privkey.pem", dir) == 0);
	cs = certset_read(dir, "nokey", true);
	CHECK(cs != NULL && cs->status == CERTSET_INCOMPLETE);
	CHECK(cs != NULL && strstr(cs->why, "nokey/privkey.pem") != NULL);
	certset_free(cs);

	make_set("dangling");
	CHECK(shf("ln -sfn ../archive/none.pem %s/dangling/fullchain.pem",
	    dir) == 0);
	cs = certset_read(dir, "dangling", true);
	CHECK(cs != NULL && cs->status == CERTSET_INCOMPLETE);
	certset_free(cs);

	make_set("mismatch");
	make_set("other");
	CHECK(shf("cp %s/other/privkey.pem %s/mismatch/", dir, dir) == 0);
	cs = certset_read(dir, "mismatch", true);
	CHECK(cs != NULL && cs->status == CERTSET_INVALID);
	CHECK(cs != NULL && strstr(cs->why, "does not match") != NULL);
	certset_free(cs);
	/* Without checks the hashes alone are read. */
	cs = certset_read(dir, "mismatch", false);
	CHECK(cs != NULL && cs->status == CERTSET_OK);
	certset_free(cs);

	make_set("garbage");
	CHECK(shf("echo junk > %s/garbage/fullchain.pem", dir) == 0);
	cs = certset_read(dir, "garbage", true);
	CHECK(cs != NULL && cs->status == CERTSET_INVALID);
	CHECK(cs != NULL && strstr(cs->why, "no certificate") != NULL);
	certset_free(cs);
}

static void
test_names(void)
{
	CHECK(certset_name_ok("example.org"));
	CHECK(!certset_name_ok(".example.org.new"));
	CHECK(!certset_name_ok("."));
	CHECK(!certset_name_ok(".."));
	CHECK(!certset_name_ok("a/b"));
}

int
main(void)
{
	log_setup("cw_certset", LOG_WARNING, false);
	if (mkdtemp(dir) == NULL)
		return 1;
	test_ok();
	test_problems();
	test_names();
	shf("rm -rf %s", dir);
	return t_done("cw_certset");
}
