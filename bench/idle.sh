#!/bin/bash
# cert-watch's wake-ups while nothing changes, over BENCH_IDLE_SECONDS
# (10) with BENCH_IDLE_CERTS (100) certificates: watched with inotify,
# with the watchdog on (WatchdogSec=1s), and polled every second.
# Counted as the context switches of its threads (/proc), which is
# what a wake-up costs, without tracing it.
. "$(dirname "$0")/lib.sh"

secs=${BENCH_IDLE_SECONDS:-10}
certs=${BENCH_IDLE_CERTS:-100}
live=$T/le/live

lineages "$live" "$certs"
cw_conf "$T/cw.ini" "$live"
sed '/^settle_ms/a poll_interval = 1s' "$T/cw.ini" >"$T/cw-poll.ini"

# idle LABEL CONF: starts cert-watch, counts, stops it.
idle() {
	local n
	cw_start "$2"
	n=$(wakeups "$CW_PID" "$secs")
	printf '%-50s %4d wake-ups in %d s, peak RSS %d KiB\n' "$1" "$n" \
	    "$secs" "$(proc_rss "$CW_PID")"
	cw_stop
}

idle "cert-watch idle, inotify, $certs certificates" "$T/cw.ini"
CW_WATCHDOG_USEC=1000000 idle "cert-watch idle, WatchdogSec=1s" "$T/cw.ini"
idle "cert-watch idle, poll_interval = 1s" "$T/cw-poll.ini"
