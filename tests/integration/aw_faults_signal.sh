#!/bin/bash
# A CA that stalls while tokens are served, and an administrator who
# stops the run: SIGTERM ends it at once, the tokens removed and live/
# as it was; after SIGKILL the tokens stay until the next run, which
# removes them before it orders.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA
aw_fakeca_site sig "timeout = 60"
challenge=$WWW/.well-known/acme-challenge

stalled() { [ "$(fakeca_ctl CA /count/chall)" -ge 1 ]; }

# stop_stalled SIG: starts issue, sends SIG once the CA stalls on the
# first challenge, sets RC and MS (from the signal to the exit).
stop_stalled() {
	local pid start
	aw_faults 'name=stall,on=chall'
	"$AW" -c "$CONF" issue site >"$T/out" 2>"$T/err" &
	pid=$!
	assert wait_until 20 stalled
	assert_eq "$(ls "$challenge" | wc -l)" 2
	start=${EPOCHREALTIME/./}
	kill -s "$1" "$pid"
	RC=0
	{ wait "$pid"; } 2>/dev/null || RC=$?
	MS=$(((${EPOCHREALTIME/./} - start) / 1000))
}

try "SIGTERM while the CA stalls ends the run at once"
stop_stalled TERM
assert_eq "$RC" 1
assert test "$MS" -lt 2000
assert_grep "site: interrupted" "$T/err"
aw_kept

try "after SIGKILL the tokens stay"
stop_stalled KILL
assert_eq "$RC" 137
assert_eq "$(ls "$challenge" | wc -l)" 2
assert_eq "$(aw_live_id)" "$BEFORE"

try "the next run removes them and issues"
aw_faults
assert_status 0 "$AW" -c "$CONF" issue site
assert_grep "^site: issued version 2 " "$OUT"
assert_eq "$(find "$WWW" -mindepth 1)" ""

pass
