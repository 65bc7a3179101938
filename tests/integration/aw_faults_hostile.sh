#!/bin/bash
# A CA that sends what must not be trusted as it is: tokens that are
# paths are refused before any file is written, http:// URLs are
# refused wherever they appear, and a chain with CRLF line ends is
# accepted and stored as plain PEM.  Refusals exit 1, keep the live
# certificate, and leave nothing in the webroot or beside it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

# Nothing changes outside the state directory: the webroot's parents
# and siblings are below $T/TAG too.
aw_fakeca_site token "timeout = 20"
touch "$T/token/stamp"
for value in ../../x ../../../x .. . a/b /x '' x.y "$(printf 'a%.0s' {1..300})"
do
	try "token '${value:0:20}' is refused before anything is written"
	aw_faults "name=token,value=$value"
	assert_status 1 "$AW" -c "$CONF" issue site
	assert_grep "site: https://[^ ]*/authz/[0-9]+: a-token\.example\.test: challenge token missing or not base64url" "$ERR"
	assert_eq "$(fakeca_ctl CA /count/chall)" 0
	aw_kept
	assert_eq "$(find "$T/token" -path "$STATE" -prune -o \
	    -newer "$T/token/stamp" -print)" ""
done

# An order left in flight is resumed by the next run: each case has a
# lineage of its own.
for kind in dir new-order authz order; do
	try "http:// URLs in the answers of $kind are refused"
	aw_fakeca_site "http-$kind" "timeout = 20"
	aw_faults "name=http-url,on=$kind"
	assert_status 1 "$AW" -c "$CONF" issue site
	assert_eq "$(cat "$OUT")" ""
	assert_no_grep "http://127" "$ERR"
	assert_eq "$(fakeca_ctl CA /count/finalize)" 0
	aw_kept
	cp "$ERR" "$T/http-$kind.err"
done
assert_grep "site: https://[^ ]*/dir: directory has no https URL for newNonce" "$T/http-dir.err"
assert_grep "site: https://[^ ]*/new-order: no https order URL in Location" "$T/http-new-order.err"
assert_grep "site: https://[^ ]*/authz/[0-9]+: a-http-authz\.example\.test: challenge URL missing or not https" "$T/http-authz.err"
assert_grep "site: https://[^ ]*/order/[0-9]+: order has no https finalize URL" "$T/http-order.err"

try "a certificate URL over http:// is not fetched"
aw_fakeca_site http-cert "timeout = 20"
aw_faults 'name=http-url,on=order,skip=1'
assert_status 1 "$AW" -c "$CONF" issue site
assert_grep "site: https://[^ ]*/order/[0-9]+: valid order without an https certificate URL" "$ERR"
assert_eq "$(fakeca_ctl CA /count/cert)" 0
aw_kept

try "an order resumed with http:// authorizations is refused"
aw_fakeca_site http-resume "timeout = 20"
aw_faults 'name=badjson,on=authz,times=1'
assert_status 1 "$AW" -c "$CONF" issue site
aw_faults 'name=http-url,on=order'
assert_status 1 "$AW" -c "$CONF" issue site
assert_grep "site: https://[^ ]*/order/[0-9]+: order lists an authorization that is not an https URL" "$ERR"
assert_eq "$(fakeca_ctl CA /count/new-order)" 0
assert_eq "$(fakeca_ctl CA /count/authz)" 0
aw_kept

try "a chain with CRLF line ends is accepted and stored as plain PEM"
aw_faults 'name=crlf'
assert_status 0 "$AW" -c "$CONF" issue site
assert_grep "^site: issued version 2 " "$OUT"
live=$STATE/live/site
for f in cert chain fullchain privkey; do
	refute grep -q $'\r' "$live/$f.pem"
done
assert_eq "$(grep -c BEGIN "$live/fullchain.pem")" 2
assert_eq "$(cat "$live/cert.pem" "$live/chain.pem")" \
    "$(cat "$live/fullchain.pem")"
fakeca_ctl CA /ca/chain >"$T/ca.pem"
assert_status 0 openssl verify -CAfile "$T/ca.pem" \
    -untrusted "$live/chain.pem" "$live/cert.pem"
assert_eq "$(openssl x509 -in "$live/cert.pem" -noout -pubkey)" \
    "$(openssl pkey -in "$live/privkey.pem" -pubout)"
assert_eq "$(find "$WWW" -mindepth 1)" ""

pass
