#!/bin/bash
# Against Pebble in -strict mode that rejects half of all good nonces,
# issuance still succeeds: badNonce is retried with the nonce the error
# carried, POST-as-GET sends the empty payload, challenges get {}.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

start_pebble P STRICT=1 NONCEREJECT=50 PEBBLE_AUTHZREUSE=0
AW_DIRECTORY=$P_DIRECTORY AW_CA_BUNDLE=$P_CA_BUNDLE
a=$(new_name strict) b=$(new_name strict) c=$(new_name strict)
add_site "$T/www" "$a" "$b" "$c"
aw_config "$T/aw.ini" "$T/state" "$T/www" strict "$a" "$b" "$c"

try "three names issue through -strict Pebble rejecting 50% of nonces"
assert_status 0 "$AW" -vv -c "$T/aw.ini" issue strict
assert_grep "^strict: issued version 1 for 3 names" "$OUT"

try "badNonce happened and was retried"
assert_grep "badNonce, retrying" "$ERR"

try "a second issue (account reused) also succeeds"
assert_status 0 "$AW" -c "$T/aw.ini" issue strict
assert_eq "$(aw_version "$T/state" strict)" 2

pass
