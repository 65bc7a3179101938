/*
 * acme-webroot's configuration file: the input is written to a file
 * and loaded as `acme-webroot -c FILE` would, includes and all (the
 * folder holds conf.d/extra.ini for an include to find); every
 * section that loaded is then read as renew and status read it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

static char	 path[PATH_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 extra[PATH_MAX];

	(void)argc;
	(void)argv;
	fuzz_setup();
	snprintf(path, sizeof(path), "%s/acme-webroot.ini", fuzz_dir());
	snprintf(extra, sizeof(extra), "%s/conf.d", fuzz_dir());
	if (mkdir(extra, 0700) == -1)
		abort();
	snprintf(extra, sizeof(extra), "%s/conf.d/extra.ini", fuzz_dir());
	fuzz_write_text(extra, "[cert extra]\ndomains = extra.example\n"
	    "webroot = /var/www/extra\nrenew_before = 20d\n");
	return 0;
}

static void
read_cert(const struct cert_conf *cc)
{
	time_t	 start = 1700000000, at;
	size_t	 i;

	for (i = 0; i < cc->ndomains; i++)
		cert_conf_webroot(cc, cc->domains[i]);
	/* Renewal is due inside the lifetime, or at once. */
	at = cert_conf_renew_at(cc, start, start + 90 * 86400);
	if (at < start || at > start + 90 * 86400)
		abort();
	cert_conf_renew_at(cc, start, start);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg;
	size_t		 i;

	fuzz_write(path, data, size);
	if ((cfg = config_load(path)) == NULL)
		return 0;
	for (i = 0; i < cfg->ncerts; i++) {
		if (config_find(cfg, cfg->certs[i].name) == NULL)
			abort();
		read_cert(&cfg->certs[i]);
	}
	config_free(cfg);
	return 0;
}
