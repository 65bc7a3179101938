#!/bin/bash
# The daemon under a (test) service manager: READY=1 once watching,
# STATUS=, RELOADING=1 then READY=1 around SIGHUP, a configuration with
# errors kept out, SIGTERM ends it cleanly; --check and its exit codes,
# a byte order mark, a live_dir that is not a directory;
# journald priority prefixes; live_dir appearing after start; polling.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/cw_core.inc"

live=$T/le/live
cw_lineage "$live" a.example.test
cw_conf "$T/cw.ini" "$live"

try "--check prints the plan and exits 0"
assert_status 0 "$CW" -c "$T/cw.ini" --check
assert_grep "watch $live" "$OUT"
assert_grep "settle after 200 ms" "$OUT"

try "--check names FILE:LINE of every error and exits 2"
cw_conf "$T/bad.ini" "$live" "retry_max = many" "bogus_key = 1" \
    "[cert-watch]" "settle_msec = 5" "state_file = $T/no/state.json"
assert_status 2 "$CW" -c "$T/bad.ini" --check
assert_grep "bad.ini:11: retry_max: \"many\"" "$ERR"
assert_grep "bad.ini:12: .*bogus_key" "$ERR"
assert_grep "bad.ini:13: \[cert-watch\] given twice" "$ERR"
assert_grep "bad.ini:14: unknown key \"settle_msec\" .*\"settle_ms\"" "$ERR"
assert_grep "bad.ini:15: state_file $T/no/state.json: $T/no does not" "$ERR"
assert_grep "bad.ini: 5 errors" "$ERR"
assert_status 2 "$CW" -c "$T/missing.ini" --check
assert_grep "missing.ini" "$ERR"
assert_status 2 "$CW" -c "$T" --check
assert_grep "^cert-watch: $T: not a regular file$" "$ERR"
assert_status 0 "$CW" --version
assert_status 0 "$CW" -h
assert_status 2 "$CW" --no-such-option

try "a byte order mark is accepted; a live_dir that is no directory is not"
printf '\xef\xbb\xbf' >"$T/bom.ini"
cat "$T/cw.ini" >>"$T/bom.ini"
assert_status 0 "$CW" -c "$T/bom.ini" --check
touch "$T/plain"
cw_conf "$T/plain.ini" "$T/plain"
assert_status 2 "$CW" -c "$T/plain.ini" --check
assert_grep "plain.ini: live_dir $T/plain: not a directory" "$ERR"
ln -s loop2 "$T/loop1"
ln -s loop1 "$T/loop2"
cw_conf "$T/loop.ini" "$T/loop1"
assert_status 2 "$CW" -c "$T/loop.ini" --check
assert_grep "loop.ini: live_dir $T/loop1: Too many levels of symbolic links" \
    "$ERR"

# cw_config tries the rule where /var/lib/cert-watch exists.
if [ ! -e /var/lib/cert-watch ]; then
	try "etc/cert-watch.ini as shipped passes --check before the unit ran"
	assert_status 0 "$CW" -c "$TOP/etc/cert-watch.ini" --check
	assert_grep "/var/lib/cert-watch does not exist yet" "$ERR"
fi

try "etc/cert-watch.ini, every commented key enabled, passes --check"
sed -E -e 's/^; (\[action |[a-z_]+ = )/\1/' \
    -e "s|^live_dir = .*|live_dir = $live|" \
    -e "s|^state_file = .*|state_file = $T/state.json|" \
    -e 's/^install_group = .*/install_group = 0/' \
    "$TOP/etc/cert-watch.ini" >"$T/example.ini"
assert_status 0 "$CW" -c "$T/example.ini" --check
assert_grep '^action mup-proxy: docker exec' "$OUT"

try "the example and README show every key"
keys=$(sed -n 's/^	{ "\([a-z_]*\)", K_.*/\1/p' "$TOP/cert-watch/action.c")
assert test "$(echo "$keys" | wc -w)" -ge 19
for k in $keys certs min_interval retry_max live_dir settle_ms \
    max_settle_ms state_file poll_interval; do
	assert_grep "^(; )?$k = " "$T/example.ini"
	assert_grep "^\| \`$k\` \|" "$TOP/README.md"
done
for v in CERT_WATCH_NAMES CERT_WATCH_LINEAGES RENEWED_LINEAGE \
    RENEWED_DOMAINS; do
	assert_grep "$v" "$TOP/README.md"
done

try "READY=1 and an idle STATUS= once watching"
cw_start "$T/cw.ini"
assert_grep '^READY=1$' "$CW_NOTIFY"
assert_grep '^STATUS=idle; watching 1 certificates in ' "$CW_NOTIFY"

try "log lines carry journald priority prefixes"
n=$(cw_bursts)
cw_mismatch "$live" a.example.test
cw_wait_idle_after "$n"
assert_grep '^<3>.*does not match' "$CW_LOG"
cw_lineage "$live" a.example.test

try "SIGHUP with a broken configuration keeps the running one"
cp "$T/cw.ini" "$T/good.ini"
cp "$T/bad.ini" "$T/cw.ini"
kill -HUP "$CW_PID"
wait_until 10 grep -q 'not reloaded' "$CW_LOG"
cw_wait_notified '^READY=1' 2
# RELOADING=1, then READY=1, then a STATUS= that says it.
assert_eq "$(grep -E '^(RELOADING|READY)=1' "$CW_NOTIFY" | cut -c1-11 |
    tr '\n' ' ')" "READY=1 RELOADING=1 READY=1 "
assert_grep "^STATUS=[a-z]*; $T/cw.ini not reloaded, the previous one runs;" \
    "$CW_NOTIFY"
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
runs=$(cw_runs)
assert test "$runs" -ge 1

try "SIGHUP with a good configuration applies it"
cw_conf "$T/cw.ini" "$live" "[action second]" "type = exec" \
    "command = echo second >> $T/second" "min_interval = 0"
n=$(cw_bursts)
kill -HUP "$CW_PID"
cw_wait_notified '^READY=1' 3
cw_wait_idle_after "$n"
refute test -e "$T/second"	# a new action records, does not act
assert_no_grep 'not reloaded' <(_cw_status)
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" $((runs + 1))
assert_eq "$(wc -l <"$T/second")" 1

try "SIGTERM: clean exit"
cw_stop
assert_grep '^STOPPING=1' "$CW_NOTIFY"

try "a live_dir made after start is watched"
late=$T/late/le/live
cw_conf "$T/late.ini" "$late"
sed -i "s|$T/state.json|$T/late-state.json|" "$T/late.ini"
cw_start "$T/late.ini"
assert_grep 'waiting for .* to appear' "$CW_NOTIFY"
mkdir -p "$late"
cw_lineage "$late" a.example.test
wait_until 10 grep -q 'watching 1 certificates' "$CW_NOTIFY"
n=$(cw_bursts)
cw_lineage "$late" a.example.test
cw_wait_idle_after "$n"
assert_eq "$(tail -n 1 "$T/runs")" a.example.test
cw_stop

try "poll_interval polls instead of inotify"
cw_conf "$T/poll.ini" "$live" 
sed -i "s|^max_settle_ms = .*|&\npoll_interval = 300ms|" "$T/poll.ini"
cw_start "$T/poll.ini"
assert_grep 'polling 1 certificates' "$CW_NOTIFY"
runs=$(cw_runs)
n=$(cw_bursts)
cw_lineage "$live" a.example.test
cw_wait_idle_after "$n"
assert_eq "$(cw_runs)" $((runs + 1))
cw_stop

pass
