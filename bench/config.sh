#!/bin/bash
# Loading large configurations: acme-webroot with BENCH_CERTS (5000)
# [cert] sections of three names each, and cert-watch with
# BENCH_ACTIONS (1000) [action] sections, each checked as `check` and
# `--check` do.
. "$(dirname "$0")/lib.sh"

certs=${BENCH_CERTS:-5000}
actions=${BENCH_ACTIONS:-1000}

# aw_conf N: a configuration of N certificates.
aw_conf() {
	local i n=$1
	printf '[defaults]\ndirectory = https://127.0.0.1:1/dir\n'
	printf 'agree_tos = yes\nstate_dir = %s/state\n' "$T"
	printf 'webroot = %s/www\n' "$T"
	for ((i = 0; i < n; i++)); do
		printf '\n[cert c%d.example.test]\n' "$i"
		printf 'domains = c%d.example.test www.c%d.example.test\n' \
		    "$i" "$i"
		printf '    shop.c%d.example.test\n' "$i"
	done
}

cw_actions_conf() {
	local i
	printf '[cert-watch]\nlive_dir = %s/live\n' "$T"
	printf 'state_file = %s/state.json\n' "$T"
	for ((i = 0; i < actions; i++)); do
		printf '\n[action a%d]\ntype = exec\n' "$i"
		printf 'command = /bin/true %d\ncerts = c%d.example.test\n' \
		    "$i" "$i"
	done
}

# Half the size too, to show how the time grows.
for n in $((certs / 2)) "$certs"; do
	aw_conf "$n" >"$T/aw.ini"
	measure "acme-webroot check, $n [cert] sections" \
	    "$AW" -c "$T/aw.ini" check
done
cw_actions_conf >"$T/cw.ini"
measure "cert-watch --check, $actions [action] sections" \
    "$CW" -c "$T/cw.ini" --check
