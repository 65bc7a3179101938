#!/bin/bash
# A live/NAME that is a symbolic link, where no new version can be
# installed, is reported by status and stops issue and renew before
# anything is ordered, with an error naming it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

aw_fakeca_site link
mv "$STATE/live/site" "$T/elsewhere"
ln -s "$T/elsewhere" "$STATE/live/site"
aw_faults

try "status shows the linked live directory"
assert_status 1 "$AW" -c "$CONF" status
assert_grep "^site +unreadable .*live/site is not a directory" "$OUT"
assert_grep "live/site: not a directory but a symbolic link" "$ERR"

for verb in issue renew; do
	try "$verb refuses it before ordering"
	assert_status 1 "$AW" -c "$CONF" $verb site
	assert_grep "live/site: not a directory but a symbolic link" "$ERR"
	assert_eq "$(grep -c "not a directory" "$ERR")" 1
	assert_eq "$(fakeca_ctl CA /count/new-order)" 0
	refute test -e "$STATE/archive/site/cert2.pem"
done

pass
