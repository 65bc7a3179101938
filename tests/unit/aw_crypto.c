/*
 * base64url, SHA-256, key generation, PEM and key files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fsutil.h"
#include "log.h"
#include "t.h"

/* Encodes, compares with want, decodes back to the same bytes. */
static void
round_trip(const char *data, size_t len, const char *want)
{
	unsigned char	*back;
	char		*enc;
	size_t		 n = 0;

	enc = b64url_encode(data, len);
	CHECK_STR(enc, want);
	back = enc == NULL ? NULL : b64url_decode(enc, &n);
	CHECK(back != NULL && n == len && memcmp(back, data, len) == 0);
	free(back);
	free(enc);
}

static bool
decodes(const char *text)
{
	unsigned char	*out;
	size_t		 n;

	out = b64url_decode(text, &n);
	free(out);
	return out != NULL;
}

static void
test_b64url(void)
{
	unsigned char	 all[256];
	unsigned char	*back;
	char		*enc;
	size_t		 i, n = 0;

	/* RFC 4648 section 10 vectors, without padding. */
	round_trip("", 0, "");
	round_trip("f", 1, "Zg");
	round_trip("fo", 2, "Zm8");
	round_trip("foo", 3, "Zm9v");
	round_trip("foob", 4, "Zm9vYg");
	round_trip("fooba", 5, "Zm9vYmE");
	round_trip("foobar", 6, "Zm9vYmFy");
	/* The two characters that differ from base64. */
	round_trip("\xfb\xff\xbf", 3, "-_-_");

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	enc = b64url_encode(all, sizeof(all));
	CHECK(enc != NULL && strlen(enc) == 342);
	back = enc == NULL ? NULL : b64url_decode(enc, &n);
	CHECK(back != NULL && n == sizeof(all) &&
	    memcmp(back, all, sizeof(all)) == 0);
	free(back);
	free(enc);

	CHECK(decodes("Zm9vYg"));
	CHECK(!decodes("Zm9vYg=="));	/* padding */
	CHECK(!decodes("Zm9vYg="));
	CHECK(!decodes("+_-_"));	/* base64, not base64url */
	CHECK(!decodes("-/-_"));
	CHECK(!decodes("Zm9vY"));	/* 5 characters: no whole byte */
	CHECK(!decodes("Z"));
	CHECK(!decodes("Zm9v Yg"));	/* whitespace */
	CHECK(!decodes("Zm9v\nYg"));
	CHECK(!decodes("Zh"));		/* leftover bits set */
	CHECK(!decodes("Zm9"));
	CHECK(decodes(""));
}

static void
test_b64url_valid(void)
{
	CHECK(b64url_valid("abcXYZ019-_", 1, 64));
	CHECK(!b64url_valid("abc=", 1, 64));
	CHECK(!b64url_valid("ab/c", 1, 64));
	CHECK(!b64url_valid("../x", 1, 64));
	CHECK(!b64url_valid("ab.c", 1, 64));
	CHECK(!b64url_valid("", 1, 64));
	CHECK(b64url_valid("", 0, 64));
	CHECK(!b64url_valid("abcdef", 1, 5));
	CHECK(b64url_valid("abcde", 5, 5));
	CHECK(!b64url_valid("abcd", 5, 5));
	CHECK(!b64url_valid(NULL, 0, 5));
}

static void
test_sha256(void)
{
	char	 hex[65];

	CHECK(sha256_hex("abc", 3, hex) == 0);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	CHECK(sha256_hex("", 0, hex) == 0);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

/* Each type generates, knows its type, and survives PEM both ways. */
static void
test_types(void)
{
	static const enum key_type types[] = {
		KEY_TYPE_EC256, KEY_TYPE_EC384, KEY_TYPE_RSA2048,
	};
	enum key_type	 got;
	EVP_PKEY	*key, *back;
	size_t		 i, len = 0;
	char		*pem;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		key = key_generate(types[i]);
		CHECK(key != NULL);
		if (key == NULL)
			continue;
		CHECK(key_is_type(key, types[i]));
		CHECK(!key_is_type(key, KEY_TYPE_RSA4096));
		CHECK(key_type_of(key, &got) == 0 && got == types[i]);
		pem = key_to_pem(key, &len);
		CHECK(pem != NULL && strlen(pem) == len);
		CHECK(pem != NULL &&
		    strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
		back = pem == NULL ? NULL : key_from_pem(pem, len, "test");
		CHECK(back != NULL && EVP_PKEY_eq(key, back) == 1);
		EVP_PKEY_free(back);
		free_secret(pem, len);
		EVP_PKEY_free(key);
	}
	CHECK(key_from_pem("garbage", 7, "garbage.pem") == NULL);
	CHECK(key_from_pem("", 0, "empty.pem") == NULL);
}

/* A P-521 key is valid PEM but no key_type: refused. */
static void
test_unsupported(void)
{
	EVP_PKEY	*key, *back;
	char		*pem;
	size_t		 len = 0;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	CHECK(key != NULL);
	pem = key == NULL ? NULL : key_to_pem(key, &len);
	CHECK(pem != NULL);
	back = pem == NULL ? NULL : key_from_pem(pem, len, "p521.pem");
	CHECK(back == NULL);
	EVP_PKEY_free(back);
	free_secret(pem, len);
	EVP_PKEY_free(key);
}

static mode_t
mode_of(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static void
test_files(const char *dir)
{
	char		 path[PATH_MAX], loose[PATH_MAX];
	EVP_PKEY	*key, *again;
	char		*pem = NULL;
	size_t		 len = 0;

	snprintf(path, sizeof(path), "%s/account.key", dir);
	snprintf(loose, sizeof(loose), "%s/loose.key", dir);

	CHECK(key_load(path) == NULL);
	key = key_load_or_create(path, KEY_TYPE_EC256);
	CHECK(key != NULL && key_is_type(key, KEY_TYPE_EC256));
	CHECK(mode_of(path) == 0600);

	/* A second call loads the same key instead of making another. */
	again = key_load_or_create(path, KEY_TYPE_EC384);
	CHECK(again != NULL && key != NULL && EVP_PKEY_eq(key, again) == 1);
	EVP_PKEY_free(again);
	again = key_load(path);
	CHECK(again != NULL && key != NULL && EVP_PKEY_eq(key, again) == 1);
	EVP_PKEY_free(again);

	/* Group read is what key_group gives; allowed. */
	CHECK(chmod(path, 0640) == 0);
	again = key_load(path);
	CHECK(again != NULL);
	EVP_PKEY_free(again);

	if (key != NULL)
		pem = key_to_pem(key, &len);
	CHECK(pem != NULL &&
	    atomic_write(loose, pem, len, 0644, GID_KEEP) == 0);
	CHECK(key_load(loose) == NULL);
	CHECK(key_load_or_create(loose, KEY_TYPE_EC256) == NULL);
	CHECK(chmod(loose, 0620) == 0 && key_load(loose) == NULL);
	CHECK(chmod(loose, 0602) == 0 && key_load(loose) == NULL);
	CHECK(chmod(loose, 0400) == 0);
	again = key_load(loose);
	CHECK(again != NULL);
	EVP_PKEY_free(again);
	CHECK(key_load(dir) == NULL);

	free_secret(pem, len);
	EVP_PKEY_free(key);
	unlink(path);
	unlink(loose);
}

int
main(void)
{
	char	 dir[] = "/tmp/aw_crypto.XXXXXX";

	log_setup("aw_crypto", LOG_DEBUG, false);
	test_b64url();
	test_b64url_valid();
	test_sha256();
	test_types();
	test_unsupported();
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_files(dir);
	rmdir(dir);
	return t_done("aw_crypto");
}
