#!/bin/bash
# A saved order that cannot be completed is not resumed for ever: when
# its key is lost, corrupt or another's, it is dropped with a notice
# and one new order takes its place in the same run; a certificate
# that comes without its chain is refused as such, and its order is
# dropped so that the next run orders anew instead of resuming it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

# dead_key TAG CMD...: a run killed once the certificate of its order
# was downloaded leaves a valid order; CMD spoils its key; the next
# issue drops the order and completes a new one, exactly one.
dead_key() {
	local tag=$1 pending
	shift
	aw_fakeca_site "$tag"
	pending=$STATE/acme-webroot/site.key-pending
	ACME_WEBROOT_FAILPOINT=certificate-downloaded \
	    assert_status 137 "$AW" -c "$CONF" issue site
	assert test -f "$pending"
	"$@" "$pending"
	aw_faults
	assert_status 0 "$AW" -v -c "$CONF" issue site
	assert_grep "saved order failed .*ordering anew" "$ERR"
	assert_eq "$(fakeca_ctl CA /count/new-order)" 1
	assert_eq "$(aw_version "$STATE" site)" 2
	assert_status 0 aw_consistent "$STATE" site
	refute test -e "$pending"
}

try "a saved order whose key is lost is replaced by a new one"
dead_key lost rm -f

try "a saved order whose key is corrupt is replaced by a new one"
garble() { echo "not a key" >"$1"; }
dead_key corrupt garble

try "a saved order whose key is another's is replaced by a new one"
foreign() { cp "$STATE/archive/site/privkey1.pem" "$1"; }
dead_key foreign foreign

try "a certificate without its chain is refused, saying so"
aw_fakeca_site nochain
aw_faults 'name=nochain'
assert_status 1 "$AW" -c "$CONF" issue site
assert_grep "the CA sent no chain certificate" "$ERR"
refute grep -q "not PEM" "$ERR"
aw_kept
aw_failing "the CA sent no chain certificate"

try "the next run orders anew rather than resume that order"
aw_faults
assert_status 0 "$AW" -v -c "$CONF" issue site
refute grep -q "resuming order" "$ERR"
assert_eq "$(fakeca_ctl CA /count/new-order)" 1
assert_eq "$(aw_version "$STATE" site)" 2

pass
