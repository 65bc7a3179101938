#!/bin/bash
# Actions that fail, seen through the daemon: a Docker engine that
# answers 500 and a pid file whose process is gone.  cert-watch stays
# up, retries each with backoff, stops after retry_max failures and
# says so in STATUS=, while the action that works runs once; the next
# change tries the failed ones again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

SOCK=$T/docker.sock
/usr/bin/python3 "$TOP/tests/fakes/fake-docker.py" "$SOCK" \
    "$T/engine.log" >"$T/fake.log" 2>&1 &
track_pid $!
wait_until 10 test -S "$SOCK" || fail "the fake engine did not start"

# The pid of a process that has exited.
true &
gone=$!
wait "$gone"
echo "$gone" >"$T/nginx.pid"

live=$T/le/live
cw_lineage "$live" a.example.test
cw_conf "$T/cw.ini" "$live" \
    "[action engine]" "type = docker" "container = broken" \
    "docker_action = restart" "socket = $SOCK" "min_interval = 0" \
    "retry_max = 2" \
    "[action nginx]" "type = signal" "pidfile = $T/nginx.pid" \
    "process = nginx" "signal = HUP" "min_interval = 0" "retry_max = 2"
cw_start "$T/cw.ini"

restarts() { grep -c 'containers/broken/restart' "$T/engine.log" || true; }
restarted() { [ "$(restarts)" -ge "$1" ]; }
stopped() {
	_cw_status | grep -q 'engine stopped after 2 failures' &&
	    _cw_status | grep -q 'nginx stopped after 2 failures'
}

try "both fail, are retried after a pause, then given up"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
wait_until 20 stopped || { cat "$CW_LOG" >&2; fail "$_DESC: not given up"; }
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 1
assert_eq "$(restarts)" 2
assert_grep 'engine: .*500.*engine failure \(test\)' "$CW_LOG"
assert_grep "nginx: $T/nginx.pid: stale, pid $gone" "$CW_LOG"
assert_grep 'action engine: failed \(1 of 2\); retrying in 1000 ms' \
    "$CW_LOG"
assert_grep 'action nginx: failed \(1 of 2\); retrying in 1000 ms' \
    "$CW_LOG"
assert_grep 'action engine: failed 2 times in a row; given up' "$CW_LOG"
assert_grep 'action nginx: failed 2 times in a row; given up' "$CW_LOG"

try "the daemon is still running and still acts"
assert kill -0 "$CW_PID"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
wait_until 20 restarted 4
wait_until 20 stopped
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 2

cw_stop
pass
