#!/bin/bash
# cert-watch's systemd action against a mock systemd (python3-dbusmock)
# on a private bus: Subscribe, then ReloadUnit or RestartUnit, and the
# job's JobRemoved result decides: "done" is success, "failed" a
# reported failure, no signal at all a timeout.  The mock sends
# JobRemoved after its reply, first for another job as a decoy.
export LIB_NO_AUTOSTART=1
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fakes/cw-actions.bash"

command -v dbus-daemon >/dev/null || skip "dbus-daemon is not installed"
/usr/bin/python3 -c 'import dbusmock' 2>/dev/null ||
    skip "python3-dbusmock is not installed"

build_driver
BUS=unix:path=$T/bus.sock
# A bus of its own, with no service directories: nothing is activated.
cat >"$T/bus.conf" <<EOF2
<busconfig>
  <type>session</type>
  <listen>$BUS</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF2
dbus-daemon --config-file="$T/bus.conf" --nofork >"$T/bus.log" 2>&1 &
track_pid $!
wait_until 10 test -S "$T/bus.sock" || fail "dbus-daemon did not start"

DBUS_SESSION_BUS_ADDRESS=$BUS /usr/bin/python3 -m dbusmock \
    -l "$T/calls.log" org.freedesktop.systemd1 /org/freedesktop/systemd1 \
    org.freedesktop.systemd1.Manager >"$T/mock.log" 2>&1 &
track_pid $!

mock() {
	dbus-send --bus="$BUS" --print-reply --dest=org.freedesktop.systemd1 \
	    /org/freedesktop/systemd1 "org.freedesktop.DBus.Mock.$1" \
	    "${@:2}" >/dev/null
}
mock_up() { mock GetCalls 2>/dev/null; }
wait_until 10 mock_up || fail "the mock systemd did not start"

# The job's result is read from $T/result at each call; "never" sends
# no JobRemoved.  The decoy (another job, "failed") comes first.
CODE="
from gi.repository import GLib
n = len(self.GetCalls())
job = '/org/freedesktop/systemd1/job/%d' % n
res = open('$T/result').read().strip()
def removed(s=self, n=n, job=job, unit=args[0], res=res):
    m = 'org.freedesktop.systemd1.Manager'
    s.EmitSignal(m, 'JobRemoved', 'uoss', [dbus.UInt32(n + 1000),
        dbus.ObjectPath(job + '0'), unit, 'failed'])
    s.EmitSignal(m, 'JobRemoved', 'uoss', [dbus.UInt32(n),
        dbus.ObjectPath(job), unit, res])
    return False
if res != 'never':
    GLib.timeout_add(50, removed)
ret = dbus.ObjectPath(job)
"
M=org.freedesktop.systemd1.Manager
assert mock AddMethod string:$M string:Subscribe string: string: string:
assert mock AddMethod string:$M string:ReloadUnit string:ss string:o \
    "string:$CODE"
assert mock AddMethod string:$M string:RestartUnit string:ss string:o \
    "string:$CODE"

make_lineage "$T/live/a.example.test" ec a.example.test
LIN=$T/live/a.example.test
cat >"$T/cw.ini" <<EOF2
[action nginx]
type = systemd
unit = nginx.service
certs = *

[action app]
type = systemd
unit = app.service
method = restart
timeout = 1
EOF2
export DBUS_SYSTEM_BUS_ADDRESS=$BUS

try "reload: Subscribe, then ReloadUnit; JobRemoved done is success"
echo done >"$T/result"
assert_status 0 drive "$T/cw.ini" run nginx "$LIN"
assert_grep 'reload of nginx.service done' "$ERR"
grep -E 'Subscribe|ReloadUnit' "$T/calls.log" | sed 's/^[0-9.]* //' \
    >"$T/got"
printf '%s\n' 'Subscribe' 'ReloadUnit "nginx.service" "replace"' \
    >"$T/want"
assert diff -u "$T/want" "$T/got"

try "reload: JobRemoved failed is a failure naming unit and result"
echo failed >"$T/result"
assert_status 1 drive "$T/cw.ini" run nginx "$LIN"
assert_grep 'reload of nginx.service: job result failed' "$ERR"

try "restart: RestartUnit, done"
echo done >"$T/result"
assert_status 0 drive "$T/cw.ini" run app "$LIN"
assert_grep 'RestartUnit "app.service" "replace"' "$T/calls.log"

try "no JobRemoved: a failure after the timeout"
echo never >"$T/result"
assert_status 1 drive "$T/cw.ini" run app "$LIN"
assert_grep 'app.service: job /org/freedesktop/systemd1/job/[0-9]+ did' "$ERR"
assert_grep 'did not end in 1000 ms' "$ERR"

try "an error reply is reported with its message"
NOSUCH="raise dbus.exceptions.DBusException('Unit nginx.service not found.',
    name='org.freedesktop.systemd1.NoSuchUnit')"
assert mock AddMethod string:$M string:ReloadUnit string:ss string:o \
    "string:$NOSUCH"
assert_status 1 drive "$T/cw.ini" run nginx "$LIN"
assert_grep 'nginx.service: ReloadUnit: Unit nginx.service not found' "$ERR"
pass
