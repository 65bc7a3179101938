#!/bin/bash
# A CA that answers nonsense: a storm of badNonce answers is retried up
# to 20 times per request (5 pass, 25 fail cleanly), and broken JSON or
# an HTML page where JSON or PEM belongs is an error naming the URL,
# never a crash.  Every failure exits 1, leaves the live certificate as
# it was and no token in the webroot.  An order left in flight would be
# resumed by the next run, so each case starts with a lineage of its own.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA
aw_fakeca_site proto "timeout = 20"

# A clean failure: status 1, one message naming the URL, no sanitizer
# report, nothing on stdout.
failed_cleanly() {
	assert_eq "$RC" 1
	assert_eq "$(cat "$OUT")" ""
	assert_no_grep "Sanitizer|runtime error|Segmentation|Abort" "$ERR"
	aw_kept
}

try "a storm of 5 badNonce answers is ridden out"
aw_faults 'name=badnonce,times=5'
assert_status 0 "$AW" -c "$CONF" issue site
assert_eq "$(fakeca_ctl CA /count/new-order)" 6
BEFORE=$(aw_live_id)

try "the limit is per request: 15 on newOrder and 15 on finalize pass"
aw_faults 'name=badnonce,on=new-order,times=15' \
    'name=badnonce,on=finalize,times=15'
assert_status 0 "$AW" -c "$CONF" issue site
assert_eq "$(fakeca_ctl CA /count/new-order)" 16
assert_eq "$(fakeca_ctl CA /count/finalize)" 16
BEFORE=$(aw_live_id)

for kind in new-order finalize; do
	try "a storm of 25 on $kind gives up after 20 retries"
	aw_fakeca_site "nonce-$kind"
	aw_faults "name=badnonce,on=$kind,times=25"
	run "$AW" -c "$CONF" issue site
	failed_cleanly
	assert_eq "$(fakeca_ctl CA /count/$kind)" 21
	assert_grep "site: https://[^ ]*/$kind[/0-9]*: badNonce: JWS has an invalid nonce" "$ERR"
done

for kind in new-order authz chall order finalize; do
	try "broken JSON from $kind is an error naming the URL"
	aw_fakeca_site "json-$kind"
	aw_faults "name=badjson,on=$kind"
	run "$AW" -c "$CONF" issue site
	failed_cleanly
	assert_grep "site: https://[^ ]*/$kind[/0-9]*: answer is not a JSON object \(HTTP 200, application/json\)" "$ERR"

	try "an HTML page from $kind likewise"
	aw_fakeca_site "html-$kind"
	aw_faults "name=html,on=$kind"
	run "$AW" -c "$CONF" issue site
	failed_cleanly
	assert_grep "site: https://[^ ]*/$kind[/0-9]*: answer is not a JSON object \(HTTP 200, text/html\): <html>" "$ERR"
done

try "an HTML error page is shown with its status"
aw_fakeca_site html-403
aw_faults 'name=html,on=authz,code=403'
run "$AW" -c "$CONF" issue site
failed_cleanly
assert_grep "site: https://[^ ]*/authz/[0-9]+: request refused \(HTTP 403, text/html\): <html>" "$ERR"

try "broken JSON or HTML as the directory makes the CA unusable"
for fault in badjson html; do
	aw_faults "name=$fault,on=dir"
	run "$AW" -c "$CONF" issue site
	failed_cleanly
	assert_grep "site: https://[^ ]*/dir: directory is not JSON" "$ERR"
done

try "broken JSON or HTML as the certificate is not stored"
for fault in badjson html; do
	aw_fakeca_site "cert-$fault"
	aw_faults "name=$fault,on=cert"
	run "$AW" -c "$CONF" issue site
	failed_cleanly
	assert_grep "site: https://[^ ]*/cert/[0-9]+: unexpected text instead of a PEM certificate" "$ERR"
done

try "the failure is remembered with the URL"
aw_failing "/cert/[0-9]+: unexpected text"

pass
