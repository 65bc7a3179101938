#!/bin/bash
# contrib/cert-watch.service, pointed at the built binary, passes
# `systemd-analyze verify` and scores 2.5 or lower on
# `systemd-analyze security --offline=true`.
. "$(dirname "$0")/../lib.sh"

command -v systemd-analyze >/dev/null ||
	skip "systemd-analyze is not installed"

unit=$T/cert-watch.service
sed "s|^ExecStart=.*|ExecStart=$CW|" "$TOP/contrib/cert-watch.service" \
    >"$unit"

try "systemd-analyze verify accepts it"
assert_status 0 systemd-analyze verify "$unit"

try "systemd-analyze security: exposure 2.5 or lower"
run systemd-analyze security --offline=true "$unit"
score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' \
    "$OUT" "$ERR" | head -n 1)
[ -n "$score" ] || { cat "$OUT" "$ERR" >&2; fail "$_DESC: no score"; }
echo "cert-watch.service exposure: $score" >&2
awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' ||
	{ grep '✗' "$OUT" >&2; fail "$_DESC: exposure $score"; }

pass
