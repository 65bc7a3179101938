#!/bin/bash
# Hooks around a run (pre once, post with RENEWED_ and FAILED_DOMAINS,
# deploy owed until it succeeds, renewal-hooks directories), the run
# lock (exit 75 naming the holder, --wait), and key_group modes.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

good=$(new_name hooks) bad=$(new_name hooks)
add_site "$T/www" "$good"
mkdir -p "$T/nowhere"
aw_config "$T/aw.ini" "$T/state" "$T/www" good "$good" -- \
    "deploy_hook = $T/deploy.sh"
cat >>"$T/aw.ini" <<CONF
[cert bad]
domains = $bad
webroot = $T/nowhere
CONF
sed -i "/^\[defaults\]/a pre_hook = echo pre >> $T/pre.log\npost_hook = $T/post.sh" \
    "$T/aw.ini"
printf '#!/bin/sh\necho "R=$RENEWED_DOMAINS F=$FAILED_DOMAINS" >> %s\n' \
    "$T/post.log" >"$T/post.sh"
printf '#!/bin/sh\necho deploy >> %s\necho "deploy says hello"\nexit 0\n' \
    "$T/deploy.log" >"$T/deploy.sh"
chmod +x "$T/post.sh" "$T/deploy.sh"
mkdir -p "$T/state/renewal-hooks/deploy"
printf '#!/bin/sh\necho "$RENEWED_LINEAGE" >> %s\n' "$T/dir-hook.log" \
    >"$T/state/renewal-hooks/deploy/10-log"
chmod +x "$T/state/renewal-hooks/deploy/10-log"

try "one good and one failing certificate: exit 1"
assert_status 1 "$AW" -c "$T/aw.ini" renew
assert_grep "^good: issued" "$OUT"

try "the pre hook ran once, the post hook once with both lists"
assert_eq "$(wc -l <"$T/pre.log")" 1
assert_eq "$(cat "$T/post.log")" "R=$good F=$bad"

try "the deploy hook and renewal-hooks/deploy ran for good"
assert_eq "$(wc -l <"$T/deploy.log")" 1
assert_eq "$(cat "$T/dir-hook.log")" "$T/state/live/good"

try "a failing deploy hook makes issue exit 1 and stays owed"
sed -i 's/^exit .*/exit 3/' "$T/deploy.sh"
assert_status 1 "$AW" -c "$T/aw.ini" issue good
assert_grep "exit.* 3" "$ERR"
assert_grep "deploy_hook: deploy says hello" "$ERR"

try "its output comes before the line that says it failed"
said=$(grep -n "deploy says hello" "$ERR" | cut -d: -f1)
failed=$(grep -n "exited with status 3" "$ERR" | cut -d: -f1)
assert test "$said" -lt "$failed"

try "renew runs it again; status shows it failing and why"
assert_status 1 "$AW" -c "$T/aw.ini" renew good
assert_eq "$(wc -l <"$T/deploy.log")" 3
assert_status 1 "$AW" -c "$T/aw.ini" status good
assert_grep "^good +failing .*deploy hook failed: .*exited with status 3" \
    "$OUT"
assert_status 1 "$AW" -c "$T/aw.ini" status --json good
assert_grep '"last_failure": "deploy hook failed: .*status 3"' "$OUT"
assert_grep '"deploy_pending": true' "$OUT"

try "once it succeeds it is no longer owed"
sed -i 's/^exit .*/exit 0/' "$T/deploy.sh"
assert_status 0 "$AW" -c "$T/aw.ini" renew good
assert_eq "$(wc -l <"$T/deploy.log")" 4
assert_status 0 "$AW" -c "$T/aw.ini" renew good
assert_eq "$(wc -l <"$T/deploy.log")" 4
assert_status 0 "$AW" -c "$T/aw.ini" status --json good
assert_grep '"last_failure": null' "$OUT"

try "a second run exits 75 naming the pid that holds the lock"
exec 9>>"$T/state/.acme-webroot.lock"
flock -n 9
echo $$ >"$T/state/.acme-webroot.lock"
assert_status 75 "$AW" -c "$T/aw.ini" renew good
assert_grep "held by pid $$" "$ERR"

try "--wait waits for the lock to be released"
( sleep 1; flock -u 9 ) &
assert_status 0 "$AW" -c "$T/aw.ini" --wait 10 renew good
exec 9>&-

try "status takes no lock"
exec 9>>"$T/state/.acme-webroot.lock"
flock -n 9
assert_status 0 "$AW" -c "$T/aw.ini" status good
exec 9>&-

try "key_group gives 0640 keys with that group, 0750 directories"
sed -i "/^\[cert good\]/a key_group = adm" "$T/aw.ini"
assert_status 0 "$AW" -c "$T/aw.ini" issue good
key=$(readlink -f "$T/state/live/good/privkey.pem")
assert_eq "$(stat -c '%a %G' "$key")" "640 adm"
assert_eq "$(stat -c '%a %G' "$T/state/archive/good")" "750 adm"

pass
