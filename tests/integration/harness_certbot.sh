#!/bin/bash
# The harness itself: certbot, a real ACME client, gets a certificate
# from the shared Pebble through a webroot that add_site put on the
# shared nginx, and the certificate verifies against Pebble's roots.
. "$(dirname "$0")/../lib.sh"

command -v certbot >/dev/null || skip "certbot is not installed"

name=$(new_name harness)
root=$T/www/harness

try "a site on the shared nginx serves its webroot"
add_site "$root" "$name"
echo probe >"$root/probe.txt"
assert_eq "$(curl -s -H "Host: $name" \
    "http://127.0.0.1:$HTTP01_PORT/probe.txt")" probe

try "certbot issues $name through the webroot"
assert_status 0 certbot_issue "$root" "$T/certbot" "$name"
live=$T/certbot/live/$name
assert test -s "$live/fullchain.pem"

try "the certificate verifies against Pebble's roots"
pebble_roots "$T/roots.pem"
assert_status 0 openssl verify -CAfile "$T/roots.pem" \
    -untrusted "$live/chain.pem" "$live/cert.pem"

try "the certificate names $name"
openssl x509 -in "$live/cert.pem" -noout -ext subjectAltName >"$T/san"
assert_grep "DNS:$name" "$T/san"

try "certbot renews it with --force-renewal"
before=$(cert_sha256 "$live/cert.pem")
assert_status 0 certbot_renew "$T/certbot"
refute test "$(cert_sha256 "$live/cert.pem")" = "$before"
assert test -e "$T/certbot/archive/$name/cert2.pem"

try "no token is left in the webroot"
assert test -z "$(ls -A "$root/.well-known/acme-challenge" 2>/dev/null)"

pass
