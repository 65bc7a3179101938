# shellcheck shell=bash
# Shared helpers of the integration tests.  Every tests/integration/*.sh
# starts with
#
#	. "$(dirname "$0")/../lib.sh"
#
# and then runs with `set -eu` in bash.
#
# What a script gets
#
#   $T            a private temporary folder, mode 0755 as is every
#                 folder above it (nginx workers run as nobody); removed
#                 at exit unless KEEP=1.  At exit every server the script
#                 started is stopped, by pid.
#   $TOP          the repository root.
#   $AW, $CW      the binaries under test: build-san/bin/... when that
#                 build exists, else acme-webroot/acme-webroot and
#                 cert-watch/cert-watch.
#   Shared servers, exported by tests/run (or started by this file when
#   a script runs alone and ACME_DIRECTORY is unset):
#   $ACME_DIRECTORY  https://127.0.0.1:P/dir of the shared Pebble
#   $ACME_CA_BUNDLE  the PEM of Pebble's listener certificate
#   $PEBBLE_MGMT     https://127.0.0.1:P, Pebble's management API
#   $HTTP01_PORT     the port Pebble validates on; the shared nginx
#                    listens there (see add_site)
#   $DNS_ADDR        127.0.0.1:P, pebble-challtestsrv answering
#                    127.0.0.1 to every A query
#   $SHARED_DIR      where the shared servers keep their files
#
# Results
#   pass                  exit 0
#   fail MSG...           print "FAIL: MSG" to stderr, exit 1
#   skip REASON...        print "SKIP: REASON" to stderr, exit 77
#   say MSG...            a progress line on stderr ("# MSG")
#   try DESC              names the step the next asserts belong to
#   assert CMD...         CMD must succeed, else fail naming DESC and CMD
#   refute CMD...         CMD must fail, else fail likewise
#   run CMD...            runs CMD without failing; sets $RC, and
#                         $OUT/$ERR are files holding its stdout/stderr
#   assert_status N CMD...  runs CMD (as `run`), its status must be N;
#                         on mismatch its stdout and stderr are shown
#   assert_eq GOT WANT    the two strings must be equal
#   assert_grep REGEX FILE  FILE must hold a line matching REGEX (ERE)
#   assert_no_grep REGEX FILE  and this one must not
#
# Processes and waiting (never fixed sleeps)
#   free_port             prints a TCP+UDP port nobody listens on,
#                         reserved against other scripts of this run
#   wait_port PORT [SECS] until 127.0.0.1:PORT accepts (default 10 s)
#   wait_until SECS CMD...  polls CMD until it succeeds; status 1 and a
#                         message on timeout
#   track_pid PID         stop PID at exit
#   stop_pid PID          TERM, wait up to 5 s, then KILL; reaps it
#   at_exit CMD...        run CMD at exit (do not set an EXIT trap)
#   new_name TAG          prints a fresh name: TAG-PID-N.example.test
#
# Servers
#   add_site WEBROOT NAME...  routes NAMEs on the shared nginx
#                         (127.0.0.1:$HTTP01_PORT) to WEBROOT (created,
#                         0755) and returns once nginx serves them
#   pebble_roots FILE [PREFIX]  writes the roots and intermediates of
#                         the shared Pebble (or of start_pebble PREFIX)
#                         for `openssl verify -CAfile FILE`
#   start_pebble PREFIX [VAR=VALUE...]  a private Pebble on its own
#                         ports and listener certificate, same DNS and
#                         $HTTP01_PORT; sets ${PREFIX}_DIRECTORY,
#                         _CA_BUNDLE, _MGMT, _PID.  VARs: VALIDITY=SECS
#                         (certificateValidityPeriod), STRICT=1
#                         (-strict), NONCEREJECT=N, and any PEBBLE_*=V
#                         put into its environment (PEBBLE_VA_NOSLEEP=1
#                         is the default)
#   restart_pebble PREFIX same ports and settings, a new CA (Pebble keeps
#                         no state)
#   start_nginx FILE      a private nginx whose http block includes FILE
#                         (server blocks only; the wrapper sets pid, logs,
#                         temp paths under $T); sets NGINX_PID,
#                         NGINX_PREFIX, NGINX_ERROR_LOG (level notice)
#   nginx_reload          SIGHUP to that nginx; waits until new workers
#                         run (status 0) or the reload failed (status 1)
#   tls_leaf_sha256 HOST PORT SNI  prints the SHA-256 of the leaf served
#                         there (lowercase hex, no colons)
#   cert_sha256 FILE      the same fingerprint of a PEM certificate file
#   certbot_issue WEBROOT DIR NAME... [-- ARGS]  certbot certonly
#                         --webroot against the shared Pebble, with
#                         config, work and logs under DIR
#   certbot_renew DIR [ARGS]  certbot renew --force-renewal on DIR
#   start_fakeca PREFIX [ARGS]  tests/fakeca/fakeca.py on a free port;
#                         sets ${PREFIX}_DIRECTORY, _CA_BUNDLE, _CTL
#                         (control URL), _PID; see that file's top
#   fakeca_ctl PREFIX PATH [DATA]  GET (or POST DATA, maybe '', to) its
#                         control port: fakeca_ctl CA /fault 'name=drop',
#                         fakeca_ctl CA /clear '', fakeca_ctl CA /count/dir
#
# Environment knobs: KEEP=1 keeps $T; LIB_NO_AUTOSTART=1 keeps this file
# from starting the shared servers (tests/run sets it).

set -eu

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export TOP

if [ -z "${AW:-}" ]; then
	if [ -x "$TOP/build-san/bin/acme-webroot" ]; then
		AW=$TOP/build-san/bin/acme-webroot
	else
		AW=$TOP/acme-webroot/acme-webroot
	fi
fi
if [ -z "${CW:-}" ]; then
	if [ -x "$TOP/build-san/bin/cert-watch" ]; then
		CW=$TOP/build-san/bin/cert-watch
	else
		CW=$TOP/cert-watch/cert-watch
	fi
fi
export AW CW

# --- results -----------------------------------------------------------

say() { printf '# %s\n' "$*" >&2; }
pass() { exit 0; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }

_DESC="(no step named)"
try() { _DESC=$*; say "$*"; }

assert() {
	"$@" && return 0
	fail "$_DESC: command failed: $*"
}

refute() {
	"$@" || return 0
	fail "$_DESC: command succeeded but should not: $*"
}

run() {
	OUT=$T/run.out
	ERR=$T/run.err
	RC=0
	"$@" >"$OUT" 2>"$ERR" || RC=$?
}

assert_status() {
	local want=$1
	shift
	run "$@"
	[ "$RC" = "$want" ] && return 0
	printf '%s\n' "--- stdout of: $*" >&2
	cat "$OUT" >&2
	printf '%s\n' "--- stderr" >&2
	cat "$ERR" >&2
	fail "$_DESC: exit status $RC, want $want: $*"
}

assert_eq() {
	[ "$1" = "$2" ] && return 0
	fail "$_DESC: got '$1', want '$2'"
}

assert_grep() {
	grep -Eq -- "$1" "$2" && return 0
	printf '%s\n' "--- $2" >&2
	cat "$2" >&2 || true
	fail "$_DESC: no line matches '$1' in $2"
}

assert_no_grep() {
	grep -Eq -- "$1" "$2" || return 0
	printf '%s\n' "--- $2" >&2
	cat "$2" >&2
	fail "$_DESC: a line matches '$1' in $2"
}

# --- temporary folder, cleanup ------------------------------------------

_PIDS=()
_AT_EXIT=()

# Folders above $T must let nginx workers (nobody) pass.
_traversable() {
	local d=$1 mode
	while [ "$d" != / ] && [ -n "$d" ]; do
		mode=$(stat -c %a "$d") || return 1
		(( (8#$mode & 1) == 1 )) || return 1
		d=$(dirname "$d")
	done
}

_make_temp() {
	local base=${TMPDIR:-/tmp}
	_traversable "$base" || base=/tmp
	T=$(mktemp -d "$base/awtest.XXXXXX")
	chmod 0755 "$T"
	export T
}

at_exit() { _AT_EXIT+=("$*"); }
track_pid() { _PIDS+=("$1"); }

_gone() {
	local st
	kill -0 "$1" 2>/dev/null || return 0
	# A zombie child still answers kill -0; it has exited all the same.
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ]
}

stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		_gone "$pid" && break
		sleep 0.05
	done
	_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	local keep=() p
	for p in "${_PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	_PIDS=("${keep[@]}")
}

_cleanup() {
	local rc=$? i
	set +e
	for ((i = ${#_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${_AT_EXIT[i]}"
	done
	for ((i = ${#_PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${_PIDS[i]}"
	done
	if [ "${KEEP:-0}" = 1 ]; then
		say "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}

_make_temp
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A counter shared by the subshells of this script, kept in $T.
_next() {
	local f=$T/.counter n=0
	[ -e "$f" ] && n=$(cat "$f")
	n=$((n + 1))
	echo "$n" >"$f"
	echo "$n"
}

new_name() {
	local tag
	tag=$(printf '%s' "$1" | tr 'A-Z_' 'a-z-' | tr -cd 'a-z0-9-')
	echo "$tag-$$-$(_next).example.test"
}

# --- ports and waiting ---------------------------------------------------

_listening() { [ -n "$(ss -Htuln "sport = :$1")" ]; }

free_port() {
	local dir=${SHARED_DIR:-$T}/ports p i
	mkdir -p "$dir"
	# Below the usual ephemeral range, so that no outgoing connection
	# takes it between the check and the server's bind.
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12000))
		_listening "$p" && continue
		# mkdir is atomic: one script of the run gets each port.
		mkdir "$dir/$p" 2>/dev/null || continue
		echo "$p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}

wait_until() {
	local secs=$1 end
	shift
	end=$((SECONDS + secs))
	until "$@"; do
		if ((SECONDS >= end)); then
			echo "wait_until: gave up after ${secs}s: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { wait_until "${2:-10}" _accepts "$1"; }

# Waits for PID to be ready (CMD succeeds); fails at once if it died.
_wait_ready() {
	local pid=$1 secs=$2 log=$3 end
	shift 3
	end=$((SECONDS + secs))
	until "$@"; do
		if _gone "$pid"; then
			echo "--- $log" >&2
			tail -n 30 "$log" >&2
			echo "server $pid exited before it was ready" >&2
			return 1
		fi
		if ((SECONDS >= end)); then
			echo "--- $log" >&2
			tail -n 30 "$log" >&2
			echo "server $pid not ready after ${secs}s" >&2
			return 1
		fi
		sleep 0.05
	done
}

# --- certificates --------------------------------------------------------

# A self-signed listener certificate for 127.0.0.1 and localhost.
_listener_cert() {
	local cert=$1 key=$2
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 30 -subj /CN=localhost \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    -keyout "$key" -out "$cert" 2>/dev/null
}

_fingerprint() {
	openssl x509 -noout -fingerprint -sha256 |
	    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

cert_sha256() { _fingerprint <"$1"; }

tls_leaf_sha256() {
	openssl s_client -connect "$1:$2" -servername "$3" </dev/null \
	    2>/dev/null | _fingerprint
}

# --- Pebble --------------------------------------------------------------

# _pebble_launch PREFIX: starts Pebble from the files start_pebble left
# in ${PREFIX}_DIR and waits until its directory answers.
_pebble_launch() {
	local p=$1 dir pid url bundle flags envs=()
	dir=${p}_DIR
	dir=${!dir}
	url=${p}_DIRECTORY
	url=${!url}
	bundle=$dir/listener.pem
	mapfile -t envs <"$dir/env"
	flags=$(cat "$dir/flags")
	(cd "$dir" && exec env "${envs[@]}" pebble ${flags:+"$flags"} \
	    -config "$dir/pebble.json" -dnsserver "$DNS_ADDR") \
	    >>"$dir/pebble.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	printf -v "${p}_PID" '%s' "$pid"
	export "${p}_PID"
	_wait_ready "$pid" 15 "$dir/pebble.log" \
	    curl -sf -o /dev/null --cacert "$bundle" "$url"
}

start_pebble() {
	local p=$1 dir lport mport tport validity="" kv flags=""
	local envs=(PEBBLE_VA_NOSLEEP=1)
	shift
	for kv in "$@"; do
		case $kv in
		VALIDITY=*) validity=${kv#*=} ;;
		STRICT=1) flags=-strict ;;
		NONCEREJECT=*) envs+=("PEBBLE_WFE_NONCEREJECT=${kv#*=}") ;;
		PEBBLE_*=*) envs+=("$kv") ;;
		*) echo "start_pebble: unknown setting $kv" >&2; return 1 ;;
		esac
	done
	[ -z "$validity" ] ||
	    validity=", \"certificateValidityPeriod\": $validity"
	dir=${_PEBBLE_BASE:-$T}/pebble-$p
	mkdir -p "$dir"
	lport=$(free_port)
	mport=$(free_port)
	tport=$(free_port)
	_listener_cert "$dir/listener.pem" "$dir/listener.key"
	printf '%s\n' "${envs[@]}" >"$dir/env"
	echo "$flags" >"$dir/flags"
	cat >"$dir/pebble.json" <<-EOF
	{"pebble": {"listenAddress": "127.0.0.1:$lport",
	  "managementListenAddress": "127.0.0.1:$mport",
	  "certificate": "listener.pem", "privateKey": "listener.key",
	  "httpPort": $HTTP01_PORT, "tlsPort": $tport,
	  "ocspResponderURL": "", "externalAccountBindingRequired": false
	  $validity}}
	EOF
	printf -v "${p}_DIR" '%s' "$dir"
	printf -v "${p}_DIRECTORY" '%s' "https://127.0.0.1:$lport/dir"
	printf -v "${p}_CA_BUNDLE" '%s' "$dir/listener.pem"
	printf -v "${p}_MGMT" '%s' "https://127.0.0.1:$mport"
	export "${p}_DIR" "${p}_DIRECTORY" "${p}_CA_BUNDLE" "${p}_MGMT"
	_pebble_launch "$p"
}

restart_pebble() {
	local pid=${1}_PID
	stop_pid "${!pid}"
	_pebble_launch "$1"
}

pebble_roots() {
	local file=$1 mgmt=$PEBBLE_MGMT bundle=$ACME_CA_BUNDLE v kind i
	if [ $# -ge 2 ]; then
		v=${2}_MGMT
		mgmt=${!v}
		v=${2}_CA_BUNDLE
		bundle=${!v}
	fi
	: >"$file"
	# roots/N and intermediates/N exist for each alternate chain.
	for kind in roots intermediates; do
		for ((i = 0; ; i++)); do
			curl -sf --cacert "$bundle" "$mgmt/$kind/$i" \
			    >>"$file" || break
		done
		[ "$i" -gt 0 ] || {
			echo "pebble_roots: $mgmt/$kind/0 failed" >&2
			return 1
		}
	done
}

# --- nginx ---------------------------------------------------------------

# _nginx_conf DIR INCLUDE: a main config whose http block includes
# INCLUDE, with every path nginx writes kept under DIR.
_nginx_conf() {
	local d=$1
	mkdir -p "$d/tmp"
	cat >"$d/nginx.conf" <<-EOF
	worker_processes 1;
	pid $d/nginx.pid;
	error_log $d/error.log notice;
	events { worker_connections 256; }
	http {
		access_log $d/access.log;
		client_body_temp_path $d/tmp/body;
		proxy_temp_path $d/tmp/proxy;
		fastcgi_temp_path $d/tmp/fastcgi;
		uwsgi_temp_path $d/tmp/uwsgi;
		scgi_temp_path $d/tmp/scgi;
		default_type application/octet-stream;
		include $2;
	}
	EOF
}

# _nginx_launch DIR: runs nginx in the foreground (its pid is the
# master's) and waits until it wrote its pid file.
_nginx_launch() {
	local d=$1 pid
	nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" \
	    -g 'daemon off;' >>"$d/stderr.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	_wait_ready "$pid" 10 "$d/error.log" test -s "$d/nginx.pid" || return 1
	_NGINX_LAUNCHED=$pid
}

start_nginx() {
	local conf
	conf=$(realpath "$1")
	NGINX_PREFIX=$T/nginx-$(_next)
	mkdir -p "$NGINX_PREFIX"
	_nginx_conf "$NGINX_PREFIX" "$conf"
	NGINX_ERROR_LOG=$NGINX_PREFIX/error.log
	_nginx_launch "$NGINX_PREFIX"
	NGINX_PID=$_NGINX_LAUNCHED
}

# A reload is over when it failed, or when the old workers closed their
# listening sockets (until then they still accept connections).
_nginx_reloaded() {
	local new
	new=$(tail -c "+$(($2 + 1))" "$1")
	grep -q '\[emerg\]' <<<"$new" && return 0
	grep -q 'gracefully shutting down' <<<"$new"
}

# _hup_wait PID LOG: reloads the nginx master PID logging to LOG; status
# 1 when the new configuration did not load.
_hup_wait() {
	local size
	size=$(stat -c %s "$2")
	kill -HUP "$1"
	wait_until 10 _nginx_reloaded "$2" "$size" || return 1
	! tail -c "+$((size + 1))" "$2" | grep -q '\[emerg\]'
}

nginx_reload() { _hup_wait "$NGINX_PID" "$NGINX_ERROR_LOG"; }

# Makes DIR and every folder from $T down to it 0755.
_open_path() {
	local d
	d=$(realpath -m "$1")
	mkdir -p "$d"
	while [ "$d" != "$T" ] && [ "$d" != / ]; do
		chmod 0755 "$d"
		d=$(dirname "$d")
	done
	_traversable "$1" || {
		echo "$1: a folder above it is closed to nginx workers" >&2
		return 1
	}
}

_probe_ok() {
	[ "$(curl -s --max-time 2 -H "Host: $1" \
	    "http://127.0.0.1:$HTTP01_PORT$2")" = "$3" ]
}

# One add_site at a time reloads the shared nginx, under a lock.
_site_install() {
	local ng=$SHARED_DIR/nginx tmp=$1 conf=$2 name=$3 probe=$4 id=$5
	exec 9>"$ng/lock"
	flock 9
	mv "$tmp" "$conf"
	if ! nginx -t -q -p "$ng/" -c "$ng/nginx.conf" -e "$ng/test.log"
	then
		rm -f "$conf"
		echo "add_site: nginx refuses $conf" >&2
		return 1
	fi
	_hup_wait "$(cat "$ng/nginx.pid")" "$ng/error.log" || return 1
	wait_until 10 _probe_ok "$name" "$probe" "$id"
}

add_site() {
	local root=$1 id conf probe
	shift
	[ $# -ge 1 ] || { echo "add_site: no name" >&2; return 1; }
	_open_path "$root"
	root=$(realpath "$root")
	id=site-$$-$(_next)
	conf=$SHARED_DIR/nginx/sites/$id.conf
	probe=/.probe-$id
	cat >"$conf.tmp" <<-EOF
	server {
		listen 127.0.0.1:$HTTP01_PORT;
		server_name $*;
		root $root;
		location = $probe { return 200 "$id"; }
	}
	EOF
	at_exit "rm -f '$conf'"
	(_site_install "$conf.tmp" "$conf" "$1" "$probe" "$id")
}

# --- certbot -------------------------------------------------------------

# certbot retries a badNonce only once, and the shared Pebble rejects 5%
# of nonces: a run that failed on a nonce alone is repeated, up to 3
# times, so that certbot (a peer here, not under test) does not make
# tests flaky.
_certbot() {
	local dir=$1 i rc err
	shift
	mkdir -p "$dir"
	err=$dir/certbot.err
	for ((i = 0; i < 3; i++)); do
		rc=0
		REQUESTS_CA_BUNDLE=$ACME_CA_BUNDLE certbot "$@" \
		    --config-dir "$dir" --work-dir "$dir/work" \
		    --logs-dir "$dir/logs" --non-interactive 2>"$err" ||
		    rc=$?
		cat "$err" >&2
		if [ "$rc" = 0 ] || ! grep -q 'anti-replay nonce' "$err"; then
			break
		fi
	done
	return "$rc"
}

certbot_issue() {
	local root=$1 dir=$2 doms=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		doms+=(-d "$1")
		shift
	done
	[ $# -gt 0 ] && shift
	_open_path "$root"
	_certbot "$dir" certonly --webroot -w "$root" "${doms[@]}" \
	    --server "$ACME_DIRECTORY" --agree-tos -m test@example.org \
	    --no-eff-email "$@"
}

certbot_renew() {
	local dir=$1
	shift
	_certbot "$dir" renew --force-renewal --no-random-sleep-on-renew "$@"
}

# --- fake CA ---------------------------------------------------------------

start_fakeca() {
	local p=$1 dir port cport pid
	shift
	dir=$T/fakeca-$p
	mkdir -p "$dir"
	port=$(free_port)
	cport=$(free_port)
	_listener_cert "$dir/listener.pem" "$dir/listener.key"
	/usr/bin/python3 "$TOP/tests/fakeca/fakeca.py" --port "$port" \
	    --control-port "$cport" --cert "$dir/listener.pem" \
	    --key "$dir/listener.key" --http01-port "${HTTP01_PORT:-0}" \
	    "$@" >>"$dir/fakeca.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	printf -v "${p}_DIRECTORY" '%s' "https://127.0.0.1:$port/dir"
	printf -v "${p}_CA_BUNDLE" '%s' "$dir/listener.pem"
	printf -v "${p}_CTL" '%s' "http://127.0.0.1:$cport"
	printf -v "${p}_PID" '%s' "$pid"
	export "${p}_DIRECTORY" "${p}_CA_BUNDLE" "${p}_CTL" "${p}_PID"
	_wait_ready "$pid" 10 "$dir/fakeca.log" \
	    curl -sf -o /dev/null "http://127.0.0.1:$cport/health"
}

# fakeca_ctl PREFIX PATH [DATA]: GET the control PATH, or POST DATA.
fakeca_ctl() {
	local v=${1}_CTL
	if [ $# -ge 3 ]; then
		curl -sf --data-binary "$3" "${!v}$2"
	else
		curl -sf "${!v}$2"
	fi
}

# --- the shared servers ----------------------------------------------------

_start_dns() {
	local d=$SHARED_DIR port mport pid
	port=$(free_port)
	mport=$(free_port)
	pebble-challtestsrv -http01 "" -https01 "" -tlsalpn01 "" \
	    -dns01 "127.0.0.1:$port" -management "127.0.0.1:$mport" \
	    -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$d/dns.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	DNS_ADDR=127.0.0.1:$port
	DNS_MGMT=http://127.0.0.1:$mport
	_DNS_PID=$pid
}

_start_shared_nginx() {
	local ng=$SHARED_DIR/nginx
	mkdir -p "$ng/sites"
	HTTP01_PORT=$(free_port)
	cat >"$ng/default.conf" <<-EOF
	server {
		listen 127.0.0.1:$HTTP01_PORT default_server;
		server_name _;
		location / { return 404; }
	}
	include $ng/sites/*.conf;
	EOF
	_nginx_conf "$ng" "$ng/default.conf"
	_nginx_launch "$ng"
}

# Starts DNS, nginx and Pebble for this script (or, from tests/run, for
# the whole run) and exports what the scripts need.
start_shared_servers() {
	SHARED_DIR=${SHARED_DIR:-$T/shared}
	mkdir -p "$SHARED_DIR"
	chmod 0755 "$SHARED_DIR"
	export SHARED_DIR
	_start_dns
	_start_shared_nginx
	_PEBBLE_BASE=$SHARED_DIR
	# The shared Pebble keeps the default 5% of nonces rejected.
	start_pebble SHAREDCA
	unset _PEBBLE_BASE
	ACME_DIRECTORY=$SHAREDCA_DIRECTORY
	ACME_CA_BUNDLE=$SHAREDCA_CA_BUNDLE
	PEBBLE_MGMT=$SHAREDCA_MGMT
	_wait_ready "$_DNS_PID" 10 "$SHARED_DIR/dns.log" \
	    _listening "${DNS_ADDR#*:}"
	wait_port "$HTTP01_PORT"
	export ACME_DIRECTORY ACME_CA_BUNDLE PEBBLE_MGMT HTTP01_PORT
	export DNS_ADDR DNS_MGMT
}

if [ -z "${ACME_DIRECTORY:-}" ] && [ "${LIB_NO_AUTOSTART:-0}" != 1 ]; then
	start_shared_servers
fi
