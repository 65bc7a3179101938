/*
 * Named crash points for the tests: when the environment variable
 * FAILPOINT_ENV names a point, the process kills itself with SIGKILL
 * there, as a power cut or the OOM killer would.  The tests use them
 * to prove that every step leaves the disk consistent.  Nothing
 * happens when the variable is unset.
 */
#ifndef COMMON_FAILPOINT_H
#define COMMON_FAILPOINT_H

#define FAILPOINT_ENV	"ACME_WEBROOT_FAILPOINT"

void	 failpoint(const char *name);

#endif
