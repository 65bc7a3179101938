#!/bin/bash
# What README says of the integration scripts: the ones it names as
# starting a private Pebble or nginx are exactly those that do.
export LIB_NO_AUTOSTART=1
. "$(dirname "$0")/../lib.sh"

try "README names every script that starts a private Pebble or nginx"
named=$(sed -n '/^Pebble validates through the DNS server/,/^$/p' \
    "$TOP/README.md" | grep -oE '`(aw|cw)_[a-z_]+`' | tr -d '`' | sort)
private=$(grep -lE '(^|[^_a-z])(start_pebble|start_nginx)( |$)' \
    "$TOP"/tests/integration/*.sh | xargs -n1 basename | sed 's/\.sh$//' |
    sort)
assert test -n "$private"
assert_eq "$named" "$private"
