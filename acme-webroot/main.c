/*
 * acme-webroot: placeholder entry point, replaced by the command line.
 */
#include <stdio.h>

int
main(void)
{
	return 2;
}
