#!/bin/bash
# The plain builds (no sanitizer) under valgrind's memcheck: one full
# issuance by acme-webroot against the shared Pebble and nginx, with a
# deploy hook; cert-watch settling one change, reloading its
# configuration, and exiting on SIGTERM.  Neither may report an error
# or a definite leak.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"
. "$(dirname "$0")/cw_core.inc"

command -v valgrind >/dev/null || skip "valgrind is not installed"

AW=$TOP/acme-webroot/acme-webroot
CW=$TOP/cert-watch/cert-watch
if [ ! -x "$AW" ] || [ ! -x "$CW" ]; then
	make -s -C "$TOP" all >"$T/make.log" 2>&1 ||
		{ cat "$T/make.log" >&2; fail "the plain build failed"; }
fi

# valgrind's own messages go to $T/vg-PID.log; its exit status is 99
# when it found an error or a definite leak.
VG=(valgrind --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --child-silent-after-fork=yes
    --log-file="$T/vg-%p.log")

# clean LOG: the report holds no error and no definite leak.
clean() {
	grep -q 'ERROR SUMMARY: 0 errors' "$1" &&
	    ! grep -q 'definitely lost: [1-9]' "$1" && return 0
	cat "$1" >&2
	return 1
}

name=$(new_name vg)
add_site "$T/www" "$name"
aw_config "$T/aw.ini" "$T/state" "$T/www" site "$name" -- \
    "deploy_hook = echo \$RENEWED_DOMAINS > $T/deployed"

try "acme-webroot issues under valgrind without a report"
run "${VG[@]}" "$AW" -c "$T/aw.ini" -v issue site
[ "$RC" = 0 ] || { cat "$ERR" "$T"/vg-*.log >&2; fail "$_DESC: exit $RC"; }
assert_grep "^site: issued version 1" "$OUT"
assert_eq "$(cat "$T/deployed")" "$name"
for log in "$T"/vg-*.log; do
	assert clean "$log"
done
rm -f "$T"/vg-*.log

try "cert-watch settles a change and reloads under valgrind"
live=$T/le/live
cw_lineage "$live" a.example.test
cw_conf "$T/cw.ini" "$live"
# valgrind keeps the daemon's pid (it does not fork), so CW_PID is it.
CW_WRAP="${VG[*]}" cw_start "$T/cw.ini"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n" 60
assert_eq "$(cw_runs)" 1
kill -HUP "$CW_PID"
cw_wait_notified '^READY=1' 2

try "cert-watch exits 0 on SIGTERM with no report"
cw_stop
log=$T/vg-$CW_PID.log
assert test -s "$log"
assert clean "$log"

pass
