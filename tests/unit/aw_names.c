/*
 * Domain name normalisation.
 */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "t.h"

static char	 err[256];

/* The normalised form of in, or NULL when it is refused. */
static char *
norm(const char *in)
{
	static char	*last;
	char		*out;

	free(last);
	last = NULL;
	err[0] = '\0';
	if (name_normalise(in, &out, err, sizeof(err)) == -1) {
		CHECK(out == NULL);
		CHECK(err[0] != '\0');
		return NULL;
	}
	last = out;
	return out;
}

/* in is refused with a reason holding want. */
static void
refused(const char *in, const char *want)
{
	if (norm(in) != NULL) {
		CHECK(!"name accepted");
		fprintf(stderr, "  %s was accepted\n", in);
		return;
	}
	CHECK(strstr(err, want) != NULL);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "  %s: \"%s\" lacks \"%s\"\n", in, err, want);
}

static void
test_spelling(void)
{
	CHECK_STR(norm("example.org"), "example.org");
	CHECK_STR(norm("WWW.Example.ORG"), "www.example.org");
	CHECK_STR(norm("example.org."), "example.org");
	CHECK_STR(norm("a-b.c0.example"), "a-b.c0.example");
	CHECK_STR(norm("bücher.example"), "xn--bcher-kva.example");
	CHECK_STR(norm("BÜCHER.example"), "xn--bcher-kva.example");
	CHECK_STR(norm("XN--BCHER-KVA.example"), "xn--bcher-kva.example");
	/* Non-transitional: ß stays ß rather than becoming "ss". */
	CHECK_STR(norm("faß.de"), "xn--fa-hia.de");
}

static void
test_refusals(void)
{
	char	 label[80], name[400];

	refused("", "empty");
	refused(".", "empty");
	refused("example.org..", "empty label");
	refused("a..example.org", "empty label");
	refused("*.example.org", "wildcard");
	refused("www.*.example.org", "wildcard");
	refused("_acme.example.org", "underscore");
	refused("127.0.0.1", "IP address");
	refused("::1", "IP address");
	refused("[2001:db8::1]", "IP address");
	refused("10.1", "numeric");
	refused("exa mple.org", "' '");
	refused("exa/mple.org", "'/'");
	refused("-a.example.org", "'-'");
	refused("xn--zz.example", "A-label");
	refused("\xff.example", "A-label");

	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.example", label);
	CHECK(norm(name) != NULL);
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(name, sizeof(name), "%s.example", label);
	refused(name, "label longer than 63");

	/* 4 labels of 63 and dots: 255 bytes. */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label, label, label,
	    label);
	refused(name, "longer than 253");
}

int
main(void)
{
	test_spelling();
	test_refusals();
	norm("example.org");	/* frees the last result */
	return t_done("aw_names");
}
