#!/bin/bash
# Certificate directories that come, go and are exchanged while
# cert-watch runs; a mismatched key and certificate; a FIFO in a
# lineage; names that logs and CERT_WATCH_NAMES cannot carry.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
cw_lineage "$live" a.example.test
cw_conf "$T/cw.ini" "$live"
cw_start "$T/cw.ini"

try "a renewal gives one run"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 1

try "a mismatched key and certificate: no run, an error naming them"
n=$(cw_bursts)
cw_mismatch "$live" a.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 1
lin=$live/a.example.test
assert_grep "$lin/privkey.pem does not match $lin/fullchain.pem" "$CW_LOG"

try "fixed: one run"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 2

try "a directory made after start is watched and acted on"
n=$(cw_bursts)
cw_lineage "$live" new.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 3
assert_eq "$(tail -n 1 "$T/runs")" new.example.test
n=$(cw_bursts)
cw_lineage "$live" new.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 4

try "a removed directory is logged and not acted on"
n=$(cw_bursts)
rm -r "$live/new.example.test"
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 4
assert_grep "$live/new.example.test: removed" "$CW_LOG"

try "recreated, it is acted on again"
n=$(cw_bursts)
cw_lineage "$live" new.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 5

try "a directory exchanged into place is acted on and watched"
mkdir "$live/.x.example.test.new"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$live/.x.example.test.new/privkey.pem" \
    -out "$live/.x.example.test.new/fullchain.pem" \
    -subj /CN=x.example.test -days 2 2>/dev/null
n=$(cw_bursts)
python3 - "$live/.x.example.test.new" "$live/a.example.test" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
if libc.renameat2(AT_FDCWD, sys.argv[1].encode(), AT_FDCWD,
                  sys.argv[2].encode(), RENAME_EXCHANGE) != 0:
    sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
PY
rm -r "$live/.x.example.test.new"
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 6
assert_eq "$(tail -n 1 "$T/runs")" a.example.test
n=$(cw_bursts)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$live/a.example.test/k.tmp" -out "$live/a.example.test/c.tmp" \
    -subj /CN=a.example.test -days 2 2>/dev/null
mv "$live/a.example.test/c.tmp" "$live/a.example.test/fullchain.pem"
mv "$live/a.example.test/k.tmp" "$live/a.example.test/privkey.pem"
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 7

try "links made before their files: acted on once complete, no error"
arch=$T/le/archive/inc.example.test
mkdir -p "$live/inc.example.test" "$arch"
n=$(cw_bursts)
for f in cert privkey chain fullchain; do
	ln -s "../../archive/inc.example.test/${f}1.pem" \
	    "$live/inc.example.test/$f.pem"
done
wait_until 10 grep -q 'inc.example.test/fullchain.pem.*incomplete for now' \
    "$CW_LOG"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$arch/privkey1.pem" -out "$arch/cert1.pem" \
    -subj /CN=inc.example.test -days 2 2>/dev/null
cp "$arch/cert1.pem" "$arch/fullchain1.pem"
cp "$arch/cert1.pem" "$arch/chain1.pem"
runs=$(cw_runs)
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" $((runs + 1))
assert_eq "$(tail -n 1 "$T/runs")" inc.example.test
assert_no_grep 'incomplete after' "$CW_LOG"

try "links that stay dangling: an error naming the file after max_settle_ms"
mkdir "$live/dangling.example.test"
n=$(cw_bursts)
ln -s ../../archive/none/fullchain1.pem \
    "$live/dangling.example.test/fullchain.pem"
ln -s ../../archive/none/privkey1.pem \
    "$live/dangling.example.test/privkey.pem"
cw_wait_idle_after "$n"
assert_grep "dangling.example.test/fullchain.pem: .*incomplete after 5000 ms" \
    "$CW_LOG"
assert_eq "$(cw_runs)" $((runs + 1))

try "a FIFO as archive/NAME/fullchain1.pem is named, not waited on"
n=$(cw_bursts)
cw_lineage "$live" fifo.example.test
cw_wait_idle_after "$n"
fifo=$T/le/archive/fifo.example.test/fullchain1.pem
rm "$fifo"
mkfifo "$fifo"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
assert cw_wait_idle_after "$n"
assert_grep "$live/fifo.example.test/fullchain.pem: not a regular file" \
    "$CW_LOG"
assert_eq "$(tail -n 1 "$T/runs")" a.example.test
n=$(cw_bursts)
rm -r "$live/fifo.example.test" "$T/le/archive/fifo.example.test"
cw_wait_idle_after "$n"

try "names with a newline or a blank are reported escaped, never acted on"
n=$(cw_bursts)
runs=$(cw_runs)
cp -a "$live/a.example.test" "$live/x"$'\n''<0>forged'
cp -a "$live/a.example.test" "$live/b c.example.test"
cw_wait_idle_after "$n"
assert_grep 'x\\x0a<0>forged: blanks or control characters in the name; not ' \
    "$CW_LOG"
assert_grep "b c.example.test: blanks or control characters in the name" \
    "$CW_LOG"
assert_no_grep '^<0>' "$CW_LOG"
assert_eq "$(cw_runs)" "$runs"
n=$(cw_bursts)
rm -r "$live/x"$'\n''<0>forged' "$live/b c.example.test"
cw_wait_idle_after "$n"

try "the watcher logs a directory name escaped"
n=$(cw_bursts)
cp -a "$live/a.example.test" "$live/"$'\xc3\xa9'".example.test"
cw_wait_idle_after "$n"
assert_grep "/live/\\\\xc3\\\\xa9\\.example\\.test: watched" "$CW_LOG"
assert_no_grep $'\xc3\xa9.example.test: watched' "$CW_LOG"
n=$(cw_bursts)
rm -r "$live/"$'\xc3\xa9'".example.test"
cw_wait_idle_after "$n"

try "nothing is logged while idle"
size=$(stat -c %s "$CW_LOG")
n=$(cw_bursts)
wait_until 2 false 2>/dev/null || true
assert_eq "$(stat -c %s "$CW_LOG")" "$size"
assert_eq "$(cw_bursts)" "$n"

cw_stop
pass
