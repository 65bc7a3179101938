#!/bin/bash
# A failure message in a tampered state file reaches neither status's
# table nor renew's log with its control bytes: they are escaped.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

aw_fakeca_site tampered
cat >"$STATE/acme-webroot/site.json" <<'JSON'
{"failure_msg": "bad\u001b[2J\nsite valid", "failures": 1,
 "last_failure": 1700000000, "next_try": 4102444800}
JSON
esc=$(printf '\033')

try "status escapes the stored failure message"
assert_status 1 "$AW" -c "$CONF" status
refute grep -q "$esc" "$OUT"
assert_grep '^site +failing .*bad\\x1b\[2J\\x0asite valid$' "$OUT"
assert_eq "$(grep -c "site valid" "$OUT")" 1

try "renew escapes it where it says why it waits"
rm -r "$STATE/live/site"
assert_status 1 "$AW" -c "$CONF" renew
refute grep -q "$esc" "$ERR"
assert_grep 'last failure: bad\\x1b\[2J\\x0asite valid$' "$ERR"

pass
