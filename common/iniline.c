/*
 * Lines of the ini files both programs read, as libinih sees them.
 */
#include <string.h>

#include "iniline.h"

const char *
iniline_indented_shape(const char *text)
{
	if (*text == '[')
		return "[section]";
	if (strchr(text, '=') != NULL)
		return "key = value";
	return NULL;
}
