#!/bin/bash
# A renewal killed with SIGKILL at each crash point (the failpoints of
# common/failpoint.h): live/ keeps one complete version that nginx
# loads, and the next plain run finishes the job: a new certificate,
# its deploy hook run exactly once, no challenge file left behind.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

# In the order a run reaches them.  Before live-exchanged the old
# version stays live; from there on the new one is.
points="pre_hook token-written challenge-answered finalize-sent
certificate-downloaded archive-written live-exchanged deploy_hook
post_hook"
early="pre_hook token-written challenge-answered finalize-sent
certificate-downloaded archive-written"

try "the list covers every crash point in the source"
grep -ho 'failpoint("[a-z_-]*")' "$TOP"/acme-webroot/*.c |
    sed 's/.*("\(.*\)")/\1/' | sort -u >"$T/in-source"
printf '%s\n' $points | grep -v '_hook$' | sort -u >"$T/listed"
assert_eq "$(cat "$T/listed")" "$(cat "$T/in-source")"
assert_grep 'snprintf\(label, sizeof\(label\), "%s_hook", kind\)' \
    "$TOP/acme-webroot/issue.c"

# Every order proves its names afresh, so that each run writes tokens.
start_pebble P PEBBLE_AUTHZREUSE=0
AW_DIRECTORY=$P_DIRECTORY AW_CA_BUNDLE=$P_CA_BUNDLE
aw_site c -- "deploy_hook = echo \$RENEWED_LINEAGE >> $T/deploys"
root=$AW_ROOT
state=$AW_STATE
deploys() { wc -l <"$T/deploys"; }
serial() { aw_live_serial "$state" c; }

try "a first version to protect"
assert_status 0 "$AW" -c "$T/aw.ini" issue c
assert aw_consistent "$state" c
aw_serve "$state" c
assert aw_served "$state" c

for point in $points; do
	try "killed at $point"
	# Pebble reuses a valid authorization for 1% of new orders even
	# at PEBBLE_AUTHZREUSE=0; such a run writes no token, so it may
	# pass the token points and finish.  It is tried again.
	for ((attempt = 1; ; attempt++)); do
		before=$(serial)
		deploys_before=$(deploys)
		ACME_WEBROOT_FAILPOINT=$point run \
		    "$AW" -v -c "$T/aw.ini" issue c
		[ "$RC" = 0 ] && [ "$attempt" -lt 3 ] || break
		say "it finished: the CA reused an authorization"
	done
	[ "$RC" = 137 ] || {
		cat "$ERR" >&2
		fail "$_DESC: exit status $RC, want 137 (SIGKILL)"
	}
	assert aw_consistent "$state" c
	assert aw_served "$state" c
	case $point in
	token-written | challenge-answered)
		# What the next run must clean up.
		refute aw_no_tokens "$root" 2>/dev/null
		;;
	esac

	if [[ " ${early//$'\n'/ } " == *" $point "* ]]; then
		try "after $point: the old version is live, issue finishes"
		assert_eq "$(serial)" "$before"
		assert_status 0 "$AW" -c "$T/aw.ini" issue c
	else
		try "after $point: the new version is live, renew finishes"
		refute test "$(serial)" = "$before"
		killed=$(serial)
		assert_status 0 "$AW" -c "$T/aw.ini" renew c
		assert_eq "$(serial)" "$killed"
	fi
	refute test "$(serial)" = "$before"
	assert_eq "$(deploys)" "$((deploys_before + 1))"
	assert aw_consistent "$state" c
	assert aw_served "$state" c
	assert aw_no_tokens "$root"
	assert test ! -e "$state/acme-webroot/c.tokens.json"
	assert test ! -e "$state/live/.c.new"

	try "after $point: a further renew is quiet"
	deploys_before=$(deploys)
	assert_status 0 "$AW" -c "$T/aw.ini" renew c
	assert_eq "$(cat "$OUT" "$ERR")" ""
	assert_eq "$(deploys)" "$deploys_before"
done

pass
