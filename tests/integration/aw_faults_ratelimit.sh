#!/bin/bash
# A CA that refuses orders: rateLimited on newOrder ends the certificate
# with the CA's words and its retry time, the other certificates of
# that CA in the run are deferred without a request, `renew` does not
# try again before that time (which status shows) while `issue` does;
# rejected identifiers are shown one per name.  The live certificates
# stay as they were and no token is left.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
# Certificates of 30 s: half their life is gone at once, so they are
# due and `renew` would order them.
start_fakeca CA --set validity=30
start_fakeca CA2
aw_fakeca_site rl "" \
    "[cert two]" "domains = two-rl.example.test" \
    "[cert three]" "domains = three-rl.example.test" \
    "[cert other]" "domains = other-rl.example.test" \
    "directory = $CA2_DIRECTORY" "ca_bundle = $CA2_CA_BUNDLE"
assert_status 0 "$AW" -c "$CONF" issue two three other
others=$(cat "$STATE"/live/{two,three}/cert.pem | sha256sum)

# next_try: sets NEXT to the next try status shows for site, and IN to
# the seconds from now until then; the output of the command before is
# kept in $T/before.out and $T/before.err.
next_try() {
	cp "$OUT" "$T/before.out"
	cp "$ERR" "$T/before.err"
	assert_status 1 "$AW" -c "$CONF" status --json site
	NEXT=$(/usr/bin/python3 -c \
	    'import json,sys; print(json.load(sys.stdin)[0]["next_try"])' \
	    <"$OUT")
	IN=$(($(date -d "$NEXT" +%s) - $(date +%s)))
}

try "rateLimited on newOrder ends it with the CA's words and retry time"
aw_faults 'name=ratelimit,retry_after=7200'
assert_status 1 "$AW" -c "$CONF" issue site two three other
assert_grep "^acme-webroot: site: https://[^ ]*/new-order: rateLimited: too many new orders for this account$" "$ERR"
next_try
assert test "$IN" -ge 7190 -a "$IN" -le 7200
assert_grep "^acme-webroot: site: https://[^ ]*/dir rate-limits this account until $NEXT\$" "$T/before.err"
aw_kept

try "the other certificates of that CA are deferred, without newOrder"
for name in two three; do
	assert_grep "^acme-webroot: $name: deferred: https://[^ ]*/dir rate-limits this account until $NEXT\$" "$T/before.err"
done
assert_eq "$(fakeca_ctl CA /count/new-order)" 1
assert_eq "$(cat "$STATE"/live/{two,three}/cert.pem | sha256sum)" "$others"

try "while a certificate of another CA is issued"
assert_grep "^other: issued version 2 " "$T/before.out"
assert_no_grep "other: deferred" "$T/before.err"

try "status shows the failure and the CA's time as the next try"
aw_failing "rateLimited: too many new orders"
assert_grep "next try after $NEXT" "$OUT"

try "renew does not order it again before then"
aw_faults
assert_status 1 "$AW" -c "$CONF" renew site
assert_grep "site: not retried before $NEXT; last failure: .*rateLimited" "$ERR"
assert_eq "$(fakeca_ctl CA /count/new-order)" 0
aw_kept

try "issue does"
assert_status 0 "$AW" -c "$CONF" issue site
assert_grep "^site: issued version 2 " "$OUT"
assert_eq "$(fakeca_ctl CA /count/new-order)" 1
BEFORE=$(aw_live_id)

try "a retry time given as an HTTP date is honoured likewise"
aw_faults 'name=ratelimit,retry_date=10800'
assert_status 1 "$AW" -c "$CONF" issue site
next_try
assert test "$IN" -ge 10790 -a "$IN" -le 10800
assert_grep "site: https://[^ ]*/dir rate-limits this account until $NEXT\$" "$T/before.err"
aw_kept

try "without a retry time, an hour is assumed and said"
aw_faults 'name=ratelimit'
assert_status 1 "$AW" -c "$CONF" issue site
assert_grep "site: https://[^ ]*/dir rate-limits this account until .* \(it gave no time: one hour assumed\)" "$ERR"
aw_kept

try "rejected identifiers are shown one per name"
aw_faults 'name=subproblems,times=1'
assert_status 1 "$AW" -c "$CONF" issue site two
assert_grep "site: https://[^ ]*/new-order: rejectedIdentifier: some identifiers were rejected" "$ERR"
for n in a b; do
	assert_grep "site: $n-rl\.example\.test: rejectedIdentifier: $n-rl\.example\.test is forbidden by policy" "$ERR"
done
aw_kept

try "after that refusal the next certificate fetched a fresh nonce"
assert_grep "^two: issued version 2 " "$OUT"
assert_eq "$(fakeca_ctl CA /count/nonce)" 2

pass
