/*
 * Domain name normalisation: one spelling per name, refused early.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "names.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Both spellings of an address, with or without brackets around v6. */
static bool
is_ip_literal(const char *name)
{
	unsigned char	 addr[16];
	char		 inner[64];
	size_t		 len = strlen(name);

	if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1)
		return true;
	if (len > 2 && len < sizeof(inner) + 2 && name[0] == '[' &&
	    name[len - 1] == ']') {
		memcpy(inner, name + 1, len - 2);
		inner[len - 2] = '\0';
		return inet_pton(AF_INET6, inner, addr) == 1;
	}
	return false;
}

/*
 * Refusals that must come before IDNA conversion, whose own messages
 * about '*', ':' or '_' would not tell the admin what is wrong.
 */
static int
check_raw(const char *name, char *err, size_t errlen)
{
	if (*name == '\0')
		return fail(err, errlen, "is empty");
	if (strchr(name, '*') != NULL)
		return fail(err, errlen, "is a wildcard, which HTTP-01 "
		    "cannot prove");
	if (is_ip_literal(name))
		return fail(err, errlen, "is an IP address, not a domain "
		    "name");
	if (strchr(name, '_') != NULL)
		return fail(err, errlen, "holds an underscore, which no "
		    "host name may");
	return 0;
}

/* Label by label, on the A-label form. */
static int
check_labels(const char *name, char *err, size_t errlen)
{
	const char	*label = name, *end;
	size_t		 len;

	if (strlen(name) > NAME_MAX_LEN)
		return fail(err, errlen, "is longer than %d bytes",
		    NAME_MAX_LEN);
	for (;;) {
		end = strchrnul(label, '.');
		len = (size_t)(end - label);
		if (len == 0)
			return fail(err, errlen, "has an empty label");
		if (len > LABEL_MAX_LEN)
			return fail(err, errlen, "has a label longer than "
			    "%d bytes", LABEL_MAX_LEN);
		if (label[0] == '-' || end[-1] == '-')
			return fail(err, errlen, "has a label that starts "
			    "or ends with '-'");
		if (*end == '\0')
			break;
		label = end + 1;
	}
	/* No top-level domain is numeric; "10.1" or "1.2.3" are
	 * addresses in inet_aton()'s shorthand. */
	if (strspn(label, "0123456789") == len)
		return fail(err, errlen, "ends in a numeric label, like an "
		    "IP address");
	return 0;
}

static int
check_chars(const char *name, char *err, size_t errlen)
{
	const char	*p;

	for (p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.')
			continue;
		return fail(err, errlen, "holds '%c', which no host name "
		    "may", *p);
	}
	return 0;
}

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

int
name_normalise(const char *in, char **out, char *err, size_t errlen)
{
	char	*copy = NULL, *ascii = NULL, *p;
	size_t	 len;
	int	 rc = -1, irc;

	*out = NULL;
	if ((copy = strdup(in)) == NULL) {
		fail(err, errlen, "cannot be copied: out of memory");
		goto out;
	}
	len = strlen(copy);
	if (len > 0 && copy[len - 1] == '.')
		copy[len - 1] = '\0';
	for (p = copy; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (check_raw(copy, err, errlen) == -1)
		goto out;
	/* An ASCII name is checked before IDNA, whose messages are
	 * vaguer than these. */
	if (is_ascii(copy) && (check_chars(copy, err, errlen) == -1 ||
	    check_labels(copy, err, errlen) == -1))
		goto out;

	/* ASCII names go through IDNA too: it refuses malformed
	 * "xn--" labels, which the CA would refuse later. */
	irc = idn2_to_ascii_8z(copy, &ascii, IDN2_NONTRANSITIONAL);
	if (irc != IDN2_OK) {
		fail(err, errlen, "cannot be converted to an A-label: %s",
		    idn2_strerror(irc));
		goto out;
	}
	for (p = ascii; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (check_chars(ascii, err, errlen) == -1 ||
	    check_labels(ascii, err, errlen) == -1)
		goto out;
	if ((*out = strdup(ascii)) == NULL) {
		fail(err, errlen, "cannot be copied: out of memory");
		goto out;
	}
	rc = 0;
out:
	idn2_free(ascii);
	free(copy);
	return rc;
}
