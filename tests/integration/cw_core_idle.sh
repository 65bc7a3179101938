#!/bin/bash
# Idle means idle: no system call and no log line (-vv) while nothing
# changes, unless the watchdog is on (then only its pings); the
# watchdog pings come.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
cw_lineage "$live" a.example.test
cw_lineage "$live" b.example.test
cw_conf "$T/cw.ini" "$live"

# wakeups PID SECS: how often PID's event loop woke up in SECS seconds
# (epoll_wait returning; attaching itself shows as an interrupted one).
wakeups() {
	timeout "$2" strace -f -p "$1" -e trace=epoll_wait \
	    -o "$T/strace" 2>/dev/null || true
	grep -c '^[0-9]* *epoll_wait(.*) = [0-9]' "$T/strace" || true
}

try "no wake-up while idle, and no line logged, even with -vv"
cw_start "$T/cw.ini"
command -v strace >/dev/null || skip "strace is not installed"
strace -o /dev/null true 2>/dev/null || skip "ptrace is not allowed here"
lines=$(wc -l <"$CW_LOG")
assert_eq "$(wakeups "$CW_PID" 2)" 0
assert_eq "$(wc -l <"$CW_LOG")" "$lines"
cw_stop

try "with WatchdogSec=1s, WATCHDOG=1 pings and only their wake-ups"
CW_WATCHDOG_USEC=1000000 cw_start "$T/cw.ini"
cw_wait_notified '^WATCHDOG=1$' 3
# sd-event pings between a half and three quarters of the period.
n=$(wakeups "$CW_PID" 2)
assert test "$n" -ge 2 -a "$n" -le 5
cw_stop

pass
