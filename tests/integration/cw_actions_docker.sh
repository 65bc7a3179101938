#!/bin/bash
# cert-watch's docker action against a fake Engine API on a unix
# socket: version negotiation, exactly one restart, the engine's
# message on a 404, exec exit codes, kill, and the restart that
# replaces the exec when an install creates a new file.
export LIB_NO_AUTOSTART=1
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fakes/cw-actions.bash"

build_driver
SOCK=$T/docker.sock
LOG=$T/requests.log
: >"$LOG"
/usr/bin/python3 "$TOP/tests/fakes/fake-docker.py" "$SOCK" "$LOG" \
    --api-version 1.45 --container mup-nginx-proxy --container app \
    >"$T/fake.log" 2>&1 &
track_pid $!
wait_until 10 test -S "$SOCK" || fail "the fake engine did not start"

make_lineage "$T/live/app.example.test" ec app.example.test
LIN=$T/live/app.example.test
mkdir -p "$T/certs"

cat >"$T/cw.ini" <<EOF2
[action restart]
type = docker
container = app
docker_action = restart
socket = $SOCK
certs = *

[action missing]
type = docker
container = nope
socket = $SOCK

[action reload]
type = docker
container = mup-nginx-proxy
docker_action = exec
exec = nginx -s reload
install_cert = $T/certs/%d.crt
install_key = $T/certs/%d.key
socket = $SOCK

[action failing]
type = docker
container = app
docker_action = exec
exec = false
socket = $SOCK

[action hup]
type = docker
container = app
docker_action = kill
signal = HUP
socket = $SOCK

[action hang]
type = docker
container = app
docker_action = exec
exec = hang
socket = $SOCK
timeout = 1

[action huge]
type = docker
container = huge
socket = $SOCK

[action nosocket]
type = docker
container = app
socket = $T/absent.sock
timeout = 2
EOF2

# requests: the lines of the request log since line $1
since() { tail -n "+$(($1 + 1))" "$LOG"; }

try "restart: one POST after version negotiation at min(1.45, 1.43)"
n=$(wc -l <"$LOG")
assert_status 0 drive "$T/cw.ini" run restart "$LIN"
since "$n" >"$T/got"
printf '%s\n' "GET /_ping" "POST /v1.43/containers/app/restart?t=10" \
    >"$T/want"
assert diff -u "$T/want" "$T/got"

try "a 404 is a failure with the engine's message"
assert_status 1 drive "$T/cw.ini" run missing "$LIN"
assert_grep 'HTTP 404: No such container: nope' "$ERR"

try "exec: the first install creates files, so a restart instead"
n=$(wc -l <"$LOG")
assert_status 0 drive "$T/cw.ini" run reload "$LIN"
assert cmp "$LIN/fullchain.pem" "$T/certs/app.example.test.crt"
assert cmp "$LIN/privkey.pem" "$T/certs/app.example.test.key"
assert_eq "$(stat -c %a "$T/certs/app.example.test.key")" 600
since "$n" >"$T/got"
assert_grep '^POST /v1.43/containers/mup-nginx-proxy/restart' "$T/got"
assert_no_grep '/exec' "$T/got"

try "exec: later installs reload through exec, polled until it ends"
n=$(wc -l <"$LOG")
assert_status 0 drive "$T/cw.ini" run reload "$LIN"
since "$n" >"$T/got"
assert_no_grep 'restart' "$T/got"
cmd='"Cmd":\["nginx","-s","reload"\]'
assert_grep "^POST /v1.43/containers/mup-nginx-proxy/exec .*$cmd" "$T/got"
assert_grep '"AttachStdout":false' "$T/got"
assert_grep '^POST /v1.43/exec/[0-9a-f]+/start \{"Detach":true' "$T/got"
assert_eq "$(grep -c '^GET /v1.43/exec/[0-9a-f]*/json' "$T/got")" 2

try "exec: a command that exits 1 is a failure"
assert_status 1 drive "$T/cw.ini" run failing "$LIN"
assert_grep 'false in app: exit code 1' "$ERR"

try "exec: one still running at the timeout is a failure"
assert_status 1 drive "$T/cw.ini" run hang "$LIN"
assert_grep 'exec in app still running after 1000 ms' "$ERR"

try "an answer larger than the cap is a failure"
assert_status 1 drive "$T/cw.ini" run huge "$LIN"
assert_grep 'restart\?t=10 on .*: answer larger than 64 KiB' "$ERR"

try "kill sends the signal by name"
n=$(wc -l <"$LOG")
assert_status 0 drive "$T/cw.ini" run hup "$LIN"
since "$n" >"$T/got"
assert_grep '^POST /v1.43/containers/app/kill\?signal=HUP$' "$T/got"

try "no engine on the socket is a failure naming it"
assert_status 1 drive "$T/cw.ini" run nosocket "$LIN"
assert_grep "GET /_ping on $T/absent.sock" "$ERR"

try "a bad container name is refused before any request"
cat >"$T/bad.ini" <<EOF2
[action bad]
type = docker
container = ../../containers/app
socket = $SOCK
EOF2
n=$(wc -l <"$LOG")
assert_status 2 drive "$T/bad.ini" run bad "$LIN"
assert_grep 'bad.ini:3: container = ../../containers/app: not a container' \
    "$ERR"
assert_eq "$(wc -l <"$LOG")" "$n"
pass
