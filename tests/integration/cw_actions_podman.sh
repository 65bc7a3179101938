#!/bin/bash
# cert-watch's docker action against a real engine: podman's Docker
# API service on a unix socket under $T, with its own storage, and a
# container made from a local busybox image (no registry).  A restart
# moves the container's State.StartedAt; an exec succeeds or fails by
# its exit code; an unknown container is reported with podman's
# message.  Skipped, with the reason, where podman cannot run
# containers.
export LIB_NO_AUTOSTART=1
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fakes/cw-actions.bash"

command -v podman >/dev/null || skip "podman is not installed"
command -v runc >/dev/null || skip "runc is not installed"
BUSYBOX=$(command -v busybox) || skip "busybox is not installed"
file -L "$BUSYBOX" | grep -q 'statically linked' ||
    skip "$BUSYBOX is not static (busybox-static)"

# Storage, run state and temporary files stay under $T; runc and
# cgroupfs are what work on these machines.
P=(podman --root "$T/pm/storage" --runroot "$T/pm/run"
    --tmpdir "$T/pm/tmp" --storage-driver vfs --runtime runc
    --cgroup-manager cgroupfs --events-backend file)
mkdir -p "$T/pm/tmp" "$T/rootfs/bin"
cp "$BUSYBOX" "$T/rootfs/bin/busybox"
for l in sh sleep true false; do
	ln -s busybox "$T/rootfs/bin/$l"
done
tar -cf "$T/rootfs.tar" -C "$T/rootfs" .
"${P[@]}" import "$T/rootfs.tar" localhost/cw-mini:1 >"$T/import.log" 2>&1 ||
    skip "podman cannot import an image: $(tail -n 1 "$T/import.log")"
at_exit "${P[*]} rm -f -t 0 meteor-app >/dev/null 2>&1"
# PID 1 of a container ignores SIGTERM unless it handles it.
"${P[@]}" run -d --network none --ulimit nofile=1024:1024 \
    --ulimit nproc=1024:1024 --name meteor-app localhost/cw-mini:1 \
    /bin/sh -c 'trap "exit 0" TERM; trap "touch /usr1" USR1;
    while :; do sleep 1; done' \
    >"$T/run.log" 2>&1 ||
    skip "podman cannot run a container here: $(tail -n 1 "$T/run.log")"

SOCK=$T/pm/docker.sock
"${P[@]}" system service --time=0 "unix://$SOCK" >"$T/service.log" 2>&1 &
track_pid $!
build_driver
wait_until 20 curl -sf -o /dev/null --unix-socket "$SOCK" \
    http://localhost/_ping || fail "podman's API service did not start"

make_lineage "$T/live/app.example.test" ec app.example.test
LIN=$T/live/app.example.test
cat >"$T/cw.ini" <<EOF2
[action restart]
type = docker
container = meteor-app
socket = $SOCK
timeout = 20

[action usr1]
type = docker
container = meteor-app
docker_action = kill
signal = USR1
socket = $SOCK

[action nope]
type = docker
container = no-such-app
socket = $SOCK
EOF2
started() { "${P[@]}" inspect -f '{{.State.StartedAt}}' meteor-app; }

try "restart: State.StartedAt moves"
before=$(started)
assert_status 0 drive "$T/cw.ini" run restart "$LIN"
assert_grep 'docker restart of meteor-app done' "$ERR"
after=$(started)
[ "$before" != "$after" ] || fail "$_DESC: StartedAt stayed $before"
assert_eq "$("${P[@]}" inspect -f '{{.State.Running}}' meteor-app)" true

try "kill: the container's shell gets SIGUSR1"
assert_status 0 drive "$T/cw.ini" run usr1 "$LIN"
usr1_seen() {
	"${P[@]}" mount meteor-app >"$T/mnt" 2>/dev/null &&
	    test -e "$(cat "$T/mnt")/usr1"
}
wait_until 10 usr1_seen || fail "$_DESC: no trace of SIGUSR1"

try "an unknown container: podman's message"
assert_status 1 drive "$T/cw.ini" run nope "$LIN"
assert_grep 'HTTP 404: .*no-such-app' "$ERR"
pass
