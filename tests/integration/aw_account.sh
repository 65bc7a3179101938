#!/bin/bash
# The account URL is stored per directory; a CA that no longer knows it
# (Pebble restarted: a new CA) gets a new account transparently.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

start_pebble P
AW_DIRECTORY=$P_DIRECTORY AW_CA_BUNDLE=$P_CA_BUNDLE
name=$(new_name account)
add_site "$T/www" "$name"
aw_config "$T/aw.ini" "$T/state" "$T/www" acct "$name"

try "the first issue stores the account URL under accounts/"
assert_status 0 "$AW" -c "$T/aw.ini" issue acct
assert test -n "$(grep -rl "$P_DIRECTORY" "$T/state/accounts")"
stored=$(cat $(grep -rl "$P_DIRECTORY" "$T/state/accounts"))

try "after Pebble restarts, issue registers again and succeeds"
restart_pebble P
assert_status 0 "$AW" -v -c "$T/aw.ini" issue acct
assert_grep "no longer knows account" "$ERR"
assert_eq "$(aw_version "$T/state" acct)" 2
refute test "$(cat $(grep -rl "$P_DIRECTORY" "$T/state/accounts"))" = \
    "$stored"

pass
