#!/bin/bash
# Orders that go wrong at the CA: challenges found invalid (each name's
# error and the URL the CA fetched are shown), an order switched to
# invalid, an authorization pending for ever, an order "processing" for
# ever.  Each ends the certificate within its timeout with exit 1, the
# live certificate as it was, and no token left in the webroot.  Every
# case has a lineage of its own, as a later run resumes an order left
# in flight.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

try "challenges found invalid: each name's error and URL are shown"
aw_fakeca_site invalid "timeout = 20"
aw_faults 'name=invalid'
assert_status 1 "$AW" -c "$CONF" issue site
for n in a b; do
	assert_grep "site: https://[^ ]*/authz/[0-9]+: $n-invalid\.example\.test: unauthorized: fetching http://$n-invalid\.example\.test/\.well-known/acme-challenge/[A-Za-z0-9_-]+: the CA was told to refuse it" "$ERR"
done
assert_eq "$(fakeca_ctl CA /count/finalize)" 0
aw_kept

try "status remembers the first name's reason"
aw_failing "a-invalid\.example\.test: unauthorized"

try "an order switched to invalid gives up with the CA's reason"
aw_fakeca_site switched "timeout = 20"
aw_faults 'name=invalid,on=order'
assert_status 1 "$AW" -c "$CONF" issue site
assert_grep "site: https://[^ ]*/order/[0-9]+: order is invalid" "$ERR"
assert_grep "site: https://[^ ]*/order/[0-9]+: serverInternal: the order was abandoned" "$ERR"
assert_eq "$(fakeca_ctl CA /count/finalize)" 0
aw_kept

# stuck TAG FAULT KIND STATUS: under FAULT, with a timeout of 3 s, the
# KIND object at the CA is still STATUS when the certificate gives up.
stuck() {
	aw_fakeca_site "$1" "timeout = 3"
	aw_faults "$2"
	aw_timed 1 "$AW" -c "$CONF" issue site
	assert test "$MS" -lt 8000
	assert_grep "site: https://[^ ]*/$3/[0-9]+: still \"$4\" when time ran out" "$ERR"
	aw_kept
}

try "an authorization pending for ever ends with the timeout"
stuck pending 'name=pending,retry_after=1' authz pending

try "an order processing for ever ends with the timeout"
stuck processing 'name=processing' order processing
assert_eq "$(fakeca_ctl CA /count/cert)" 0
aw_failing "still \"processing\" when time ran out"

try "its polls wait as long as Retry-After says"
aw_fakeca_site polls "timeout = 5"
aw_faults 'name=processing,retry_after=3'
assert_status 1 "$AW" -c "$CONF" issue site
# One poll before finalize, then at 0 and 3 s; the backoff from 250 ms
# alone would poll five times.
assert test "$(fakeca_ctl CA /count/order)" -le 4
aw_kept

try "a poll's Retry-After beyond the timeout ends it at once"
aw_fakeca_site hour "timeout = 20"
aw_faults 'name=processing,retry_after=3600'
aw_timed 1 "$AW" -c "$CONF" issue site
assert test "$MS" -lt 5000
assert_grep "site: https://[^ ]*/order/[0-9]+: still \"processing\" when time ran out" "$ERR"
aw_kept

try "Retry-After on answers that need no wait does no harm"
aw_fakeca_site relaxed "timeout = 20"
aw_faults 'name=retry-after,secs=1'
assert_status 0 "$AW" -c "$CONF" issue site
assert_grep "^site: issued version 2 " "$OUT"
assert_eq "$(find "$WWW" -mindepth 1)" ""

pass
