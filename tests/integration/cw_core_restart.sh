#!/bin/bash
# What cert-watch does at start: nothing on a first start without state
# (it records), nothing after a restart with nothing changed, one run
# for a change made while it was not running.
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

pass
