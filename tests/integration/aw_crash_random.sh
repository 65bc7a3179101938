#!/bin/bash
# Renewals killed with SIGKILL after a random delay, wherever they are:
# after each kill live/ is one consistent version that nginx loads, and
# a clean run at the end succeeds and leaves no challenge file.
# KILLS=N sets the number of kills (default 8); the delays are printed
# so that a failure can be replayed with SEED=N.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

kills=${KILLS:-8}
RANDOM=${SEED:-$$}
say "SEED=${SEED:-$$}"

start_pebble P PEBBLE_AUTHZREUSE=0
AW_DIRECTORY=$P_DIRECTORY AW_CA_BUNDLE=$P_CA_BUNDLE
aw_site r -- "deploy_hook = echo deployed >> $T/deploys"
state=$AW_STATE

# Microseconds since the epoch.
now_us() { echo "${EPOCHREALTIME/./}"; }

try "a first version, then a second one timed"
assert_status 0 "$AW" -c "$AW_INI" issue r
start=$(now_us)
assert_status 0 "$AW" -c "$AW_INI" issue r
took=$(($(now_us) - start))
say "one issue takes ${took} us"
aw_serve "$state" r
assert aw_served "$state" r

killed=0
for ((i = 1; i <= kills; i++)); do
	delay=$((RANDOM * RANDOM % took))
	try "kill $i of $kills, after $delay us"
	"$AW" -c "$AW_INI" issue r >"$T/out.$i" 2>&1 &
	pid=$!
	# Not a wait for anything: the delay picks where the kill lands.
	sleep "$(printf '%d.%06d' $((delay / 1000000)) \
	    $((delay % 1000000)))"
	kill -KILL "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	case $rc in
	137) killed=$((killed + 1)) ;;
	0) say "it finished first" ;;
	*) cat "$T/out.$i" >&2; fail "$_DESC: exit status $rc" ;;
	esac
	assert aw_consistent "$state" r
	assert aw_served "$state" r
done

try "at least one run was killed"
refute test "$killed" = 0

try "a clean run succeeds and cleans up"
aw_reissue r
assert aw_no_tokens "$AW_ROOT"
assert test ! -e "$state/live/.r.new"
assert_eq "$(ls -A "$state/acme-webroot")" "r.json"

pass
