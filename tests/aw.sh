# shellcheck shell=bash
# Helpers of the acme-webroot integration tests, sourced after lib.sh.
#
#   aw_config FILE STATE WEBROOT NAME DOMAIN... [-- LINE...]
#       writes a configuration for the shared Pebble (or for the CA in
#       $AW_DIRECTORY / $AW_CA_BUNDLE when set) with one [cert NAME]
#       section; LINEs after -- are added to that section.
#   aw_site CERT [-- LINE...]
#       one certificate CERT for a fresh name ($AW_NAME) served from
#       $AW_ROOT ($T/www) by the shared nginx, with state in $AW_STATE
#       ($T/state) and configuration in $AW_INI ($T/aw.ini) as aw_config
#       writes it
#   aw_live_serial STATE NAME   the serial of live/NAME/cert.pem
#   aw_version STATE NAME       N of the archive file live/NAME points at
#   count_accepts PORT FILE     a TLS-less listener on 127.0.0.1:PORT that
#                               appends a line to FILE per connection
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
#   aw_consistent STATE NAME    live/NAME is absent, or its four links
#                               point at one archive version whose key
#                               matches its certificate and whose
#                               fullchain is cert then chain; otherwise
#                               says what is wrong on stderr, status 1
#   aw_serve STATE NAME         a private nginx serving live/NAME over TLS
#                               on $AW_TLS_PORT (SNI $AW_TLS_SNI)
#   aw_served STATE NAME        reloads that nginx; status 0 when the
#                               reload took and the leaf it serves is
#                               live/NAME/cert.pem
#   aw_reissue CERT             `issue CERT` with $AW_INI succeeds and
#                               puts a new certificate in place, one
#                               that is consistent and served (after
#                               aw_site and aw_serve)
#   aw_no_tokens WEBROOT        no challenge file is left in WEBROOT
#                               (.well-known/acme-challenge absent or
#                               empty); lists what is left otherwise

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

aw_site() {
	local cert=$1
	shift
	AW_NAME=$(new_name "$cert")
	AW_ROOT=$T/www
	AW_STATE=$T/state
	AW_INI=$T/aw.ini
	add_site "$AW_ROOT" "$AW_NAME"
	aw_config "$AW_INI" "$AW_STATE" "$AW_ROOT" "$cert" "$AW_NAME" "$@"
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

# _aw_link_version LIVE KIND NAME: N of LIVE/KIND.pem -> archive KINDN.pem
_aw_link_version() {
	local target
	target=$(readlink "$1/$2.pem") || {
		echo "$1/$2.pem: not a symlink" >&2
		return 1
	}
	case $target in
	"../../archive/$3/$2"[0-9]*.pem) ;;
	*)
		echo "$1/$2.pem -> $target: not into archive/$3" >&2
		return 1
		;;
	esac
	target=${target#"../../archive/$3/$2"}
	echo "${target%.pem}"
}

aw_consistent() {
	local live=$1/live/$2 kind n want=""
	[ -e "$live" ] || [ -L "$live" ] || return 0
	for kind in cert chain fullchain privkey; do
		n=$(_aw_link_version "$live" "$kind" "$2") || return 1
		[ -f "$live/$kind.pem" ] || {
			echo "$live/$kind.pem: dangling" >&2
			return 1
		}
		[ -z "$want" ] || [ "$n" = "$want" ] || {
			echo "$live/$kind.pem: version $n, not $want" >&2
			return 1
		}
		want=$n
	done
	[ "$(openssl x509 -in "$live/cert.pem" -noout -pubkey)" = \
	    "$(openssl pkey -in "$live/privkey.pem" -pubout)" ] || {
		echo "$live: privkey.pem does not match cert.pem" >&2
		return 1
	}
	cat "$live/cert.pem" "$live/chain.pem" | cmp -s - \
	    "$live/fullchain.pem" || {
		echo "$live: fullchain.pem is not cert.pem + chain.pem" >&2
		return 1
	}
}

aw_serve() {
	AW_TLS_PORT=$(free_port)
	AW_TLS_SNI=$2.serve.test
	cat >"$T/aw-serve.conf" <<-EOF
	server {
		listen 127.0.0.1:$AW_TLS_PORT ssl;
		server_name $AW_TLS_SNI;
		ssl_certificate $1/live/$2/fullchain.pem;
		ssl_certificate_key $1/live/$2/privkey.pem;
		location / { return 200 "ok"; }
	}
	EOF
	start_nginx "$T/aw-serve.conf"
	wait_port "$AW_TLS_PORT"
}

aw_served() {
	local want got
	nginx_reload || {
		echo "nginx refused live/$2 on reload" >&2
		tail -n 5 "$NGINX_ERROR_LOG" >&2
		return 1
	}
	want=$(cert_sha256 "$1/live/$2/cert.pem")
	got=$(tls_leaf_sha256 127.0.0.1 "$AW_TLS_PORT" "$AW_TLS_SNI")
	[ "$got" = "$want" ] && return 0
	echo "nginx serves '$got', live/$2 holds '$want'" >&2
	return 1
}

aw_no_tokens() {
	local ac=$1/.well-known/acme-challenge
	[ -z "$(ls -A "$ac" 2>/dev/null)" ] && return 0
	echo "left in $ac:" >&2
	ls -A "$ac" >&2
	return 1
}

aw_reissue() {
	local before
	before=$(aw_live_serial "$AW_STATE" "$1")
	assert_status 0 "$AW" -c "$AW_INI" issue "$1"
	refute test "$(aw_live_serial "$AW_STATE" "$1")" = "$before"
	assert aw_consistent "$AW_STATE" "$1"
	assert aw_served "$AW_STATE" "$1"
}
