#!/bin/bash
# A first issuance killed with SIGKILL at each crash point leaves no
# half live/NAME: it is absent until the exchange, complete after.  The
# next renew then completes it, with its deploy hook run exactly once
# and no challenge file left behind.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

points="pre_hook token-written challenge-answered finalize-sent
certificate-downloaded archive-written live-exchanged deploy_hook
post_hook"
late="live-exchanged deploy_hook post_hook"

aw_site first
root=$AW_ROOT
state=$AW_STATE

# One certificate per crash point, each for a name of its own, so that
# no order can reuse the valid authorization of another.
names=()
for point in $points; do
	names+=("$(new_name "$point")")
	printf '[cert %s]\ndomains = %s\ndeploy_hook = echo %s >> %s\n' \
	    "$point" "${names[-1]}" "$point" "$T/deploys" >>"$AW_INI"
done
add_site "$root" "${names[@]}"
touch "$T/deploys"
deploys() { grep -cx "$1" "$T/deploys" || true; }

for point in $points; do
	try "a first issuance killed at $point"
	ACME_WEBROOT_FAILPOINT=$point assert_status 137 \
	    "$AW" -c "$AW_INI" issue "$point"
	assert aw_consistent "$state" "$point"
	if [[ " ${late//$'\n'/ } " == *" $point "* ]]; then
		assert test -d "$state/live/$point"
	else
		assert test ! -e "$state/live/$point"
	fi

	try "after $point: renew completes it"
	assert_status 0 "$AW" -c "$AW_INI" renew "$point"
	assert aw_consistent "$state" "$point"
	assert test -d "$state/live/$point"
	assert_eq "$(deploys "$point")" 1
	assert aw_no_tokens "$root"
	assert test ! -e "$state/live/.$point.new"

	try "after $point: a further renew is quiet"
	assert_status 0 "$AW" -c "$AW_INI" renew "$point"
	assert_eq "$(cat "$OUT" "$ERR")" ""
	assert_eq "$(deploys "$point")" 1
done

pass
