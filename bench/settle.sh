#!/bin/bash
# cert-watch settling a burst: BENCH_CHANGES (500) changes to
# BENCH_SETTLE_CERTS (100) certificate folders, one every
# BENCH_GAP_MS (2) ms, each flipping a lineage's live links between its
# two versions (as a renewal does).  Prints how many bursts they made,
# the time from the last change to the action, and cert-watch's peak
# RSS.  settle_ms is 200 (tests/integration/cw_core.inc).
. "$(dirname "$0")/lib.sh"

changes=${BENCH_CHANGES:-500}
certs=${BENCH_SETTLE_CERTS:-100}
gap_ms=${BENCH_GAP_MS:-2}
live=$T/le/live

# Two versions of each, the second one live.
export -f cw_lineage
seq -f 'c%04g.example.test' 1 "$certs" |
    xargs -P "$(( $(nproc) * 2 ))" -I{} bash -c \
    'cw_lineage "$1" "$2" && cw_lineage "$1" "$2"' _ "$live" {}

cw_conf "$T/cw.ini" "$live" "[action stamp]" "type = exec" \
    "command = date +%s%N >> $T/stamps" "min_interval = 0"
cw_start "$T/cw.ini"
bursts=$(cw_bursts)

# The burst, from one process so that it is as dense as asked; prints
# the time of the last change in ns.
last=$(python3 - "$live" "$changes" "$gap_ms" <<'PY'
import os, sys, time
live, changes, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
names = sorted(os.listdir(live))
version = {n: 2 for n in names}
for i in range(changes):
    name = names[i % len(names)]
    version[name] = 3 - version[name]
    for kind in ("cert", "chain", "fullchain", "privkey"):
        link = os.path.join(live, name, kind + ".pem")
        os.symlink("../../archive/%s/%s%d.pem" % (name, kind,
                   version[name]), link + ".new")
        os.replace(link + ".new", link)
    time.sleep(gap / 1000)
print(time.time_ns())
PY
)

wait_until 30 test -s "$T/stamps"
cw_wait_idle_after "$bursts" 30
stamp=$(head -n 1 "$T/stamps")
served=$(head -n 1 "$T/runs" | wc -w)
rss=$(proc_rss "$CW_PID")
cw_stop
awk -v c="$changes" -v n="$certs" -v b="$(( $(cw_bursts) - bursts ))" \
    -v ms="$(( (stamp - last) / 1000000 ))" -v s="$served" -v r="$rss" \
    'BEGIN {
	printf "%d changes to %d certificates: %d burst(s), action %d ms " \
	    "after the last change, for %d certificates\n", c, n, b, ms, s
	printf "cert-watch peak RSS %.1f MiB\n", r / 1024 }'
