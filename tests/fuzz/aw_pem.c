/*
 * A PEM certificate chain as a CA or a file gives it: parsed, each
 * certificate's names and validity read, and the chain split into
 * cert.pem, chain.pem and fullchain.pem as a lineage is written.
 * What is written must parse back into the same number of
 * certificates.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "x509.h"

static char	 name_a[] = "a.example.test", name_b[] = "b.example.test";
static char	*domains[] = { name_a, name_b };

static void
read_cert(X509 *cert)
{
	char	**names;
	size_t	  n;
	time_t	  not_before, not_after;

	if ((names = cert_dns_names(cert, &n)) != NULL)
		strv_free(names, n);
	cert_validity(cert, &not_before, &not_after);
	cert_names_match(cert, domains, 2);
}

/* A piece of the lineage parses back into count certificates. */
static void
check_piece(char *pem, size_t len, int count)
{
	STACK_OF(X509)	*again;

	if (pem == NULL)
		return;
	if (count == 0) {
		if (len != 0)
			abort();
		free(pem);
		return;
	}
	if ((again = pem_chain_parse(pem, len, "written")) == NULL ||
	    sk_X509_num(again) != count)
		abort();
	sk_X509_pop_free(again, X509_free);
	free(pem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509)	*chain;
	char		*pem;
	size_t		 len;
	int		 i, n;

	chain = pem_chain_parse((const char *)data, size, "fuzz");
	if (chain == NULL)
		return 0;
	n = sk_X509_num(chain);
	if (n < 1)
		abort();
	for (i = 0; i < n; i++)
		read_cert(sk_X509_value(chain, i));

	pem = cert_to_pem(sk_X509_value(chain, 0), &len);
	check_piece(pem, len, 1);
	pem = chain_to_pem(chain, 1, &len);
	check_piece(pem, len, n - 1);
	pem = chain_to_pem(chain, 0, &len);
	check_piece(pem, len, n);
	sk_X509_pop_free(chain, X509_free);
	return 0;
}
