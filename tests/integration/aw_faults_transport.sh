#!/bin/bash
# A CA whose connections drop, stall or answer 5xx: acme-webroot retries
# with backoff and a fresh nonce, waits as long as Retry-After says (in
# seconds or as an HTTP date, a past one meaning now), and once the
# certificate's timeout is spent gives up naming the URL and the first
# error: exit 1, the live certificate as it was, no token left.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA
aw_fakeca_site retry "timeout = 20"

try "dropped connections on newOrder are retried"
aw_faults 'name=drop,on=new-order,times=2'
assert_status 0 "$AW" -c "$CONF" issue site
assert_eq "$(fakeca_ctl CA /count/new-order)" 3

for kind in dir nonce new-order authz chall order finalize cert; do
	try "a 503 answer to $kind is retried"
	aw_faults "name=503,on=$kind,times=1"
	assert_status 0 "$AW" -c "$CONF" issue site
	assert_grep "^site: issued version [0-9]+ " "$OUT"
	assert_eq "$(cat "$ERR")" ""
	assert_eq "$(fakeca_ctl CA /faults)" "name=503,on=$kind,times=1 (times left 0)"
done

try "a connection dropped while the directory is read is retried"
aw_faults 'name=drop,on=dir,times=2'
assert_status 0 "$AW" -c "$CONF" issue site
assert_eq "$(fakeca_ctl CA /count/dir)" 3

try "503s are retried after 1 s, then 2 s, each with a fresh nonce"
aw_faults 'name=503,on=new-order,times=2'
aw_timed 0 "$AW" -c "$CONF" issue site
assert test "$MS" -ge 3000
assert_eq "$(fakeca_ctl CA /count/new-order)" 3
assert_eq "$(fakeca_ctl CA /count/nonce)" 3

try "Retry-After: 3 is waited for, though the backoff is 1 s"
aw_faults 'name=503,on=new-order,times=1,retry_after=3'
aw_timed 0 "$AW" -c "$CONF" issue site
assert test "$MS" -ge 3000

try "Retry-After as an HTTP date is waited for"
aw_faults 'name=503,on=finalize,times=1,retry_date=3'
aw_timed 0 "$AW" -c "$CONF" issue site
assert test "$MS" -ge 2000
assert_eq "$(fakeca_ctl CA /count/finalize)" 2

try "an HTTP date in the past means now"
aw_faults 'name=503,on=authz,times=1,retry_date=-86400'
aw_timed 0 "$AW" -c "$CONF" issue site
assert test "$MS" -lt 5000

aw_fakeca_site bounded "timeout = 3"

try "a Retry-After beyond the timeout ends the certificate at once"
aw_faults 'name=503,on=new-order,retry_after=3600'
aw_timed 1 "$AW" -c "$CONF" issue site
assert test "$MS" -lt 3000
assert_grep "site: https://[^ ]*/new-order: HTTP 503, serverInternal: the CA is unavailable, try later \(gave up after 1 try\)$" "$ERR"
assert_eq "$(fakeca_ctl CA /count/new-order)" 1
aw_kept

try "endless 503s end with the timeout, naming the first error"
aw_faults 'name=503,on=new-order,times=1' 'name=drop,on=new-order'
aw_timed 1 "$AW" -c "$CONF" issue site
assert test "$MS" -lt 8000
assert_grep "/new-order: HTTP 503, serverInternal: .*\(gave up after [0-9]+ tries\)" "$ERR"
assert_no_grep "Empty reply" "$ERR"
assert_eq "$(cat "$OUT")" ""
aw_kept
aw_failing "/new-order: HTTP 503"

for kind in dir nonce new-order authz chall finalize cert; do
	try "a CA that stalls on $kind ends the certificate by its timeout"
	aw_faults "name=stall,on=$kind"
	aw_timed 1 "$AW" -c "$CONF" issue site
	assert test "$MS" -lt 8000
	assert_grep "site: https://[^ ]*/$kind[/0-9]*: .*timed out" "$ERR"
	aw_kept
done

try "connections dropped on every POST end likewise"
aw_faults 'name=drop,on=post'
aw_timed 1 "$AW" -c "$CONF" issue site
assert test "$MS" -lt 8000
assert_grep "site: https://[^ ]*/new-order: Empty reply from server" "$ERR"
aw_kept

try "once the CA answers again, the next run gets version 2"
aw_faults
assert_status 0 "$AW" -c "$CONF" issue site
assert_grep "^site: issued version 2 " "$OUT"
assert_eq "$(find "$WWW" -mindepth 1)" ""

pass
