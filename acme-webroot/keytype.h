/*
 * The kinds of private key a certificate or an account can have, as
 * written in the configuration (key_type = ec-256).
 */
#ifndef KEYTYPE_H
#define KEYTYPE_H

enum key_type {
	KEY_TYPE_EC256,
	KEY_TYPE_EC384,
	KEY_TYPE_RSA2048,
	KEY_TYPE_RSA3072,
	KEY_TYPE_RSA4096,
};

/* 0 and *out set when text names a key type, -1 otherwise (no log). */
int		 key_type_parse(const char *text, enum key_type *out);
const char	*key_type_name(enum key_type type);

#endif
