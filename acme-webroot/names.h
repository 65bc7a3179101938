/*
 * Domain names as the CA will see them: one spelling per name, checked
 * before any request so that a bad name is a config error, not an
 * order the CA refuses.
 */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

/* Longest name and label in DNS (RFC 1035), in A-label form. */
#define NAME_MAX_LEN	253
#define LABEL_MAX_LEN	63

/*
 * Normalises one name: lower case, one trailing dot removed, U-labels
 * converted to A-labels (IDNA 2008 with UTS #46 non-transitional
 * mapping).  Refuses wildcards (HTTP-01 cannot prove them), IP
 * literals, underscores, characters outside letters, digits, '-' and
 * '.', empty labels, labels over 63 bytes and names over 253.
 *
 * 0 and *out (malloc'd) on success; -1 on failure with the reason in
 * err (a phrase without the name, for the caller to put after it) and
 * nothing logged.
 */
int	 name_normalise(const char *in, char **out, char *err, size_t errlen);

#endif
