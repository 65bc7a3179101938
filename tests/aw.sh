# shellcheck shell=bash
# Helpers of the acme-webroot integration tests, sourced after lib.sh.
#
#   aw_config FILE STATE WEBROOT NAME DOMAIN... [-- LINE...]
#       writes a configuration for the shared Pebble (or for the CA in
#       $AW_DIRECTORY / $AW_CA_BUNDLE when set) with one [cert NAME]
#       section; LINEs after -- are added to that section.
#   aw_live_serial STATE NAME   the serial of live/NAME/cert.pem
#   aw_version STATE NAME       N of the archive file live/NAME points at
#   count_accepts PORT FILE     a TLS-less listener on 127.0.0.1:PORT that
#                               appends a line to FILE per connection
#   aw_counting_ca FILE         points the directory of configuration FILE
#                               at a count_accepts listener;
#                               aw_ca_contacts then prints how many
#                               connections it took since

aw_config() {
	local file=$1 state=$2 webroot=$3 name=$4
	shift 4
	local domains="" extra=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		domains="$domains $1"
		shift
	done
	[ $# -gt 0 ] && shift
	extra=$(printf '%s\n' "$@")
	cat >"$file" <<CONF
[defaults]
directory = ${AW_DIRECTORY:-$ACME_DIRECTORY}
agree_tos = yes
email = admin@example.org
ca_bundle = ${AW_CA_BUNDLE:-$ACME_CA_BUNDLE}
state_dir = $state
account_key = $state/account.key
webroot = $webroot

[cert $name]
domains =$domains
$extra
CONF
}

aw_live_serial() {
	openssl x509 -in "$1/live/$2/cert.pem" -noout -serial
}

aw_version() {
	readlink "$1/live/$2/cert.pem" | sed 's/.*cert\([0-9]*\)\.pem$/\1/'
}

count_accepts() {
	python3 - "$1" "$2" <<'PY' &
import socket, sys
port, log = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
open(log, "a").close()
while True:
    c, _ = s.accept()
    with open(log, "a") as f:
        f.write("accept\n")
    c.close()
PY
	track_pid $!
	wait_port "$1"
}

aw_counting_ca() {
	local port
	port=$(free_port)
	AW_ACCEPTS=$T/accepts.$port
	count_accepts "$port" "$AW_ACCEPTS"
	# wait_port's own probe is counted too.
	wait_until 5 test -s "$AW_ACCEPTS"
	sed -i "s#^directory = .*#directory = https://127.0.0.1:$port/dir#" \
	    "$1"
	AW_ACCEPTS_BEFORE=$(wc -l <"$AW_ACCEPTS")
}

aw_ca_contacts() {
	echo $(($(wc -l <"$AW_ACCEPTS") - AW_ACCEPTS_BEFORE))
}
