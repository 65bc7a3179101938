#!/bin/bash
# An action that runs for long keeps the daemon alive and stoppable:
# WATCHDOG=1 pings go on while it runs, and SIGTERM during it kills
# the command's process group and ends the daemon at once, without
# recording the run as done.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
cw_lineage "$live" a.example.test
cw_conf "$T/cw.ini" "$live" "[action slow]" "type = exec" \
    "min_interval = 0" \
    "command = echo \$\$ >$T/slow.pid; sleep \$(cat $T/secs); echo >>$T/slow"
echo 5 >"$T/secs"

# max_gap FILE: the longest time between two WATCHDOG=1 in CW_TIMES.
max_gap() {
	awk '$2 == "WATCHDOG=1" { if (n++) { g = $1 - t; if (g > m) m = g }
	    t = $1 } END { printf "%.3f\n", m }' "$CW_TIMES"
}
# ended PID: PID has exited (a zombie until waited for, or gone).
ended() { case $(ps -o stat= -p "$1") in Z*|'') ;; *) false ;; esac; }
group_gone() { ! kill -0 -- "-$1" 2>/dev/null; }

try "a 5 s action with WatchdogSec=2s: pings keep coming"
CW_WATCHDOG_USEC=2000000 cw_start "$T/cw.ini"
cw_lineage "$live" a.example.test
wait_until 30 test -s "$T/slow"
gap=$(max_gap)
say "longest gap between pings: $gap s"
assert awk -v g="$gap" 'BEGIN { exit !(g > 0 && g < 2.0) }'
assert kill -0 "$CW_PID"

try "SIGTERM during a long action ends the daemon within seconds"
echo 300 >"$T/secs"
rm "$T/slow.pid"
cw_lineage "$live" a.example.test
wait_until 10 test -s "$T/slow.pid"
kill -TERM "$CW_PID"
assert wait_until 5 ended "$CW_PID"
assert_status 0 wait "$CW_PID"
assert_grep 'action slow: abandoned, cert-watch is stopping' "$CW_LOG"
assert_eq "$(grep -c 'action slow: done for' "$CW_LOG")" 1
assert wait_until 5 group_gone "$(cat "$T/slow.pid")"

pass
