#!/bin/bash
# cert-watch's signal action and TLS verification against a real nginx
# serving TLS: a renewal is reloaded once and confirmed; a key that
# does not match makes nginx keep the old certificate and verification
# fail; a pid file naming another process is refused.  nginx serves an
# ECDSA and an RSA certificate at once, so each verification must
# offer only its key type's signature algorithms to see its own.
export LIB_NO_AUTOSTART=1
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fakes/cw-actions.bash"

command -v nginx >/dev/null || skip "nginx is not installed"
build_driver
EC=$T/live/site.example.test
RSA=$T/live/rsa.example.test
make_lineage "$EC" ec site.example.test
make_lineage "$RSA" rsa site.example.test
PORT=$(free_port)
LISTEN6=""
if ip -6 addr show lo 2>/dev/null | grep -q '::1/128'; then
	LISTEN6="listen [::1]:$PORT ssl;"
fi
cat >"$T/site.conf" <<EOF2
server {
	listen 127.0.0.1:$PORT ssl;
	$LISTEN6
	server_name site.example.test;
	ssl_certificate $EC/fullchain.pem;
	ssl_certificate_key $EC/privkey.pem;
	ssl_certificate $RSA/fullchain.pem;
	ssl_certificate_key $RSA/privkey.pem;
	location / { return 200 "ok\n"; }
}
EOF2
start_nginx "$T/site.conf"
wait_port "$PORT"

cat >"$T/cw.ini" <<EOF2
[action nginx]
type = signal
pidfile = $NGINX_PREFIX/nginx.pid
process = nginx
signal = HUP
verify = 127.0.0.1:$PORT
verify_timeout = 3
certs = *

[action nginx6]
type = signal
pidfile = $NGINX_PREFIX/nginx.pid
process = nginx
verify = [::1]:$PORT
verify_timeout = 3

[action other]
type = signal
pidfile = $T/other.pid
process = nginx
EOF2

hups() { grep -c 'signal 1 (SIGHUP) received' "$NGINX_ERROR_LOG" || true; }
served() { tls_leaf_sha256 127.0.0.1 "$PORT" site.example.test; }

try "a renewal: one SIGHUP, and the new ECDSA leaf is confirmed"
make_lineage "$EC" ec site.example.test
n=$(hups)
assert_status 0 drive "$T/cw.ini" run nginx "$EC"
assert_grep 'verify 127.0.0.1 port [0-9]+: site.example.test is served' \
    "$ERR"
assert_eq "$(hups)" "$((n + 1))"

try "the RSA leaf served next to it is confirmed with RSA algorithms"
make_lineage "$RSA" rsa site.example.test
assert_status 0 drive "$T/cw.ini" run nginx "$RSA" "$EC"
assert_grep 'rsa.example.test is served' "$ERR"
assert_grep 'site.example.test is served' "$ERR"

if [ -n "$LISTEN6" ]; then
	try "verify over IPv6, [::1]:PORT"
	assert_status 0 drive "$T/cw.ini" run nginx6 "$EC"
fi

try "a key that does not match: nginx keeps the old leaf, verify fails"
old=$(cert_sha256 "$EC/cert.pem")
cp "$EC/privkey.pem" "$T/oldkey.pem"
make_lineage "$EC" ec site.example.test
cp "$T/oldkey.pem" "$EC/privkey.pem"
new=$(cert_sha256 "$EC/cert.pem")
n=$(hups)
assert_status 1 drive "$T/cw.ini" run nginx "$EC"
assert_eq "$(hups)" "$((n + 1))"
assert_grep "\(SNI site.example.test\): still serves sha256 $old after" "$ERR"
assert_grep "after 3000 ms, expected $new" "$ERR"
assert_grep 'key values mismatch' "$NGINX_ERROR_LOG"
assert_eq "$(served)" "$old"

try "a pid file naming another process is refused, nothing is sent"
sleep 60 &
other=$!
track_pid "$other"
echo "$other" >"$T/other.pid"
assert_status 1 drive "$T/cw.ini" run other "$EC"
assert_grep "other.pid: stale, pid $other is sleep, not nginx" "$ERR"
assert kill -0 "$other"
stop_pid "$other"

try "a pid file naming no process is stale"
assert_status 1 drive "$T/cw.ini" run other "$EC"
assert_grep "other.pid: stale, pid $other: No such process" "$ERR"

try "a pid file that is not a pid is refused"
printf '12 34\n' >"$T/other.pid"
assert_status 1 drive "$T/cw.ini" run other "$EC"
assert_grep 'other.pid: not a pid: 12 34' "$ERR"
pass
