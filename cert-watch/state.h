/*
 * What each action last succeeded on, per certificate: the SHA-256 of
 * fullchain.pem and privkey.pem, kept in state_file as versioned JSON:
 *
 *   {"version": 1, "actions": {"ACTION": {"CERT":
 *       {"fullchain": "HEX", "privkey": "HEX"}}}}
 *
 * An action present with no certificates is known: a certificate that
 * appears later is new to it.  An action absent is new itself.
 */
#ifndef CW_STATE_H
#define CW_STATE_H

#include <stdbool.h>

struct state;

/*
 * Reads path.  Returns 0, or -ENOENT when there is no file yet (an
 * empty state is still returned), or -1 after logging, also with an
 * empty state, when the file is unreadable or not ours.
 */
int		 state_load(const char *path, struct state **out);
/* Writes the state atomically; 0 or -1 after logging. */
int		 state_save(const struct state *st, const char *path);
void		 state_free(struct state *st);

bool		 state_has_action(const struct state *st, const char *action);
/* Makes the action known; 0 or -1 (out of memory, logged). */
int		 state_add_action(struct state *st, const char *action);
/* The hashes recorded for action and cert, false when none. */
bool		 state_get(const struct state *st, const char *action,
		    const char *cert, const char **fullchain,
		    const char **privkey);
int		 state_set(struct state *st, const char *action,
		    const char *cert, const char *fullchain,
		    const char *privkey);
/* Forgets a certificate for every action (its directory is gone). */
void		 state_forget_cert(struct state *st, const char *cert);

#endif
