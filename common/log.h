/*
 * Logging shared by acme-webroot and cert-watch.
 *
 * Every message goes to stderr, one line each.  Levels are syslog's
 * (LOG_ERR ... LOG_DEBUG), which are also journald's priorities: with
 * journal prefixes on (cert-watch under systemd) a line starts with
 * "<N>", otherwise with the program's name.  A context, usually the
 * certificate's name, is put in front of every message while it is set.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* Program name for the prefix, the most verbose level shown, and
 * whether to write journald "<N>" prefixes instead of the name. */
void	 log_setup(const char *progname, int max_level, bool journal);
int	 log_level(void);
bool	 log_enabled(int level);

/* Context put before each message ("example.org: ..."); NULL clears. */
void	 log_set_context(const char *context);

void	 log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * The first error logged since the last log_error_mark(), without
 * prefix or context, or NULL: a one-line reason to store with a
 * failed attempt.
 */
void	 log_error_mark(void);
const char *log_first_error(void);

/*
 * Shows errors at level (LOG_NOTICE, say) until set back to LOG_ERR,
 * for an attempt whose failure is not final because another follows:
 * they are still recorded for log_first_error().
 */
void	 log_errors_at(int level);

/* Logs "WHAT: REASON" for every error in OpenSSL's queue (or WHAT
 * alone when the queue is empty) and empties the queue. */
void	 log_openssl(const char *what, ...)
	    __attribute__((format(printf, 1, 2)));

/* A printable copy of untrusted text: control and non-ASCII bytes are
 * written as \xNN, and more than max bytes end in "...".  Never NULL:
 * on allocation failure it returns a static placeholder that
 * log_escape_free() knows not to free. */
char	*log_escape(const char *text, size_t len, size_t max);
void	 log_escape_free(char *escaped);

/* Text that is printable ASCII already as it is (a copy), any other
 * through log_escape(), so that text escaped once, as messages kept
 * from the log are, is not escaped twice.  Free with
 * log_escape_free(). */
char	*log_escape_unprintable(const char *text);

#endif
