#!/bin/bash
# A failing action is retried with backoff, gives up after retry_max
# failures in a row and says so in STATUS=, runs again on the next
# change; min_interval spaces two runs of one action.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
cw_lineage "$live" a.example.test
cw_conf "$T/cw.ini" "$live" \
    "[action flaky]" "type = exec" "min_interval = 0" "retry_max = 3" \
    "command = date +%s.%N >> $T/attempts; test -e $T/ok" \
    "[action spaced]" "type = exec" "min_interval = 2s" \
    "command = date +%s.%N >> $T/spaced"
cw_start "$T/cw.ini"
attempts() { wc -l <"$T/attempts"; }
failures_logged() {
	[ "$(grep -c 'flaky: failed (1 of 3)' "$CW_LOG")" -ge "$1" ]
}
stopped() { _cw_status | grep -q 'flaky stopped after 3 failures'; }

try "a failing action: retried, then given up, said in STATUS="
n=$(cw_bursts)
cw_lineage "$live" a.example.test
wait_until 20 stopped
cw_wait_idle_after "$n"
assert_eq "$(attempts)" 3
assert_grep 'action flaky: failed \(1 of 3\); retrying in 1000 ms' "$CW_LOG"
assert_grep 'action flaky: failed 3 times in a row; given up' "$CW_LOG"
first=$(sed -n 1p "$T/attempts")
last=$(sed -n 3p "$T/attempts")
assert awk -v a="$first" -v b="$last" 'BEGIN { exit !(b - a >= 2.9) }'
kill -0 "$CW_PID"

try "the next change runs it again"
touch "$T/ok"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
assert_eq "$(attempts)" 4
refute stopped

try "a retry that succeeds ends the failures"
rm "$T/ok"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
wait_until 10 failures_logged 2
touch "$T/ok"
cw_wait_idle_after "$n"
assert_eq "$(attempts)" 6
assert_grep 'action flaky: done for a.example.test' "$CW_LOG"

try "min_interval: the next run waits for it"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
a=$(tail -n 1 "$T/spaced")
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
b=$(tail -n 1 "$T/spaced")
assert awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a >= 2) }'
assert_grep '^<7>action spaced: waits [0-9]+ ms for min_interval$' "$CW_LOG"

cw_stop
pass
