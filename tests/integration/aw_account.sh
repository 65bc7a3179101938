#!/bin/bash
# The account URL is stored per directory and account key; a CA that
# no longer knows it (Pebble restarted: a new CA) gets a new account
# transparently.  A new account_key gets an account of its own, the
# old key's stays and serves again when the configuration goes back,
# and a file of earlier versions, which named no key, is adopted by
# the key whose account it names, and only by that key.
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

accounts=$T/state/accounts/acme-webroot
unkeyed=$accounts/$(printf %s "$P_DIRECTORY" | sha256sum | cut -d' ' -f1).json
first=$(ls "$accounts"/*.json)

# issued_with KEY N: issue with account_key KEY makes the next version
# with N newAccount requests (-vv shows each POST).
issued_with() {
	local version
	version=$(aw_version "$T/state" acct)
	sed -i "s#^account_key = .*#account_key = $1#" "$T/aw.ini"
	assert_status 0 "$AW" -vv -c "$T/aw.ini" issue acct
	assert_eq "$(aw_version "$T/state" acct)" $((version + 1))
	assert_eq "$(grep -c "POST https://[^ ]*/sign-me-up" "$ERR")" "$2"
}

try "a new account_key gets an account of its own and issue succeeds"
issued_with "$T/state/other.key" 1
assert_eq "$(ls "$accounts" | wc -l)" 2
assert test -f "$first"

try "the first key's account serves again when the key is switched back"
issued_with "$T/state/account.key" 0
assert_eq "$(ls "$accounts" | wc -l)" 2

# unkeyed_from FILE: only FILE's account is stored, as earlier versions
# stored it: per directory, naming no key.
unkeyed_from() {
	/usr/bin/python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))
json.dump({"directory": a["directory"], "url": a["url"]}, sys.stdout)' \
	    "$1" >"$T/unkeyed.json"
	cp "$1" "$T/keyed.json"
	rm -f "$accounts"/*.json
	mv "$T/unkeyed.json" "$unkeyed"
}

try "an account stored without a key is kept from a key it is not of"
unkeyed_from "$first"
issued_with "$T/state/third.key" 2
assert_grep "stored account https://[^ ]* is not key [^ ]*'s" "$ERR"
assert test -f "$unkeyed"
assert_eq "$(ls "$accounts" | wc -l)" 2

try "and adopted, the same account, by the key the CA says it is of"
issued_with "$T/state/account.key" 1
assert_grep "account https://[^ ]* stored for key " "$ERR"
refute test -e "$unkeyed"
assert cmp "$first" "$T/keyed.json"

pass
