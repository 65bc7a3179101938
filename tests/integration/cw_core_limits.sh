#!/bin/bash
# Running out of inotify watches (in a user namespace of our own, whose
# limit we lower): the message names the sysctl and its value, the
# directories left over are polled and their changes still seen.  An
# overflowing inotify queue makes a full rescan; nothing is lost.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
for i in 1 2 3 4 5; do
	cw_lineage "$live" "c$i.example.test"
done
cw_conf "$T/cw.ini" "$live"

try "three watches for six directories: three polled"
unshare -Ur true 2>/dev/null || skip "user namespaces are not allowed"
cat >"$T/wrap" <<'EOF'
#!/bin/sh
exec unshare -Ur sh -c \
    'echo 3 >/proc/sys/user/max_inotify_watches && exec "$0" "$@"' "$@"
EOF
chmod +x "$T/wrap"
CW_WRAP=$T/wrap cw_start "$T/cw.ini"
assert_grep 'out of inotify watches \(fs.inotify.max_user_watches = [0-9]+\)' \
    "$CW_LOG"
assert_grep 'watching 5 certificates in .*, polling 3 of them' "$CW_NOTIFY"

try "a change in a polled directory is seen"
polled=$(sed -n 's|.*/\(c[0-9]\.example\.test\): polled every.*|\1|p' \
    "$CW_LOG" | head -n 1)
assert test -n "$polled"
n=$(cw_bursts)
cw_lineage "$live" "$polled"
cw_wait_idle_after "$n" 30
assert_eq "$(cw_runs)" 1
assert_eq "$(tail -n 1 "$T/runs")" "$polled"
cw_stop

try "an inotify queue overflow rescans and loses nothing"
max=$(cat /proc/sys/fs/inotify/max_queued_events)
[ "$max" -le 100000 ] || skip "max_queued_events is $max: too many to fill"
# The action holds the daemon until the test says go, however long
# the flood below takes on a busy machine.
cw_conf "$T/slow.ini" "$live" "[action slow]" "type = exec" \
    "min_interval = 0" \
    "command = touch $T/busy; until [ -e $T/go ]; do sleep 0.1; done"
cw_start "$T/slow.ini"
n=$(cw_bursts)
cw_lineage "$live" c1.example.test
wait_until 10 test -e "$T/busy"
# While the daemon waits for its action, more events than the queue
# holds, and a real change among them.
(cd "$live/c2.example.test" && seq -f 'f%g' $((max / 2 + 100)) |
    xargs touch && seq -f 'f%g' $((max / 2 + 100)) | xargs rm)
cw_lineage "$live" c3.example.test
touch "$T/go"
cw_wait_idle_after "$n" 30
assert_grep 'inotify queue overflowed; rescanning' "$CW_LOG"
wait_until 20 grep -q '^c3.example.test$' "$T/runs"
cw_wait_idle_after "$n" 30
cw_stop

pass
