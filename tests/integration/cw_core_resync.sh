#!/bin/bash
# Installed copies overwritten behind cert-watch's back (`mup setup`
# writes its own): at start they are installed again and the server is
# told, by exec when the copies only differed, by restart when one was
# missing; copies that match cost nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

SOCK=$T/docker.sock
/usr/bin/python3 "$TOP/tests/fakes/fake-docker.py" "$SOCK" \
    "$T/engine.log" --container proxy >"$T/fake.log" 2>&1 &
track_pid $!
wait_until 10 test -S "$SOCK" || fail "the fake engine did not start"
touch "$T/engine.log"

live=$T/le/live
certs=$T/certs
mkdir -p "$certs"
cw_lineage "$live" app.example.test
cw_conf "$T/cw.ini" "$live" \
    "[action proxy]" "type = docker" "container = proxy" \
    "docker_action = exec" "exec = nginx -s reload" "socket = $SOCK" \
    "install_cert = $certs/%d.crt" "install_key = $certs/%d.key" \
    "min_interval = 0"
crt=$certs/app.example.test.crt
key=$certs/app.example.test.key
restarts() { grep -c 'containers/proxy/restart' "$T/engine.log" || true; }
execs() { grep -c 'containers/proxy/exec' "$T/engine.log" || true; }

try "first start: the missing copies are installed, the proxy restarted"
cw_start "$T/cw.ini"
wait_until 20 test "$(restarts)" = 1
cw_wait_idle_after 0
assert cmp -s "$crt" "$live/app.example.test/fullchain.pem"
assert cmp -s "$key" "$live/app.example.test/privkey.pem"
assert_eq "$(stat -c %a "$key")" 600
assert_eq "$(execs)" 0
cw_stop

try "a restart with matching copies tells nobody"
cw_start "$T/cw.ini"
cw_stop
assert_eq "$(restarts)" 1
assert_eq "$(execs)" 0

try "copies overwritten while it was down: installed again, one exec"
echo "not what cert-watch wrote" >"$crt"
cw_start "$T/cw.ini"
wait_until 20 test "$(execs)" = 1
assert cmp -s "$crt" "$live/app.example.test/fullchain.pem"
assert_grep "$crt differed from .*installed again" "$CW_LOG"
assert_eq "$(restarts)" 1
cw_stop

pass
