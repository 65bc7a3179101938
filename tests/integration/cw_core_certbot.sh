#!/bin/bash
# A real certbot renewal (--force-renewal against Pebble) while nginx
# serves TLS from live/NAME: cert-watch reloads nginx exactly once, and
# nginx then serves the new certificate.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

command -v certbot >/dev/null || skip "certbot is not installed"
command -v nginx >/dev/null || skip "nginx is not installed"

name=$(new_name cwcore)
root=$T/www
cb=$T/certbot
live=$cb/live

try "certbot issues $name"
add_site "$root" "$name"
assert_status 0 certbot_issue "$root" "$cb" "$name"

try "nginx serves it over TLS"
port=$(free_port)
cat >"$T/tls.conf" <<EOF
server {
	listen 127.0.0.1:$port ssl;
	server_name $name;
	ssl_certificate $live/$name/fullchain.pem;
	ssl_certificate_key $live/$name/privkey.pem;
	return 200 "tls\n";
}
EOF
start_nginx "$T/tls.conf"
wait_port "$port"
assert_eq "$(tls_leaf_sha256 127.0.0.1 "$port" "$name")" \
    "$(cert_sha256 "$live/$name/cert.pem")"

cw_conf "$T/cw.ini" "$live" "[action nginx]" "type = signal" \
    "pidfile = $NGINX_PREFIX/nginx.pid" "process = nginx" "signal = HUP" \
    "min_interval = 0"
cw_start "$T/cw.ini"

hups() { grep -c 'signal 1 (SIGHUP) received' "$NGINX_ERROR_LOG" || true; }
served() {
	[ "$(tls_leaf_sha256 127.0.0.1 "$port" "$name")" = \
	    "$(cert_sha256 "$live/$name/cert.pem")" ]
}

try "starting cert-watch reloads nothing"
assert_eq "$(hups)" 0
old=$(cert_sha256 "$live/$name/cert.pem")

try "certbot renew --force-renewal: exactly one reload"
n=$(cw_bursts)
assert_status 0 certbot_renew "$cb"
cw_wait_idle_after "$n" 30
refute test "$(cert_sha256 "$live/$name/cert.pem")" = "$old"
assert_eq "$(hups)" 1
assert_eq "$(cw_runs)" 1

try "nginx serves the new certificate"
wait_until 10 served

cw_stop
pass
