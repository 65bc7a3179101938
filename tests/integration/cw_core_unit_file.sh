#!/bin/bash
# `make install` writes units whose ExecStart= names the binaries where
# it put them.  contrib/cert-watch.service, pointed at the built binary,
# passes `systemd-analyze verify` and scores 2.5 or lower on
# `systemd-analyze security --offline=true`.
. "$(dirname "$0")/../lib.sh"

try "make install PREFIX=/usr: the units start /usr/sbin's binaries"
# A tree holding only what install copies, with the binaries under test
# as if built there, so that nothing of the real tree is rebuilt.
tree=$T/tree
mkdir -p "$tree/acme-webroot" "$tree/cert-watch"
cp -r "$TOP/contrib" "$tree/"
cp "$AW" "$tree/acme-webroot/acme-webroot"
cp "$CW" "$tree/cert-watch/cert-watch"
assert_status 0 make -C "$tree" -f "$TOP/Makefile" install PREFIX=/usr \
    DESTDIR="$T/root"
units=$T/root/lib/systemd/system
assert test -x "$T/root/usr/sbin/cert-watch"
assert test -x "$T/root/usr/sbin/acme-webroot"
assert_grep '^ExecStart=/usr/sbin/cert-watch$' "$units/cert-watch.service"
assert_grep '^ExecStart=/usr/sbin/acme-webroot -q renew$' \
    "$units/acme-webroot.service"
assert test -f "$units/acme-webroot.timer"
assert_eq "$(stat -c %a "$units/cert-watch.service")" 644
assert_no_grep /usr/local "$units/cert-watch.service"

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
