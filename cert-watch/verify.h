/*
 * Proof that a server serves the new certificate: the leaf it presents
 * over TLS is compared with the one in the live directory.
 */
#ifndef CW_VERIFY_H
#define CW_VERIFY_H

#include "action.h"

/*
 * Connects to host:port with the certificate's first domain as SNI,
 * offering only the signature algorithms of its key type, every 250 ms
 * until the leaf served is live/NAME/cert.pem's or timeout_ms passes.
 * action names the caller in messages.  0, or -1 after logging the
 * fingerprints seen and expected.
 */
int	 verify_served(const char *action, const char *host,
	    const char *port, unsigned timeout_ms,
	    const struct changed_cert *c);

/* The SNI for a certificate: its first domain that is not a wildcard,
 * else the first with "*" replaced by a label, else its name.  NULL
 * when out of memory (logged); the caller frees. */
char	*verify_sni(const struct changed_cert *c);

#endif
