#!/bin/bash
# The systemd units in contrib/: every directive has a comment saying
# why; both services, pointed at the built binaries, pass
# `systemd-analyze verify` and stay within their exposure ceilings on
# `systemd-analyze security --offline=true` (acme-webroot.service 2.0,
# cert-watch.service 2.5); the drop-in for acme-webroot's hooks relaxes
# what hooks need, keeps what acme-webroot needs, and README names it.
export LIB_NO_AUTOSTART=1
. "$(dirname "$0")/../lib.sh"

C=$TOP/contrib
DROPIN=acme-webroot-hooks.conf.example
U=$T/units
mkdir -p "$U"

# uncommented FILE...: prints every directive that no comment explains.
# A comment covers the directives right below it, up to the next blank
# line, section header or comment.
uncommented() {
	awk '
	FNR == 1 { covered = 0 }
	/^[[:space:]]*$/ || /^\[/ { covered = 0; next }
	/^[#;]/ { covered = 1; next }
	/^[A-Za-z]+=/ {
		if (!covered) {
			print FILENAME ":" FNR ": " $0
			bad = 1
		}
	}
	END { exit bad }' "$@"
}

# install_unit NAME BINARY: a copy of contrib/NAME under $U whose
# ExecStart runs BINARY (with the same arguments).
install_unit() {
	sed "s|^ExecStart=[^ ]*|ExecStart=$2|" "$C/$1" >"$U/$1"
}

# exposure NAME: prints the overall exposure of $U/NAME; the full
# report is left in $OUT.
exposure() {
	run systemd-analyze security --offline=true "$U/$1"
	[ "$RC" = 0 ] || { cat "$OUT" "$ERR" >&2; return 1; }
	sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' \
	    "$OUT" "$ERR" | head -n 1
}

# check_exposure NAME MAX: prints the score and fails above MAX.
check_exposure() {
	local score
	score=$(exposure "$1") || fail "$_DESC: systemd-analyze failed"
	[ -n "$score" ] || fail "$_DESC: no score in the report"
	echo "$1 exposure: $score" >&2
	awk -v s="$score" -v m="$2" 'BEGIN { exit !(s <= m) }' ||
		{ grep '✗' "$OUT" >&2; fail "$_DESC: exposure $score > $2"; }
}

try "every directive in the units and the drop-in has a comment"
run uncommented "$C/acme-webroot.service" "$C/acme-webroot.timer" \
    "$C/cert-watch.service" "$C/$DROPIN"
[ "$RC" = 0 ] || { cat "$OUT" >&2; fail "$_DESC: no comment above these"; }

try "README documents the drop-in for hooks"
assert_grep "contrib/$DROPIN" "$TOP/README.md"

command -v systemd-analyze >/dev/null ||
	skip "systemd-analyze is not installed"
printf '[Service]\nExecStart=/bin/true\n' >"$T/probe.service"
systemd-analyze security --offline=true "$T/probe.service" \
    >"$T/probe.out" 2>&1 ||
	skip "systemd-analyze cannot analyse offline here:" \
	    "$(head -n 1 "$T/probe.out")"

install_unit acme-webroot.service "$AW"
cp "$C/acme-webroot.timer" "$U/"
install_unit cert-watch.service "$CW"

try "systemd-analyze verify accepts the units"
assert_status 0 systemd-analyze verify "$U/acme-webroot.service" \
    "$U/acme-webroot.timer"
assert_status 0 systemd-analyze verify "$U/cert-watch.service"

try "acme-webroot.service: exposure 2.0 or lower"
check_exposure acme-webroot.service 2.0

try "cert-watch.service: exposure 2.5 or lower"
check_exposure cert-watch.service 2.5

try "with the hooks drop-in: verified, relaxed for hooks, rights kept"
mkdir "$U/acme-webroot.service.d"
cp "$C/$DROPIN" "$U/acme-webroot.service.d/hooks.conf"
assert_status 0 systemd-analyze verify "$U/acme-webroot.service"
exposure acme-webroot.service >/dev/null ||
	fail "$_DESC: systemd-analyze failed"
# Hooks see other processes, may signal them and are not filtered.
assert_grep '✗ ProtectProc=' "$OUT"
assert_grep '✗ CapabilityBoundingSet=~CAP_KILL ' "$OUT"
assert_grep '✗ SystemCallFilter=.*does not filter' "$OUT"
# acme-webroot still overrides file permissions in webroots and gives
# key files their group.
assert_grep '✗ CapabilityBoundingSet=~CAP_\(DAC_\*\|FOWNER' "$OUT"
assert_grep '✗ CapabilityBoundingSet=~CAP_\(CHOWN' "$OUT"

pass
