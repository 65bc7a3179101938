/*
 * Response headers as the CA sends them: each line goes through the
 * HTTP layer's header parser, then the links (up, alternate, index)
 * and Retry-After are read back as acme-webroot reads them.
 *
 * Input: header lines ending in "\n" (a "\r" before it is kept).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"

/* Every link of rel, by index, until there is none. */
static void
read_links(const struct http_response *resp, const char *rel)
{
	char	*url;
	size_t	 i;

	for (i = 0; i <= HTTP_LINKS_MAX; i++) {
		if ((url = http_link(resp, rel, i)) == NULL)
			break;
		/* A link is cut from the header between '<' and '>'. */
		if (strchr(url, '>') != NULL)
			abort();
		http_url_is_https(url);
		free(url);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response	 resp;
	const char		*p = (const char *)data, *end = p + size;
	const char		*nl;
	time_t			 now = 1700000000, when;

	memset(&resp, 0, sizeof(resp));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		http_header_line(&resp, p, (size_t)(nl - p));
		p = nl;
	}

	read_links(&resp, "up");
	read_links(&resp, "alternate");
	read_links(&resp, "index");
	when = http_retry_after(&resp, now);
	/* A time in the past means now. */
	if (when != 0 && when < now)
		abort();
	http_url_is_https(resp.location);
	http_response_clear(&resp);
	return 0;
}
