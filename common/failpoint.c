/*
 * Test crash points.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failpoint.h"

void
failpoint(const char *name)
{
	const char	*want = getenv(FAILPOINT_ENV);

	if (want != NULL && strcmp(want, name) == 0)
		kill(getpid(), SIGKILL);
}
