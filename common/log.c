/*
 * Logging to stderr with an optional per-certificate context.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "log.h"

static const char	*prog = "?";
static int		 max_level = LOG_WARNING;
static bool		 journal_prefix;
static const char	*context;
static char		 escape_failed[] = "(unprintable)";
static char		 first_error[512];
static int		 error_level = LOG_ERR;

void
log_setup(const char *progname, int level, bool journal)
{
	prog = progname;
	max_level = level;
	journal_prefix = journal;
}

int
log_level(void)
{
	return max_level;
}

bool
log_enabled(int level)
{
	return level <= max_level;
}

void
log_set_context(const char *ctx)
{
	context = ctx;
}

static void
log_prefix(int level)
{
	if (journal_prefix)
		fprintf(stderr, "<%d>", level);
	else
		fprintf(stderr, "%s: ", prog);
	if (context != NULL)
		fprintf(stderr, "%s: ", context);
}

void
log_error_mark(void)
{
	first_error[0] = '\0';
}

const char *
log_first_error(void)
{
	return first_error[0] != '\0' ? first_error : NULL;
}

void
log_errors_at(int level)
{
	error_level = level;
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list	 ap;

	if (level <= LOG_ERR && first_error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
	}
	if (level <= LOG_ERR && level < error_level)
		level = error_level;
	if (!log_enabled(level))
		return;

	log_prefix(level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/*
 * OpenSSL keeps a queue of errors, and the first one is rarely the one
 * that explains the failure, so all of them are shown.
 */
void
log_openssl(const char *fmt, ...)
{
	char		 what[512], reason[256];
	unsigned long	 code;
	va_list		 ap;
	int		 shown = 0;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	while ((code = ERR_get_error()) != 0) {
		ERR_error_string_n(code, reason, sizeof(reason));
		log_err("%s: %s", what, reason);
		shown++;
	}
	if (shown == 0)
		log_err("%s", what);
}

char *
log_escape(const char *text, size_t len, size_t max)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, n = 0, shown;
	char			*out;

	if (text == NULL)
		return escape_failed;
	shown = len < max ? len : max;
	if ((out = malloc(shown * 4 + 4)) == NULL)
		return escape_failed;

	for (i = 0; i < shown; i++) {
		unsigned char	 c = (unsigned char)text[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 0xf];
	}
	if (shown < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

void
log_escape_free(char *escaped)
{
	if (escaped != escape_failed)
		free(escaped);
}

char *
log_escape_unprintable(const char *text)
{
	const unsigned char	*p;
	char			*copy;

	if (text == NULL)
		return log_escape(NULL, 0, 0);
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return log_escape(text, strlen(text), 1024);
	if ((copy = strdup(text)) == NULL)
		return log_escape(NULL, 0, 0);
	return copy;
}
