#!/bin/bash
# An acme-webroot renewal against Pebble (which exchanges live/NAME for
# a new directory) while nginx serves TLS from live/NAME: one reload of
# nginx, and nginx then serves the new certificate.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"
. "$(dirname "$0")/cw_core.inc"

command -v nginx >/dev/null || skip "nginx is not installed"

name=$(new_name cwaw)
root=$T/www
state=$T/aw
live=$state/live
add_site "$root" "$name"
aw_config "$T/aw.ini" "$state" "$root" site "$name"

try "acme-webroot issues version 1"
assert_status 0 "$AW" -c "$T/aw.ini" issue site

port=$(free_port)
cat >"$T/tls.conf" <<EOF
server {
	listen 127.0.0.1:$port ssl;
	server_name $name;
	ssl_certificate $live/site/fullchain.pem;
	ssl_certificate_key $live/site/privkey.pem;
	return 200 "tls\n";
}
EOF
start_nginx "$T/tls.conf"
wait_port "$port"
cw_conf "$T/cw.ini" "$live" "[action nginx]" "type = signal" \
    "pidfile = $NGINX_PREFIX/nginx.pid" "process = nginx" "signal = HUP" \
    "min_interval = 0"
cw_start "$T/cw.ini"
hups() { grep -c 'signal 1 (SIGHUP) received' "$NGINX_ERROR_LOG" || true; }
served() {
	[ "$(tls_leaf_sha256 127.0.0.1 "$port" "$name")" = \
	    "$(cert_sha256 "$live/site/cert.pem")" ]
}
assert_eq "$(hups)" 0

try "acme-webroot issue again: exactly one reload, the new leaf served"
n=$(cw_bursts)
old=$(cert_sha256 "$live/site/cert.pem")
assert_status 0 "$AW" -c "$T/aw.ini" issue site
cw_wait_idle_after "$n" 30
refute test "$(cert_sha256 "$live/site/cert.pem")" = "$old"
assert_eq "$(hups)" 1
assert_eq "$(cw_runs)" 1
wait_until 10 served

try "and once more: the exchanged directory is still watched"
n=$(cw_bursts)
assert_status 0 "$AW" -c "$T/aw.ini" issue site
cw_wait_idle_after "$n" 30
assert_eq "$(hups)" 2
wait_until 10 served

cw_stop
pass
