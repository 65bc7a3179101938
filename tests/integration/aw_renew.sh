#!/bin/bash
# A short-lived certificate renews into a second version once it is
# due, live/ follows, and at no point do the four live paths disagree.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

start_pebble P VALIDITY=20
AW_DIRECTORY=$P_DIRECTORY AW_CA_BUNDLE=$P_CA_BUNDLE
name=$(new_name renew)
root=$T/www
state=$T/state
add_site "$root" "$name"
aw_config "$T/aw.ini" "$state" "$root" short "$name" -- \
    "deploy_hook = echo run >> $T/deploys"

try "the first run issues version 1"
assert_status 0 "$AW" -c "$T/aw.ini" renew
assert_eq "$(aw_version "$state" short)" 1
first=$(aw_live_serial "$state" short)

try "right after, it is not due (half of a 20 s lifetime is left)"
assert_status 0 "$AW" -c "$T/aw.ini" renew
assert_eq "$(aw_version "$state" short)" 1
assert_eq "$(cat "$OUT")" ""

try "status says when it becomes due"
assert_status 0 "$AW" -c "$T/aw.ini" status --json
assert_grep '"renew_at": "20' "$OUT"

try "once due, renew issues version 2 and live/ follows"
renewed() {
	"$AW" -c "$T/aw.ini" renew >>"$T/renew.out" 2>&1 &&
	    [ "$(aw_version "$state" short)" = 2 ]
}
assert wait_until 30 renewed
assert_grep "^short: issued version 2" "$T/renew.out"
refute test "$(aw_live_serial "$state" short)" = "$first"
for f in cert chain fullchain privkey; do
	assert_eq "$(readlink "$state/live/short/$f.pem")" \
	    "../../archive/short/${f}2.pem"
done
assert_eq "$(openssl x509 -in "$state/live/short/cert.pem" -noout -pubkey)" \
    "$(openssl pkey -in "$state/live/short/privkey.pem" -pubout)"
assert test -e "$state/archive/short/cert1.pem"
assert_eq "$(wc -l <"$T/deploys")" 2

try "a renewed key gets a fresh key pair"
refute test "$(openssl pkey -in "$state/archive/short/privkey1.pem" \
    -pubout)" = "$(openssl pkey -in "$state/archive/short/privkey2.pem" \
    -pubout)"

pass
