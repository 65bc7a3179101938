#!/bin/bash
# An account file that cannot be used (corrupt, or an http:// URL) is
# set aside with a warning and the CA asked for the key's account, so
# that the run, and every later one, goes on with that account instead
# of failing with "CA not usable".  An account key removed is made
# anew, with an account of its own, and later runs keep working.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3-cryptography is not installed"
start_fakeca CA

# mended TAG CMD...: CMD spoils TAG's account file; the next issue sets
# it aside and stores the same account again; the one after is quiet.
mended() {
	local tag=$1 file url
	shift
	aw_fakeca_site "$tag"
	file=$(ls "$STATE"/accounts/acme-webroot/*.json)
	url=$(grep -o '"url": *"[^"]*"' "$file")
	"$@" "$file"
	aw_faults
	assert_status 0 "$AW" -c "$CONF" issue site
	assert_grep "$file: set aside as $file\.corrupt" "$ERR"
	refute grep -q "not usable" "$ERR"
	assert test -f "$file.corrupt"
	assert_eq "$(grep -o '"url": *"[^"]*"' "$file")" "$url"
	assert_eq "$(aw_version "$STATE" site)" 2
	assert_status 0 "$AW" -c "$CONF" issue site
	assert_eq "$(cat "$ERR")" ""
	assert_eq "$(aw_version "$STATE" site)" 3
}

try "a corrupt account file is set aside and the account found again"
garble() { echo '{"url": ' >"$1"; }
mended corrupt garble

try "an account file with an http:// URL is set aside likewise"
plain() { sed -i 's#"https://#"http://#' "$1"; }
mended http plain

try "an account key removed is made anew and later runs keep working"
aw_fakeca_site rekey
rm "$STATE/account.key"
assert_status 0 "$AW" -c "$CONF" issue site
assert test -f "$STATE/account.key"
assert_eq "$(ls "$STATE"/accounts/acme-webroot/*.json | wc -l)" 2
assert_status 0 "$AW" -c "$CONF" issue site
assert_eq "$(cat "$ERR")" ""
assert_eq "$(aw_version "$STATE" site)" 3

pass
