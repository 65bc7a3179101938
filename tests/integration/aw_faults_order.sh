#!/bin/bash
# Orders that go wrong at the CA: challenges found invalid (each name's
# error and the URL the CA fetched are shown), an order switched to
# invalid, an authorization pending for ever, an order "processing" for
# ever.  Each ends the certificate within its timeout with exit 1, the
# live certificate as it was, and no token left in the webroot.  Every
# case has a lineage of its own, as a later run resumes an order left
# in flight.  A saved order that the CA turned invalid while no run was
# there is not a failure: a new order takes its place in the same run.
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
	name="$n-invalid\.example\.test"
	url="http://$name/\.well-known/acme-challenge/[A-Za-z0-9_-]+"
	assert_grep "$SITE_AT/authz/[0-9]+: $name: unauthorized: .* $url" \
	    "$ERR"
done
assert_eq "$(fakeca_ctl CA /count/finalize)" 0
aw_kept

try "status remembers the first name's reason"
aw_failing "a-invalid\.example\.test: unauthorized"

try "an order switched to invalid gives up with the CA's reason"
aw_fakeca_site switched "timeout = 20"
aw_faults 'name=invalid,on=order'
assert_status 1 "$AW" -c "$CONF" issue site
assert_grep "$SITE_AT/order/[0-9]+: order is invalid" "$ERR"
assert_grep "$SITE_AT/order/[0-9]+: serverInternal: the order was abandoned" \
    "$ERR"
assert_eq "$(fakeca_ctl CA /count/finalize)" 0
aw_kept

# stuck TAG FAULT KIND STATUS: under FAULT, with a timeout of 3 s, the
# KIND object at the CA is still STATUS when the certificate gives up.
stuck() {
	aw_fakeca_site "$1" "timeout = 3"
	aw_faults "$2"
	aw_timed 1 "$AW" -c "$CONF" issue site
	assert test "$MS" -lt 8000
	assert_grep "$SITE_AT/$3/[0-9]+: still \"$4\" when time ran out" "$ERR"
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
assert_grep "$SITE_AT/order/[0-9]+: still \"processing\" when time ran out" \
    "$ERR"
aw_kept

try "Retry-After on answers that need no wait does no harm"
aw_fakeca_site relaxed "timeout = 20"
aw_faults 'name=retry-after,secs=1'
assert_status 0 "$AW" -c "$CONF" issue site
assert_grep "^site: issued version 2 " "$OUT"
assert_eq "$(find "$WWW" -mindepth 1)" ""

# saved TAG: a run killed once its token is written leaves its order
# saved, pending at the CA.
saved() {
	aw_fakeca_site "$1" "timeout = 20"
	ACME_WEBROOT_FAILPOINT=token-written run "$AW" -c "$CONF" issue site
	assert test "$RC" -ne 0
	assert grep -q '"order_url"' "$STATE"/acme-webroot/*
}

try "a saved order found invalid when resumed is replaced by a new one"
saved resumed
aw_faults 'name=invalid,times=1'
assert_status 0 "$AW" -c "$CONF" -v issue site
assert_grep "^site: issued version 2 " "$OUT"
assert_grep "$SITE_AT/order/[0-9]+: saved order failed \(.*unauthorized.*\), ordering anew" \
    "$ERR"
assert_eq "$(fakeca_ctl CA /count/new-order)" 1
assert_status 0 "$AW" -c "$CONF" status --json
assert_grep '"failures": 0' "$OUT"
assert_grep '"last_failure": null' "$OUT"

try "its errors are no failure of this run: without -v it is quiet"
saved quiet
aw_faults 'name=invalid,times=1'
assert_status 0 "$AW" -c "$CONF" issue site
assert_eq "$(cat "$ERR")" ""

try "a saved order invalid at the CA is dropped before any answer"
saved dropped
aw_faults 'name=invalid,on=order,times=1'
assert_status 0 "$AW" -c "$CONF" -v issue site
assert_grep "$SITE_AT/order/[0-9]+: saved order no longer usable, ordering anew" \
    "$ERR"
assert_eq "$(fakeca_ctl CA /count/chall)" 2

try "a new order that fails after a saved one did is the failure"
saved twice
aw_faults 'name=invalid'
assert_status 1 "$AW" -c "$CONF" issue site
assert_eq "$(fakeca_ctl CA /count/new-order)" 1
assert_grep "$SITE_AT/authz/[0-9]+: .*unauthorized" "$ERR"
assert_no_grep "saved order" "$ERR"
aw_failing "unauthorized"

try "a certificate never issued whose attempt failed is failing"
mkdir -p "$T/never/www"
AW_DIRECTORY=$CA_DIRECTORY AW_CA_BUNDLE=$CA_CA_BUNDLE \
    aw_config "$T/never/aw.ini" "$T/never/state" "$T/never/www" site \
    a-never.example.test
aw_faults 'name=invalid'
assert_status 1 "$AW" -c "$T/never/aw.ini" issue site
assert_status 1 "$AW" -c "$T/never/aw.ini" status
assert_grep "^site +failing .*unauthorized" "$OUT"
assert_status 1 "$AW" -c "$T/never/aw.ini" status --json
assert_grep '"state": "failing"' "$OUT"
assert_grep '"not_after": null' "$OUT"

pass
