#!/bin/bash
# 50 certificates renewed in one run give one run of the action, also
# when the renewals are spread over longer than settle_ms while the
# renewing client holds its lock (certbot's POSIX lock, acme-webroot's
# flock), and previous_*.pem links keep a burst open.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

le=$T/le
live=$le/live
for i in $(seq 1 50); do
	cw_lineage "$live" "c$i.example.test"
done
cw_conf "$T/cw.ini" "$live"
cw_start "$T/cw.ini"

try "-vv names each watch added and the decision on the first scan"
assert_grep "^<7>$live/c50.example.test: watched$" "$CW_LOG"
assert_grep "^<7>action count: 50 certificates recorded as found" \
    "$CW_LOG"

# renew_all FIRST LAST PAUSE: renews cFIRST..cLAST, pausing PAUSE
# seconds after every tenth.
cat >"$T/renew_all" <<EOF
. "$TOP/tests/integration/cw_core.inc"
for i in \$(seq \$1 \$2); do
	cw_lineage "$live" "c\$i.example.test"
	[ \$((i % 10)) = 0 ] && sleep \$3
done
true
EOF

try "50 renewed at once: one run naming all 50"
n=$(cw_bursts)
bash "$T/renew_all" 1 50 0
cw_wait_idle_after "$n" 30
assert_eq "$(cw_runs)" 1
assert_eq "$(tail -n 1 "$T/runs" | wc -w)" 50

try "-vv: the burst summarised in a few lines, the run in one"
assert_grep '^<7>.*: burst settled after [0-9]+ ms \(quiet for settle_ms\)$' \
    "$CW_LOG"
assert_grep '^<7>.*: burst 2: [0-9]+ changes in c1.example.test, .*, \.\.\.$' \
    "$CW_LOG"
assert test "$(grep -c 'burst' "$CW_LOG")" -le 8
assert_grep '^<6>action count: running for 50 certificates: c' "$CW_LOG"
assert_eq "$(grep -c 'running for' "$CW_LOG")" 1

try "renewals with pauses under certbot's POSIX lock: one run"
n=$(cw_bursts)
python3 - "$le/.certbot.lock" "$T/renew_all" <<'PY'
import fcntl, subprocess, sys
with open(sys.argv[1], "a") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    subprocess.run(["bash", sys.argv[2], "1", "30", "0.5"], check=True)
PY
cw_wait_idle_after "$n" 30
assert_eq "$(cw_runs)" 2
assert_eq "$(tail -n 1 "$T/runs" | wc -w)" 30

try "the lock file alone, not held, delays nothing"
assert test -e "$le/.certbot.lock"
n=$(cw_bursts)
bash "$T/renew_all" 1 1 0
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" 3

try "renewals with pauses under acme-webroot's flock: one run"
n=$(cw_bursts)
flock "$le/.acme-webroot.lock" bash "$T/renew_all" 1 30 0.5
cw_wait_idle_after "$n" 30
assert_eq "$(cw_runs)" 4
assert_eq "$(tail -n 1 "$T/runs" | wc -w)" 30

try "fresh previous_*.pem links hold a burst open until removed"
n=$(cw_bursts)
ln -s ../../archive/c1.example.test/cert1.pem \
    "$live/c1.example.test/previous_cert.pem"
bash "$T/renew_all" 1 10 0.5
bash "$T/renew_all" 11 20 0
rm "$live/c1.example.test/previous_cert.pem"
cw_wait_idle_after "$n" 30
assert_eq "$(cw_runs)" 5
assert_eq "$(tail -n 1 "$T/runs" | wc -w)" 20

cw_stop
pass
