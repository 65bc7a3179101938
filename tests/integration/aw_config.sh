#!/bin/bash
# Configuration errors: every one reported as FILE:LINE, exit 2, an
# unknown NAME is a usage error, and renew still serves the valid
# sections while it skips the broken one.  The paths a run needs are
# checked by check, and by renew before it asks the CA for anything.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

name=$(new_name config)
add_site "$T/www" "$name"
aw_config "$T/aw.ini" "$T/state" "$T/www" ok "$name"
cat >>"$T/aw.ini" <<'CONF'

[cert broken]
domains = *.example.test
webrot = /var/www
key_type = ec-999
CONF

try "check reports each error with its line and exits 2"
assert_status 2 "$AW" -c "$T/aw.ini" check
assert_grep "aw.ini:1[0-9]: .*\*\.example\.test" "$ERR"
assert_grep "aw.ini:1[0-9]: .*webrot.*did you mean \"webroot\"" "$ERR"
assert_grep "aw.ini:1[0-9]: .*ec-999" "$ERR"

try "renew issues the valid section, skips the broken one, exits 2"
assert_status 2 "$AW" -c "$T/aw.ini" renew
assert_grep "^ok: issued" "$OUT"
assert_grep "broken: skipped" "$ERR"
assert test -e "$T/state/live/ok/cert.pem"
assert test ! -e "$T/state/live/broken"

try "status shows the broken section invalid, with its first error"
assert_status 1 "$AW" -c "$T/aw.ini" status broken
assert_grep "^broken +invalid .*aw.ini:1[0-9]: .*\*\.example\.test" "$OUT"
assert_status 1 "$AW" -c "$T/aw.ini" status --json broken
assert_grep '"config_error": ".*aw.ini:1[0-9]: ' "$OUT"

try "a renew_before as long as the lifetime: a warning, the default used"
aw_config "$T/rb.ini" "$T/state" "$T/www" ok "$name" -- \
    "renew_before = 3650d"
line=$(grep -n "^renew_before = 3650d" "$T/rb.ini" | cut -d: -f1)
assert_status 0 "$AW" -c "$T/rb.ini" renew
assert_eq "$(cat "$OUT")" ""
want="^acme-webroot: ok: $T/rb.ini:$line: renew_before is not shorter"
want="$want than the certificate's lifetime of [0-9]+ days; the default"
assert_eq "$(grep -cE "$want" "$ERR")" 1
assert_eq "$(wc -l <"$ERR")" 1

try "a user who cannot read the stored files sees them unreadable"
assert_status 1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$AW" -c "$T/aw.ini" status ok
assert_grep "^ok +unreadable .*the stored files cannot be read" "$OUT"
assert_status 1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$AW" -c "$T/aw.ini" status --json ok
assert_grep '"state": "unreadable"' "$OUT"
assert_grep '"due": null' "$OUT"

try "issue refuses a lineage that certbot manages, naming its file"
aw_config "$T/cb.ini" "$T/cb" "$T/www" cb "$name"
mkdir -p "$T/cb/renewal"
touch "$T/cb/renewal/cb.conf"
assert_status 1 "$AW" -c "$T/cb.ini" issue cb
assert_grep "^acme-webroot: cb: $T/cb/renewal/cb.conf: certbot manages" \
    "$ERR"
assert test ! -e "$T/cb/live/cb"

try "renew passes over it quietly, -v says so, status shows it"
assert_status 0 "$AW" -c "$T/cb.ini" renew
assert_eq "$(cat "$OUT" "$ERR")" ""
assert_status 0 "$AW" -c "$T/cb.ini" -v renew
assert_grep "cb: skipped: certbot manages it \($T/cb/renewal/cb.conf\)" \
    "$ERR"
assert_status 0 "$AW" -c "$T/cb.ini" status
assert_grep "^cb +certbot " "$OUT"

try "an unknown NAME is a usage error"
assert_status 2 "$AW" -c "$T/aw.ini" issue nosuch
assert_grep "nosuch" "$ERR"

try "a configuration without [cert ...] sections is said so, exit 0"
printf '[defaults]\ndirectory = %s\n' "$ACME_DIRECTORY" >"$T/empty.ini"
assert_status 0 "$AW" -c "$T/empty.ini" check
assert_grep "empty.ini: warning: no \[cert \.\.\.\] sections" "$ERR"
assert_status 0 "$AW" -c "$T/empty.ini" renew
assert_grep "empty.ini: warning: no \[cert \.\.\.\] sections" "$ERR"

try "a missing configuration file is named"
assert_status 2 "$AW" -c "$T/missing.ini" renew
assert_grep "missing.ini" "$ERR"

try "check finds missing webroots, a webroot that is a file, no ca_bundle"
touch "$T/file"
aw_config "$T/paths.ini" "$T/state" "$T/nowhere" paths "$name" \
    other.example.test -- "webroot.other.example.test = $T/file"
sed -i "s#^ca_bundle = .*#ca_bundle = $T/missing.pem#" "$T/paths.ini"
assert_status 2 "$AW" -c "$T/paths.ini" check
assert_grep "paths.ini:8: webroot of \[cert paths\]: $T/nowhere: does not exist" \
    "$ERR"
assert_grep "paths.ini:12: webroot.other.example.test of \[cert paths\]: $T/file: is not a directory" \
    "$ERR"
assert_grep "paths.ini:5: ca_bundle of \[cert paths\]: $T/missing.pem: does not exist" \
    "$ERR"

try "renew finds a missing webroot before it asks the CA for an order"
sed -i "s#^ca_bundle = .*#ca_bundle = $ACME_CA_BUNDLE#" "$T/paths.ini"
aw_counting_ca "$T/paths.ini"
assert_status 1 "$AW" -c "$T/paths.ini" renew
assert_grep "paths: .*paths.ini:8: webroot of \[cert paths\]: $T/nowhere: does not exist" \
    "$ERR"
assert_eq "$(aw_ca_contacts)" 0

try "usage errors exit 2"
assert_status 2 "$AW" -c "$T/aw.ini" frobnicate
assert_status 2 "$AW" -c "$T/aw.ini" issue

try "an unknown verb is named before any configuration is read"
assert_status 2 "$AW" frobnicate
assert_grep '^acme-webroot: unknown verb "frobnicate"' "$ERR"
assert_no_grep "acme-webroot\.ini" "$ERR"
assert_status 2 "$AW" -c "$T/missing.ini" staus
assert_grep 'unknown verb "staus" \(did you mean "status"\?\)' "$ERR"

try "check takes NAMEs, and an unknown one is an error"
assert_status 2 "$AW" -c "$T/aw.ini" check extra
assert_grep "no \[cert extra\] section" "$ERR"

try "--json is refused outside status"
assert_status 2 "$AW" -c "$T/aw.ini" check --json
assert_grep "^acme-webroot: --json is for status only" "$ERR"
assert_status 2 "$AW" -c "$T/aw.ini" --json renew

try "option errors name the program, not its path"
assert_status 2 "$AW" -c "$T/aw.ini" --frob status
assert_grep '^acme-webroot: unknown option "--frob"' "$ERR"
assert_status 2 "$AW" -c "$T/aw.ini" -qx status
assert_grep '^acme-webroot: unknown option "-x"' "$ERR"
assert_status 2 "$AW" status -c
assert_grep '^acme-webroot: option "-c" needs an argument' "$ERR"
assert_no_grep "/acme-webroot:" "$ERR"
assert_status 0 "$AW" --version
assert_grep "^acme-webroot [0-9]" "$OUT"

pass
