/*
 * Names of key types.
 */
#include <stddef.h>
#include <string.h>

#include "keytype.h"

static const char *const names[] = {
	[KEY_TYPE_EC256] = "ec-256",
	[KEY_TYPE_EC384] = "ec-384",
	[KEY_TYPE_RSA2048] = "rsa-2048",
	[KEY_TYPE_RSA3072] = "rsa-3072",
	[KEY_TYPE_RSA4096] = "rsa-4096",
};

int
key_type_parse(const char *text, enum key_type *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum key_type)i;
			return 0;
		}
	}
	return -1;
}

const char *
key_type_name(enum key_type type)
{
	if ((size_t)type >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[type];
}
