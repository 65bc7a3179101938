/*
 * What an ACME CA answers: the directory, nonces, the account, the
 * order, its authorizations and challenges, problem documents, and the
 * certificate chain.  The input is a script of answers that the HTTP
 * layer hands out in turn, whatever was asked; acme-webroot opens the
 * directory, makes an account and obtains a certificate with them, as
 * `acme-webroot issue` does, with a webroot and a state folder of its
 * own.  No request leaves the process: http_request() is replaced at
 * link time (-Wl,--wrap=http_request) by the script's reader, and the
 * deadline is in the past so that no retry or poll sleeps.
 *
 * Input: answers separated by "\n--\n"; each is a status line ("200"),
 * header lines, an empty line, and the body.  Status 0, or the end of
 * the script, is a failed connection.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "acme.h"
#include "config.h"
#include "crypto.h"
#include "fuzz.h"
#include "log.h"
#include "order.h"
#include "store.h"

#define ANSWER_END	"\n--\n"

int	 __wrap_http_request(struct http_client *client, const char *method,
	    const char *url, const char *body, const char *accept,
	    struct http_response *resp);

static const char	*script, *script_end;
static struct config	*cfg;
static EVP_PKEY		*account_key;
static struct http_client *http;

/* The next answer of the script, [*start, *end); false when none. */
static bool
next_answer(const char **start, const char **end)
{
	const char	*sep;

	if (script >= script_end)
		return false;
	*start = script;
	sep = memmem(script, (size_t)(script_end - script), ANSWER_END,
	    strlen(ANSWER_END));
	*end = sep != NULL ? sep : script_end;
	script = sep != NULL ? sep + strlen(ANSWER_END) : script_end;
	return true;
}

/* Header lines up to an empty one; returns where the body starts. */
static const char *
read_headers(struct http_response *resp, const char *p, const char *end)
{
	const char	*nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (nl - p <= 2 && (*p == '\n' || *p == '\r'))
			return nl;
		http_header_line(resp, p, (size_t)(nl - p));
		p = nl;
	}
	return end;
}

int
__wrap_http_request(struct http_client *client, const char *method,
    const char *url, const char *body, const char *accept,
    struct http_response *resp)
{
	const char	*p, *end, *nl;
	char		*status;

	(void)client;
	(void)method;
	(void)url;
	(void)body;
	(void)accept;
	memset(resp, 0, sizeof(*resp));
	if (!next_answer(&p, &end))
		return -1;
	nl = memchr(p, '\n', (size_t)(end - p));
	nl = nl != NULL ? nl + 1 : end;
	status = fuzz_strndup((const uint8_t *)p, (size_t)(nl - p));
	resp->status = strtol(status, NULL, 10);
	free(status);
	if (resp->status <= 0)
		return -1;
	p = read_headers(resp, nl, end);
	resp->body = fuzz_strndup((const uint8_t *)p, (size_t)(end - p));
	resp->len = (size_t)(end - p);
	return 0;
}

static void
make_dir(const char *name)
{
	char	 p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", fuzz_dir(), name);
	if (mkdir(p, 0700) == -1)
		abort();
}

/* The configuration of one certificate with two names. */
static void
load_config(void)
{
	char	 path[PATH_MAX], text[4 * PATH_MAX];
	const char *d = fuzz_dir();

	snprintf(path, sizeof(path), "%s/acme-webroot.ini", d);
	snprintf(text, sizeof(text), "[defaults]\n"
	    "directory = https://ca.test/dir\nagree_tos = yes\n"
	    "email = admin@example.test\nstate_dir = %s/state\n"
	    "account_key = %s/account.key\nwebroot = %s/www\n"
	    "[cert fuzz]\ndomains = a.example.test b.example.test\n",
	    d, d, d);
	fuzz_write_text(path, text);
	if ((cfg = config_load(path)) == NULL || cfg->nerrors != 0 ||
	    cfg->ncerts != 1)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	make_dir("state");
	make_dir("www");
	load_config();
	if (store_init(cfg->certs[0].state_dir) == -1 ||
	    (account_key = key_generate(KEY_TYPE_EC256)) == NULL ||
	    (http = http_new(NULL, NULL)) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cert_conf	*cc = &cfg->certs[0];
	struct acme		 acme;
	struct store_state	 st;
	struct store_files	 files;

	script = (const char *)data;
	script_end = script + size;
	memset(&acme, 0, sizeof(acme));
	memset(&st, 0, sizeof(st));
	memset(&files, 0, sizeof(files));
	acme.email = cc->email;
	acme.agree_tos = cc->agree_tos;
	acme.deadline = time(NULL) - 1;
	log_error_mark();

	if (acme_open(&acme, http, cc->directory, NULL) == 0 &&
	    acme_account(&acme, account_key, NULL) == 0)
		order_obtain(&acme, cc, &st, &files);

	store_files_free(&files);
	store_state_free(&st);
	acme_close(&acme);
	store_pending_key_forget(cc->state_dir, cc->name);
	return 0;
}
