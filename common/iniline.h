/*
 * Lines of the ini files both programs read, as libinih sees them.
 */
#ifndef COMMON_INILINE_H
#define COMMON_INILINE_H

/*
 * libinih joins an indented line to the value before it, so a section
 * header or a key pasted with its indent silently becomes part of a
 * value.  What such a line looks like, for the error that says so:
 * "[section]" or "key = value"; NULL for other text.  text is the
 * line after its leading blanks.
 */
const char	*iniline_indented_shape(const char *text);

#endif
