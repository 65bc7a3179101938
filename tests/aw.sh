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
#
#   SITE_AT                     "site: https://[^ ]*", an ERE for the
#                               start of site's messages about a URL
#
# With the fake CA started as `start_fakeca CA` (it validates nothing
# unless told to, so no site is needed):
#   aw_fakeca_site TAG [LINE...]  writes $T/TAG/aw.ini, one [cert site]
#                               for two names with webroot $T/TAG/www
#                               and the LINEs, and issues version 1
#                               without faults; sets CONF, STATE, WWW,
#                               and BEFORE (serial and hashes of live/)
#   aw_live_id                  the serial of live/site/cert.pem and the
#                               hashes of its fullchain and private key
#   aw_faults SPEC...           the fake CA's faults become SPECs, its
#                               counts zero
#   aw_kept                     asserts live/site is still BEFORE and
#                               nothing is left in WWW
#   aw_failing REGEX            `status` exits 1 and shows site failing,
#                               its note matching REGEX
#   aw_timed N CMD...           assert_status N CMD...; sets MS to the
#                               milliseconds it took

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

SITE_AT='site: https://[^ ]*'

aw_live_id() {
	aw_live_serial "$STATE" site
	sha256sum "$STATE/live/site/fullchain.pem" \
	    "$STATE/live/site/privkey.pem" | cut -d' ' -f1
}

aw_fakeca_site() {
	local tag=$1
	shift
	CONF=$T/$tag/aw.ini
	STATE=$T/$tag/state
	WWW=$T/$tag/www
	mkdir -p "$WWW"
	AW_DIRECTORY=$CA_DIRECTORY AW_CA_BUNDLE=$CA_CA_BUNDLE \
	    aw_config "$CONF" "$STATE" "$WWW" site \
	    "a-$tag.example.test" "b-$tag.example.test" -- "$@"
	fakeca_ctl CA /clear '' >/dev/null
	assert_status 0 "$AW" -c "$CONF" issue site
	BEFORE=$(aw_live_id)
}

aw_faults() {
	local spec
	fakeca_ctl CA /clear '' >/dev/null
	fakeca_ctl CA /reset '' >/dev/null
	for spec in "$@"; do
		fakeca_ctl CA /fault "$spec" >/dev/null ||
		    fail "fake CA refused fault $spec"
	done
}

aw_kept() {
	assert_eq "$(aw_live_id)" "$BEFORE"
	assert_eq "$(find "$WWW" -mindepth 1)" ""
}

aw_timed() {
	local start=${EPOCHREALTIME/./}
	assert_status "$@"
	MS=$(((${EPOCHREALTIME/./} - start) / 1000))
}

aw_failing() {
	assert_status 1 "$AW" -c "$CONF" status
	assert_grep "^site +failing .*$1" "$OUT"
}
