#!/bin/bash
# A webroot that nginx does not serve: the renewal fails with the CA's
# own reason, the URL it tried and the webroot the token was in, exit
# 1, the live certificate stays as it was, the failure is remembered,
# and no token is left behind.
# Until the next try, renew leaves the CA alone.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

# Authorizations are never reused, or the second order would pass.
start_pebble P PEBBLE_AUTHZREUSE=0
AW_DIRECTORY=$P_DIRECTORY AW_CA_BUNDLE=$P_CA_BUNDLE
name=$(new_name unserved)
add_site "$T/www" "$name"
aw_config "$T/aw.ini" "$T/state" "$T/www" site "$name"
assert_status 0 "$AW" -c "$T/aw.ini" issue site
before=$(aw_live_serial "$T/state" site)

mkdir -p "$T/elsewhere"
sed -i "s#^webroot = .*#webroot = $T/elsewhere#" "$T/aw.ini"
# Pebble reuses a valid authorization one time in a hundred even with
# PEBBLE_AUTHZREUSE=0 (it tests rand.Intn(100) > percent); a new
# account has none to reuse.
sed -i "s#^account_key = .*#account_key = $T/state/account2.key#" \
    "$T/aw.ini"
rm -r "$T/state/accounts"

try "issue fails naming the CA's reason and the URL it fetched"
assert_status 1 "$AW" -c "$T/aw.ini" issue site
assert_grep "$name: unauthorized: .*http://$name:$HTTP01_PORT/\.well-known/acme-challenge/" "$ERR"
assert_grep "$name: the token was written under webroot $T/elsewhere\$" "$ERR"
assert_eq "$(cat "$OUT")" ""

try "the live certificate is untouched"
assert_eq "$(aw_live_serial "$T/state" site)" "$before"
assert_eq "$(aw_version "$T/state" site)" 1

try "no token is left in the unserved webroot"
assert test ! -e "$T/elsewhere/.well-known"

try "status reports it failing with the reason and exits 1"
assert_status 1 "$AW" -c "$T/aw.ini" status
assert_grep "^site +failing .*unauthorized" "$OUT"
assert_grep "next try after" "$OUT"

try "renew of a failing certificate that is due waits for next_try"
rm -r "$T/state/live/site"
assert_status 1 "$AW" -c "$T/aw.ini" renew
assert_grep "not retried before" "$ERR"

try "and decides so from its state alone, without a request"
aw_counting_ca "$T/aw.ini"
assert_status 1 "$AW" -c "$T/aw.ini" renew
assert_grep "not retried before" "$ERR"
assert_eq "$(aw_ca_contacts)" 0

pass
