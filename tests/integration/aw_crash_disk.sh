#!/bin/bash
# A state directory that is full: a renewal fails wherever it runs out
# of space, with exit 1 and an error naming the file and "No space left
# on device"; the previous version stays live, consistent and served,
# no temporary is left; once space is freed the next run succeeds.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/aw.sh"

aw_site d
state=$AW_STATE
mkdir -p "$state"
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$state" 2>"$T/mount.err" ||
    skip "cannot mount a tmpfs for the state directory:" \
    "$(cat "$T/mount.err")"
at_exit "umount -l '$state'"

try "a first version on the small filesystem"
assert_status 0 "$AW" -c "$AW_INI" issue d
aw_serve "$state" d
assert aw_served "$state" d

# fill PAGES: leaves PAGES pages of 4 KiB free, give or take what the
# filesystem keeps for itself.
fill() {
	dd if=/dev/zero of="$state/reserve" bs=4k count="$1" 2>/dev/null ||
	    true
	dd if=/dev/zero of="$state/filler" bs=4k 2>/dev/null || true
	rm -f "$state/reserve"
}

# From no space at all to enough, each renewal runs out at a later
# step; every failure must leave the store as it was.
failures=0
for ((pages = 0; pages <= 16; pages++)); do
	try "issue with $pages pages free"
	before=$(aw_live_serial "$state" d)
	fill "$pages"
	run "$AW" -c "$AW_INI" issue d
	rm -f "$state/filler"
	[ "$RC" = 0 ] || say "$(head -n 1 "$ERR")"
	assert_no_grep 'Sanitizer' "$ERR"
	assert aw_consistent "$state" d
	assert aw_served "$state" d
	assert aw_no_tokens "$AW_ROOT"
	assert_eq "$(ls -A "$state/archive/d" | grep '^\.' || true)" ""
	assert_eq "$(ls -A "$state/live" | grep '^\.' || true)" ""
	[ "$RC" = 0 ] && break
	assert_eq "$RC" 1
	assert_grep "$state/.*: No space left on device" "$ERR"
	assert_eq "$(aw_live_serial "$state" d)" "$before"
	failures=$((failures + 1))
done

try "the full disk was met at more than one step"
assert test "$failures" -ge 2
assert_eq "$RC" 0

try "with space freed, the next run succeeds"
aw_reissue d

pass
