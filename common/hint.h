/*
 * "Did you mean" hints for misspelt configuration keys.
 */
#ifndef COMMON_HINT_H
#define COMMON_HINT_H

#include <stddef.h>

/* Levenshtein distance, ignoring case; SIZE_MAX for words over 64. */
size_t		 hint_distance(const char *a, const char *b);

/*
 * The word of words (n of them, or NULL-terminated when n is
 * SIZE_MAX) closest to typed, when it is close enough to have been
 * meant: one edit for words under five letters, two otherwise.
 */
const char	*hint_closest(const char *typed, const char *const *words,
		    size_t n);

#endif
