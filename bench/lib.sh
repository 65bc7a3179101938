# shellcheck shell=bash
# Shared by the benchmarks: bench/NAME.sh starts with
#
#	. "$(dirname "$0")/lib.sh"
#
# and gets tests/lib.sh (a private $T, waiting, stopping what it
# started) and tests/integration/cw_core.inc (lineages, cert-watch
# under a test notify socket), with $AW and $CW the optimised build,
# not the sanitizer one.  Benchmarks print figures; they pass or fail
# only on whether they could be measured.
#
#   measure LABEL CMD...   runs CMD (output discarded), prints LABEL,
#                          the wall and CPU (user + system) times and
#                          the peak RSS; on a busy machine the CPU time
#                          is the steadier figure
#   lineages LIVE N        N lineages LIVE/cNNNN.example.test,
#                          self-signed EC made with openssl, valid 90 days
#   proc_rss PID           the peak RSS of a running process, in KiB
#   wakeups PID SECS       how often PID was switched out in SECS seconds
#                          (its threads' context switches, /proc)

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AW=${AW:-$BENCH_DIR/../acme-webroot/acme-webroot}
CW=${CW:-$BENCH_DIR/../cert-watch/cert-watch}
export LIB_NO_AUTOSTART=1
. "$BENCH_DIR/../tests/lib.sh"
. "$TOP/tests/integration/cw_core.inc"

measure() {
	local label=$1 start end rc=0
	shift
	start=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$T/measure.rss" "$@" >/dev/null \
	    2>"$T/measure.err" || rc=$?
	end=$EPOCHREALTIME
	if [ "$rc" != 0 ] && [ "${MEASURE_OK_STATUS:-0}" != "$rc" ]; then
		echo "$label: exit status $rc" >&2
		tail -n 5 "$T/measure.err" >&2
		return 1
	fi
	tail -n 1 "$T/measure.rss" | awk -v l="$label" -v s="$start" \
	    -v e="$end" '{
		printf "%-46s %7.3f s (cpu %6.3f s) %6.1f MiB peak RSS\n",
		    l, e - s, $2 + $3, $1 / 1024 }'
}

# The certificates are made by openssl, one process each, several at
# once; the lineages around them (archive/NAME/*1.pem, live/NAME/*.pem
# links, certbot's layout) in one pass.  They share one key.
lineages() {
	local live=$1 n=$2 key=$T/lineage.key certs=$T/lineage-certs
	mkdir -p "$live" "$certs"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$key" 2>/dev/null
	seq -f 'c%04g.example.test' 1 "$n" |
	    xargs -P "$(( $(nproc) * 2 ))" -I{} openssl req -x509 \
	    -key "$key" -out "$certs/{}" -subj "/CN={}" \
	    -addext "subjectAltName=DNS:{}" -days 90 2>/dev/null
	python3 "$BENCH_DIR/lineages.py" "$live" "$key" "$certs"
}

proc_rss() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

_switches() {
	cat "/proc/$1"/task/*/status 2>/dev/null |
	    awk '/ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

wakeups() {
	local before
	before=$(_switches "$1")
	sleep "$2"
	echo $(( $(_switches "$1") - before ))
}
