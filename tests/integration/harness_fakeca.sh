#!/bin/bash
# The fake CA of the fault tests serves a correct client: certbot gets a
# certificate through the shared nginx (the CA fetching the token), a
# badNonce is retried, renewalInfo answers for the issued certificate,
# and the faults that need no JWS answer as documented.
. "$(dirname "$0")/../lib.sh"

command -v certbot >/dev/null || skip "certbot is not installed"
/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"

start_fakeca CA --validate --fault 'name=badnonce,on=new-order,times=1'
name=$(new_name fakeca)
root=$T/www
add_site "$root" "$name"

try "certbot gets a certificate from the fake CA"
ACME_DIRECTORY=$CA_DIRECTORY ACME_CA_BUNDLE=$CA_CA_BUNDLE \
    assert_status 0 certbot_issue "$root" "$T/cb" "$name"
cert=$T/cb/live/$name/cert.pem
fakeca_ctl CA /ca/chain >"$T/ca.pem"
assert_status 0 openssl verify -CAfile "$T/ca.pem" "$cert"

try "the badNonce answer made certbot ask again"
assert_eq "$(fakeca_ctl CA /count/new-order)" 2
assert_eq "$(fakeca_ctl CA /count/chall)" 1

try "the CA fetched the token through nginx"
assert_grep "GET /.well-known/acme-challenge/.* 200 " \
    "$SHARED_DIR/nginx/access.log"

try "renewalInfo answers for the issued certificate"
certid=$(/usr/bin/python3 - "$cert" <<'PY'
import base64, sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
aki = c.extensions.get_extension_for_class(
    x509.AuthorityKeyIdentifier).value.key_identifier
n = c.serial_number
enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
print(enc(aki) + "." + enc(n.to_bytes((n.bit_length() + 8) // 8, "big")))
PY
)
ari=$(curl -sf --cacert "$CA_CA_BUNDLE" "$CA_DIRECTORY" |
    sed -n 's/.*"renewalInfo": "\(.*\)".*/\1/p')
assert_status 0 curl -sf --cacert "$CA_CA_BUNDLE" "$ari/$certid"
assert_grep '"suggestedWindow"' "$OUT"
assert_status 22 curl -sf --cacert "$CA_CA_BUNDLE" "$ari/AAAA.AAAA"

c=(curl -s --cacert "$CA_CA_BUNDLE" -D "$T/hdr" -o "$T/body")

try "503 with Retry-After in seconds, then as an HTTP date"
fakeca_ctl CA /fault 'name=503,on=dir,times=1,retry_after=7' >/dev/null
fakeca_ctl CA /fault 'name=503,on=dir,times=1,retry_date=-10' >/dev/null
"${c[@]}" "$CA_DIRECTORY"
assert_grep '^HTTP/1.1 503' "$T/hdr"
assert_grep '^Retry-After: 7' "$T/hdr"
"${c[@]}" "$CA_DIRECTORY"
assert_grep '^Retry-After: [A-Z][a-z]{2}, [0-9]{2} .* GMT' "$T/hdr"

try "a dropped connection, an HTML page, broken JSON, http:// URLs"
fakeca_ctl CA /fault 'name=drop,on=dir,times=1' >/dev/null
assert_status 52 curl -s --cacert "$CA_CA_BUNDLE" "$CA_DIRECTORY"
fakeca_ctl CA /fault 'name=html,on=dir,times=1' >/dev/null
"${c[@]}" "$CA_DIRECTORY"
assert_grep '^Content-Type: text/html' "$T/hdr"
fakeca_ctl CA /fault 'name=badjson,on=dir,times=1' >/dev/null
"${c[@]}" "$CA_DIRECTORY"
refute /usr/bin/python3 -m json.tool "$T/body"
fakeca_ctl CA /fault 'name=http-url,times=1' >/dev/null
"${c[@]}" "$CA_DIRECTORY"
assert_grep '"newOrder": "http://127' "$T/body"

try "a stalled answer keeps the client waiting"
fakeca_ctl CA /fault 'name=stall,on=dir,times=1,secs=3' >/dev/null
assert_status 28 curl -s -m 1 --cacert "$CA_CA_BUNDLE" "$CA_DIRECTORY"

try "an unknown fault is refused"
refute fakeca_ctl CA /fault 'name=nonsense'

pass
