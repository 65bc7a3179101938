#!/bin/bash
# `acme-webroot status` over BENCH_STATUS_CERTS (2000) certificates in
# a state folder of certbot-style lineages made with openssl, as a
# table and as JSON.  Status reads every lineage and makes no request.
. "$(dirname "$0")/lib.sh"

n=${BENCH_STATUS_CERTS:-2000}
state=$T/state

start=$EPOCHREALTIME
lineages "$state/live" "$n"
awk -v n="$n" -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN {
	printf "%d lineages made with openssl in %.1f s\n", n, e - s }'

{
	printf '[defaults]\ndirectory = https://127.0.0.1:1/dir\n'
	printf 'agree_tos = yes\nstate_dir = %s\nwebroot = %s/www\n' \
	    "$state" "$T"
	seq -f '[cert c%04g.example.test]' 1 "$n" |
	    sed 's/^\[cert \(.*\)\]$/&\ndomains = \1/'
} >"$T/aw.ini"

measure "acme-webroot status, $n certificates" \
    "$AW" -c "$T/aw.ini" status
measure "acme-webroot status --json, $n certificates" \
    "$AW" -c "$T/aw.ini" status --json
