#!/bin/bash
# fullchain.pem is what servers send, so the stored set is judged
# whole: a fullchain emptied, cut short, or another certificate's makes
# the certificate due, status says why, and the next renew replaces it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

aw_fakeca_site other
other=$STATE/archive/site/fullchain1.pem

# broken TAG WHY: after the fullchain of TAG's version 1 was spoiled,
# status shows it due for WHY and renew installs version 2, whole.
broken() {
	assert_status 1 "$AW" -c "$CONF" status
	assert_grep "^site +due .*$2" "$OUT"
	assert_status 0 "$AW" -c "$CONF" renew
	assert_eq "$(aw_version "$STATE" site)" 2
	assert_status 0 aw_consistent "$STATE" site
	assert_status 0 "$AW" -c "$CONF" status
	assert_grep "^site +valid " "$OUT"
}

try "an emptied fullchain.pem is due and replaced"
aw_fakeca_site empty
: >"$STATE/archive/site/fullchain1.pem"
broken empty "fullchain\.pem does not parse"

try "a truncated fullchain.pem is due and replaced"
aw_fakeca_site cut
full=$(head -c -100 "$STATE/archive/site/fullchain1.pem")
printf '%s\n' "$full" >"$STATE/archive/site/fullchain1.pem"
broken cut "fullchain\.pem does not parse"

try "a fullchain.pem of the leaf alone is due and replaced"
aw_fakeca_site alone
cp "$STATE/archive/site/cert1.pem" "$STATE/archive/site/fullchain1.pem"
broken alone "fullchain\.pem is not cert\.pem then chain\.pem"

try "another certificate's fullchain.pem is due and replaced"
aw_fakeca_site foreign
cp "$other" "$STATE/archive/site/fullchain1.pem"
broken foreign "fullchain\.pem does not begin with cert\.pem's"

pass
