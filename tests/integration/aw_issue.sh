#!/bin/bash
# acme-webroot issues a two-name certificate through the webroot of the
# running nginx: it verifies against Pebble's roots, the key matches,
# the layout is certbot's, the tokens are gone, the deploy hook sees
# certbot's variables, and a second run is quiet and makes no request.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

name=$(new_name issue)
www=$(new_name www-issue)
root=$T/www
state=$T/state
add_site "$root" "$name" "$www"
mkdir -p "$root/.well-known"
echo "Contact: mailto:sec@example.org" >"$root/.well-known/security.txt"

aw_config "$T/aw.ini" "$state" "$root" site "$name" "$www" -- \
    "deploy_hook = env | grep ^RENEWED_ | sort > $T/deploy.env"

try "issue prints one line on stdout and exits 0"
assert_status 0 "$AW" -c "$T/aw.ini" issue site
assert_eq "$(wc -l <"$OUT")" 1
assert_grep "^site: issued version 1 for 2 names" "$OUT"
assert_eq "$(cat "$ERR")" ""

try "the certificate verifies against Pebble's roots"
pebble_roots "$T/roots.pem"
live=$state/live/site
assert_status 0 openssl verify -CAfile "$T/roots.pem" \
    -untrusted "$live/chain.pem" "$live/cert.pem"
openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName >"$T/san"
assert_grep "DNS:$name" "$T/san"
assert_grep "DNS:$www" "$T/san"

try "the key matches the certificate"
assert_eq "$(openssl x509 -in "$live/cert.pem" -noout -pubkey)" \
    "$(openssl pkey -in "$live/privkey.pem" -pubout)"

try "fullchain is cert followed by chain"
assert_eq "$(cat "$live/cert.pem" "$live/chain.pem")" \
    "$(cat "$live/fullchain.pem")"

try "live/ holds relative symlinks into archive/ and a README"
for f in cert chain fullchain privkey; do
	assert_eq "$(readlink "$live/$f.pem")" "../../archive/site/${f}1.pem"
done
assert test -f "$live/README"
assert_eq "$(stat -c %a "$state/archive/site/privkey1.pem")" 600
assert_eq "$(stat -c %a "$state/archive/site")" 700

try "no token is left, other files under .well-known are untouched"
assert test ! -e "$root/.well-known/acme-challenge"
assert_grep "^Contact:" "$root/.well-known/security.txt"

try "the deploy hook saw certbot's variables"
assert_grep "^RENEWED_LINEAGE=$live\$" "$T/deploy.env"
assert_grep "^RENEWED_DOMAINS=$name $www\$" "$T/deploy.env"

try "status shows it valid and exits 0"
assert_status 0 "$AW" -c "$T/aw.ini" status
assert_grep "^site +valid" "$OUT"

try "with -q, issue keeps errors only: nothing on stdout either"
assert_status 0 "$AW" -c "$T/aw.ini" -q issue site
assert_eq "$(cat "$OUT" "$ERR")" ""
assert_eq "$(aw_version "$state" site)" 2

try "renew of a fresh certificate is silent and changes nothing"
rm "$T/deploy.env"
assert_status 0 "$AW" -c "$T/aw.ini" renew
assert_eq "$(cat "$OUT" "$ERR")" ""
assert_eq "$(aw_version "$state" site)" 2
assert test ! -e "$T/deploy.env"

try "-v shows each step on one line, not each request"
assert_status 0 "$AW" -c "$T/aw.ini" -v issue site
assert_no_grep "(HEAD|GET|POST) https://" "$ERR"
for step in "renewing: issue asked for" "order https://" \
    "2 names validated" "finalizing with its ec-256 key" "downloading " \
    "version 3 in place" "deploy_hook: done"; do
	assert_eq "$(grep -cE "^acme-webroot: site: .*$step" "$ERR")" 1
done
# Pebble may reuse an authorization of the last order: no token then.
if grep -q "token in" "$ERR"; then
	assert_grep "^acme-webroot: site: [^ ]+: token in $root\$" "$ERR"
	assert_grep "^acme-webroot: site: [12] challenges? answered" "$ERR"
fi

try "-vv adds each request"
assert_status 0 "$AW" -c "$T/aw.ini" -vv issue site
assert_grep "^acme-webroot: site: POST https://" "$ERR"
assert_grep "^acme-webroot: site: GET https://" "$ERR"

try "a not-due run opens no connection to the CA"
aw_counting_ca "$T/aw.ini"
assert_status 0 "$AW" -c "$T/aw.ini" renew
assert_eq "$(aw_ca_contacts)" 0
try "while issue does connect there"
assert_status 1 "$AW" -c "$T/aw.ini" issue site
assert test "$(aw_ca_contacts)" -gt 0

pass
