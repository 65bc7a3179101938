#!/bin/bash
# SIGTERM or SIGINT while the CA is validating: acme-webroot stops
# promptly, removes every token it wrote, leaves live/ as it was, and
# exits 1.  An interruption is not a failure of the CA or the site: it
# leaves no failure memory, and the next renew tries at once.  (Pebble
# without PEBBLE_VA_NOSLEEP waits seconds before it validates, which
# gives the signal its moment.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

start_pebble P PEBBLE_VA_NOSLEEP=0 PEBBLE_AUTHZREUSE=0
AW_DIRECTORY=$P_DIRECTORY AW_CA_BUNDLE=$P_CA_BUNDLE
challenge=$T/www/.well-known/acme-challenge

# A name per signal: no order may reuse an authorization of the other.
for sig in TERM INT; do
	try "SIG$sig while a token is served"
	name=$(new_name "sig$sig")
	add_site "$T/www" "$name"
	aw_config "$T/aw.ini" "$T/state" "$T/www" sig "$name"
	"$AW" -c "$T/aw.ini" issue sig >"$T/out" 2>"$T/err" &
	pid=$!
	token_served() { [ -n "$(ls -A "$challenge" 2>/dev/null)" ]; }
	assert wait_until 20 token_served
	kill -s "$sig" "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	assert_eq "$rc" 1
	assert test ! -e "$challenge"
	assert test ! -e "$T/state/live/sig"
	assert_grep "interrupted" "$T/err"

	try "SIG$sig leaves no failure memory"
	assert_status 1 "$AW" -c "$T/aw.ini" status --json
	assert_grep '"state": "missing"' "$OUT"
	assert_grep '"failures": 0' "$OUT"
	assert_grep '"next_try": null' "$OUT"
	assert_grep '"last_failure": null' "$OUT"
done

try "the next renew tries at once"
assert_status 0 "$AW" -c "$T/aw.ini" renew
assert_grep "^sig: issued" "$OUT"

pass
