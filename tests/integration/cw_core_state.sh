#!/bin/bash
# The state file: a corrupt one at start is named with what is wrong,
# and cert-watch starts as on a first install (records, acts on
# nothing); it is only ever replaced whole, so that SIGKILL at any
# moment leaves valid JSON, and a temporary file that a kill left
# behind is removed at the next start.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
state=$T/state.json
for i in 1 2 3 4 5 6; do
	cw_lineage "$live" "c$i.example.test"
done
cw_conf "$T/cw.ini" "$live"

valid_state() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1 and isinstance(d["actions"], dict)' "$state"
}
temps() { find "$T" -maxdepth 1 -name '.state.json.*' | wc -l; }

# corrupt_start TEXT REGEX: a start with TEXT as the state file logs
# REGEX, acts on nothing and leaves a valid state file.
corrupt_start() {
	printf '%s' "$1" >"$state"
	cw_start "$T/cw.ini"
	assert_grep "^<3>$state$2" "$CW_LOG"
	assert_grep "$state: unusable; .*rewritten with the certificates" \
	    "$CW_LOG"
	assert_eq "$(cw_runs)" 0
	assert valid_state
	cw_stop
}

try "state that is not JSON: FILE:LINE and the parser's message"
corrupt_start '{"version": 1, "actions": {' \
    ':[0-9]+: .*(end of file|expected)'

try "an empty state file"
corrupt_start '' ':[0-9]+: .*'

try "state of another version"
corrupt_start '{"version": 7, "actions": {}}' ': not a version 1 state file'

try "state whose actions are malformed"
corrupt_start '{"version": 1, "actions": {"count": []}}' \
    ': "actions" is malformed'

try "after a corrupt state, a change is acted on"
cw_start "$T/cw.ini"
n=$(cw_bursts)
cw_lineage "$live" c1.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 1
cw_stop

try "killed between the temporary file and the rename: old state kept"
cp "$state" "$T/before.json"
cw_lineage "$live" c2.example.test
run timeout 20 env ACME_WEBROOT_FAILPOINT=atomic-write-before-rename \
    "$CW" -c "$T/cw.ini"
assert_eq "$RC" 137
assert_eq "$(temps)" 1
assert cmp -s "$state" "$T/before.json"

try "the next start removes the temporary file and acts on the change"
runs=$(cw_runs)
cw_start "$T/cw.ini"
assert_eq "$(temps)" 0
assert_grep "$T/\.state\.json\.[0-9a-f]{8}: removed" "$CW_LOG"
wait_until 10 test "$(cw_runs)" -gt "$runs"
cw_stop
assert valid_state

try "SIGKILL at any moment of busy runs leaves valid JSON"
# Every start acts on three renewed certificates with four actions, and
# saves the state after each.  The kill comes once the first action
# runs, after a delay that differs from one start to the next, so that
# the kills fall on different steps of those saves.
for a in one two three; do
	printf '[action %s]\ntype = exec\ncommand = true\nmin_interval = 0\n' \
	    "$a" >>"$T/cw.ini"
done
for i in $(seq 0 11); do
	for j in 1 2 3; do
		cw_lineage "$live" "c$(( (i + j) % 6 + 1 )).example.test"
	done
	: >"$T/killed.log"
	"$CW" -c "$T/cw.ini" -v 2>"$T/killed.log" &
	pid=$!
	track_pid "$pid"
	wait_until 10 grep -q 'running for' "$T/killed.log" ||
		fail "$_DESC: no action ran"
	sleep "0.0$(( i * 7 % 10 ))"
	kill -KILL "$pid"
	stop_pid "$pid"
	assert valid_state
done

try "and a clean start after them leaves no temporary file"
cw_start "$T/cw.ini"
cw_stop
assert valid_state
assert_eq "$(temps)" 0

pass
