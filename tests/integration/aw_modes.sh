#!/bin/bash
# Modes and owners of what acme-webroot stores, whatever the umask, at
# the first issuance and at a renewal: private keys 0600 root:root,
# directories 0700; with key_group, keys 0640 and directories 0750 of
# that group, which a member of it (and nobody else) can read through
# live/.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

group=
for g in ssl-cert adm; do
	getent group "$g" >/dev/null && { group=$g; break; }
done
[ -n "$group" ] || skip "no group ssl-cert or adm to give keys to"
command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"

aw_site plain
printf '[cert grouped]\ndomains = %s\nkey_group = %s\n' "$AW_NAME" \
    "$group" >>"$AW_INI"
state=$AW_STATE

# modes PATH...: "MODE USER:GROUP" of each, one line each.
modes() { stat -c '%a %U:%G' "$@"; }

# reads_key UID GID: whether that user, with only that group, can read
# live/grouped/privkey.pem.
reads_key() {
	setpriv --reuid="$1" --regid="$2" --clear-groups \
	    cat "$state/live/grouped/privkey.pem" >/dev/null 2>&1
}

# issue_under UMASK CERT VERSION: issues CERT under that umask, which
# must make that version.
issue_under() {
	assert_status 0 bash -c "umask $1 && exec \"\$@\"" - \
	    "$AW" -c "$AW_INI" issue "$2"
	assert_eq "$(aw_version "$state" "$2")" "$3"
}

gid=$(getent group "$group" | cut -d: -f3)

version=0
for umask in 000 077 022; do
	version=$((version + 1))
	try "version $version under umask $umask, without key_group"
	issue_under "$umask" plain "$version"
	a=$state/archive/plain
	assert_eq "$(modes "$a/privkey$version.pem")" "600 root:root"
	for f in cert chain fullchain; do
		assert_eq "$(modes "$a/$f$version.pem")" "644 root:root"
	done
	assert_eq "$(modes "$a")" "700 root:root"
	assert_eq "$(modes "$state/live/plain")" "700 root:root"
	assert_eq "$(modes "$state/live/plain/README")" "644 root:root"
	# Until a key group needs them open, as certbot makes them.
	[ "$version" != 1 ] ||
	    assert_eq "$(modes "$state/live" "$state/archive")" \
	    "700 root:root"$'\n'"700 root:root"

	try "version $version under umask $umask, key_group $group"
	issue_under "$umask" grouped "$version"
	a=$state/archive/grouped
	assert_eq "$(modes "$a/privkey$version.pem")" "640 root:$group"
	assert_eq "$(modes "$a/cert$version.pem")" "644 root:root"
	assert_eq "$(modes "$a")" "750 root:$group"
	assert_eq "$(modes "$state/live/grouped")" "750 root:$group"
	# live/ and archive/ let the group pass, not list.
	for d in live archive; do
		m=$(stat -c %a "$state/$d")
		assert test $((8#$m & 8#0011)) = $((8#0011))
		assert test $((8#$m & 8#0044)) = 0
	done
	assert reads_key 65534 "$gid"
	refute reads_key 65534 65534
done

try "earlier versions keep their modes"
assert_eq "$(modes "$state/archive/plain/privkey1.pem")" "600 root:root"
assert_eq "$(modes "$state/archive/grouped/privkey1.pem")" \
    "640 root:$group"

pass
