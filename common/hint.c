/*
 * Edit distance for "did you mean" hints.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "hint.h"

#define WORD_MAX	64

size_t
hint_distance(const char *a, const char *b)
{
	size_t	 row[WORD_MAX + 1], i, j, diag, up;
	size_t	 la = strlen(a), lb = strlen(b);

	if (la > WORD_MAX || lb > WORD_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;

	/* One row of the matrix at a time: diag is the cell up-left. */
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

const char *
hint_closest(const char *typed, const char *const *words, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = SIZE_MAX, limit;

	limit = strlen(typed) < 5 ? 1 : 2;
	for (i = 0; i < n && words[i] != NULL; i++) {
		d = hint_distance(typed, words[i]);
		if (d <= limit && d < bestd) {
			best = words[i];
			bestd = d;
		}
	}
	return best;
}
