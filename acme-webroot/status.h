/*
 * `acme-webroot status`: what each certificate looks like on disk and
 * in this program's memory of failures, without any request or lock.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>

#include "config.h"

/*
 * Prints one row per selected certificate (or a JSON array).  Returns
 * 1 when any is expired, failing, invalid or inside its renewal window,
 * so that monitoring can call it; 0 otherwise.
 */
int	 show_status(struct config *cfg, const bool *selected, bool json);

#endif
