#!/bin/bash
# What cert-watch does at start: nothing on a first start without state
# (it records), nothing after a restart with nothing changed, one run
# for a change made while it was not running.  A state file that cannot
# be written stops it from starting, and a write that fails while it
# runs is an error that loses no pending change.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
cw_lineage "$live" a.example.test
cw_lineage "$live" b.example.test
cw_conf "$T/cw.ini" "$live"

try "first start without a state file records and runs nothing"
cw_start "$T/cw.ini"
assert_eq "$(cw_runs)" 0
assert test -s "$T/state.json"
assert_grep '"a.example.test"' "$T/state.json"
cw_stop

try "a restart with nothing changed runs nothing"
cw_start "$T/cw.ini"
assert_eq "$(cw_runs)" 0
cw_stop

try "a change made while stopped is acted on once at start"
cw_lineage "$live" b.example.test
cw_start "$T/cw.ini"
assert_eq "$(cw_runs)" 1
assert_grep '^b.example.test$' "$T/runs"
cw_stop

try "and not again at the next start"
cw_start "$T/cw.ini"
assert_eq "$(cw_runs)" 1
cw_stop

try "--act-on-start without a state file acts on every certificate"
rm "$T/state.json"
cw_start "$T/cw.ini" --act-on-start
assert_eq "$(cw_runs)" 2
assert_eq "$(tail -n 1 "$T/runs" | wc -w)" 2
cw_stop

try "a state_file in a missing folder: --check and the daemon refuse it"
cw_conf "$T/nodir.ini" "$live"
sed -i "s|^state_file = .*|state_file = $T/nodir/state.json|" "$T/nodir.ini"
msg="nodir.ini:5: state_file $T/nodir/state.json: $T/nodir does not exist"
assert_status 2 "$CW" -c "$T/nodir.ini" --check
assert_grep "$msg" "$ERR"
assert_status 1 "$CW" -c "$T/nodir.ini"
assert_grep "$msg" "$ERR"
refute test -e "$T/nodir"

try "a state_file in a read-only folder: the daemon refuses to start"
mkdir "$T/ro"
sed "s|^state_file = .*|state_file = $T/ro/state.json|" "$T/nodir.ini" \
    >"$T/ro.ini"
if unshare -Urm true 2>/dev/null; then
	# shellcheck disable=SC2016
	assert_status 1 timeout 20 unshare -Urm sh -c \
	    'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
	    exec "$2" -c "$3"' sh "$T/ro" "$CW" "$T/ro.ini"
	assert_grep "ro.ini:5: state_file $T/ro/state.json: $T/ro: cannot \
create files: Read-only file system" "$ERR"
else
	say "not tried: user namespaces are not allowed"
fi

try "a failed write while running names the state file"
mkdir "$T/sd"
sed "s|^state_file = .*|state_file = $T/sd/state.json|" "$T/nodir.ini" \
    >"$T/sd.ini"
cw_start "$T/sd.ini"
runs=$(cw_runs)
mv "$T/sd" "$T/sd.away"
cw_lineage "$live" a.example.test
wait_until 20 grep -q "sd.ini:5: state_file $T/sd/state.json: not saved" \
    "$CW_LOG"
assert_eq "$(cw_runs)" $((runs + 1))
assert_grep '^STATUS=.*state_file not saved' "$CW_NOTIFY"
cw_stop

try "and the next start acts on that change again, not as a first start"
mv "$T/sd.away" "$T/sd"
cw_start "$T/sd.ini"
assert_eq "$(cw_runs)" $((runs + 2))
assert_eq "$(tail -n 1 "$T/runs")" a.example.test
cw_stop

pass
