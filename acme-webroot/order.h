/*
 * Getting one certificate from the CA: an order (new, or the one a
 * killed run left), its authorizations proved through the webroots,
 * finalize with a new key, download, and the checks that what came
 * back is what was asked for.
 */
#ifndef ORDER_H
#define ORDER_H

#include "acme.h"
#include "config.h"
#include "store.h"

/*
 * Obtains a certificate for cc into files (PEM, ready for
 * store_install).  st carries the order in flight: it is saved with
 * the order URL, and the new key is saved, before finalize, so that a
 * later run resumes instead of ordering again.  Returns 0, or -1 after
 * logging.
 */
int	 order_obtain(struct acme *acme, const struct cert_conf *cc,
	    struct store_state *st, struct store_files *files);

#endif
