#!/bin/bash
# A FIFO where a file is read hangs nothing: a state file, live
# cert.pem, or a file an include matches is refused, with an error
# naming it, at once; a live version that cannot be read is replaced.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

# refused WHAT N CMD...: CMD ends with status N within 10 s, with an
# error naming WHAT.
refused() {
	local what=$1 status=$2
	shift 2
	aw_timed "$status" timeout 10 "$@"
	assert test "$MS" -lt 8000
	assert_grep "$what: not a regular file" "$ERR"
}

try "a FIFO as the state file hangs neither status nor renew"
aw_fakeca_site state
rm "$STATE/acme-webroot/site.json" 2>/dev/null
mkfifo "$STATE/acme-webroot/site.json"
# Like a corrupt state file: reported; status says what it held is not
# known (an owed deploy hook, say); renew reads it as empty.
refused "acme-webroot/site\.json" 1 "$AW" -c "$CONF" status
assert_grep "^site +unreadable .*its state file cannot be read" "$OUT"
refused "acme-webroot/site\.json" 0 "$AW" -c "$CONF" renew

try "a FIFO as live cert.pem hangs neither status nor renew"
aw_fakeca_site cert
rm "$STATE/live/site/cert.pem"
mkfifo "$STATE/live/site/cert.pem"
refused "live/site/cert\.pem" 1 "$AW" -c "$CONF" status
# Files that cannot be read are replaced, whole.
refused "live/site/cert\.pem" 0 "$AW" -c "$CONF" renew
assert_eq "$(aw_version "$STATE" site)" 2
assert_status 0 aw_consistent "$STATE" site

try "a FIFO that an include matches does not hang check"
mkdir "$T/conf.d"
mkfifo "$T/conf.d/stuck.ini"
sed "s|^\[defaults\]\$|&\ninclude = $T/conf.d/*.ini|" "$CONF" >"$T/inc.ini"
refused "conf\.d/stuck\.ini" 2 "$AW" -c "$T/inc.ini" check

pass
