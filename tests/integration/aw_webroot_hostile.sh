#!/bin/bash
# A webroot whose owner is hostile: a symlink at .well-known or at
# .well-known/acme-challenge that root does not own is refused, the
# error names it, and nothing is written where it points; one that root
# owns is followed.  A symlink named like the token, or like its
# temporary file, is never written through.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed (the fake CA needs it)"

aw_site h
root=$AW_ROOT
state=$AW_STATE
mkdir -m 0755 "$T/elsewhere"

# user_link TARGET LINK: a symlink owned by nobody.
user_link() {
	ln -s "$1" "$2"
	chown -h 65534:65534 "$2"
}

try "a user's symlink at .well-known is refused"
user_link "$T/elsewhere" "$root/.well-known"
assert_status 1 "$AW" -c "$AW_INI" issue h
assert_grep "$root/.well-known: a symlink owned by uid 65534, not" "$ERR"
assert_eq "$(ls -A "$T/elsewhere")" ""
assert test -L "$root/.well-known"
assert test ! -e "$state/live/h"

try "a user's symlink at .well-known/acme-challenge is refused"
rm "$root/.well-known"
mkdir -m 0755 "$root/.well-known"
user_link "$T/elsewhere" "$root/.well-known/acme-challenge"
assert_status 1 "$AW" -c "$AW_INI" issue h
assert_grep "$root/.well-known/acme-challenge: a symlink owned by uid" \
    "$ERR"
assert_eq "$(ls -A "$T/elsewhere")" ""
assert test -L "$root/.well-known/acme-challenge"
assert test ! -e "$state/live/h"

try "root's symlink at .well-known is followed, and cleaned through"
rm -r "$root/.well-known"
ln -s "$T/elsewhere" "$root/.well-known"
assert_status 0 "$AW" -c "$AW_INI" issue h
assert aw_consistent "$state" h
assert test -L "$root/.well-known"
assert_eq "$(ls -A "$T/elsewhere")" ""
rm "$root/.well-known"

# A CA whose token is known in advance.  (It does not fetch that token,
# which is not the one it would check.)
start_fakeca CA --fault name=token,value=known-token
AW_DIRECTORY=$CA_DIRECTORY AW_CA_BUNDLE=$CA_CA_BUNDLE \
    aw_config "$T/fake.ini" "$T/fstate" "$root" k "$AW_NAME"
ac=$root/.well-known/acme-challenge
mkdir -p -m 0755 "$ac"
echo precious >"$T/victim"

try "a symlink named like the token is neither written through nor removed"
user_link "$T/victim" "$ac/known-token"
assert_status 1 "$AW" -c "$T/fake.ini" issue k
assert_grep "$ac/known-token: already there, not replaced" "$ERR"
assert_eq "$(cat "$T/victim")" precious
assert test -L "$ac/known-token"
assert_eq "$(ls -A "$ac")" known-token
rm "$ac/known-token"

try "a symlink named like its temporary file is not written through"
user_link "$T/victim" "$ac/.known-token.tmp"
assert_status 0 "$AW" -c "$T/fake.ini" issue k
assert_eq "$(cat "$T/victim")" precious
assert_eq "$(ls -A "$ac")" ""
assert aw_consistent "$T/fstate" k

pass
