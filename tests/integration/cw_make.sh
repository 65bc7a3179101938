#!/bin/bash
# The Makefile: `make install` writes units whose ExecStart= names the
# binaries where it put them, and what was built with other flags is
# built again, so that `make check` after a plain `make` really builds
# with -Werror.  Each runs on a tree of its own holding only what it
# needs, so that the real build is not touched.
. "$(dirname "$0")/../lib.sh"

try "make install PREFIX=/usr: the units start /usr/sbin's binaries"
# The binaries under test stand in for built ones: nothing is compiled.
tree=$T/install
mkdir -p "$tree/acme-webroot" "$tree/cert-watch"
cp -r "$TOP/contrib" "$tree/"
cp "$AW" "$tree/acme-webroot/acme-webroot"
cp "$CW" "$tree/cert-watch/cert-watch"
assert_status 0 make -C "$tree" -f "$TOP/Makefile" install PREFIX=/usr \
    DESTDIR="$T/root"
units=$T/root/lib/systemd/system
assert test -x "$T/root/usr/sbin/cert-watch"
assert test -x "$T/root/usr/sbin/acme-webroot"
assert_grep '^ExecStart=/usr/sbin/cert-watch$' "$units/cert-watch.service"
assert_grep '^ExecStart=/usr/sbin/acme-webroot -q renew$' \
    "$units/acme-webroot.service"
assert test -f "$units/acme-webroot.timer"
assert_eq "$(stat -c %a "$units/cert-watch.service")" 644
assert_no_grep /usr/local "$units/cert-watch.service"

tree=$T/tree
mkdir -p "$tree"
cp -r "$TOP/common" "$tree/"
mk() { make -C "$tree" -f "$TOP/Makefile" build/common/hint.o "$@"; }

try "a first build compiles"
assert_status 0 mk
assert_grep 'common/hint\.c' "$OUT"

try "the same flags again: nothing is compiled"
assert_status 0 mk
assert_no_grep 'common/hint\.c' "$OUT"

try "make check's -Werror: compiled again, with it"
assert_status 0 mk CFLAGS="-O2 -g -Werror"
assert_grep 'Werror.* common/hint\.c' "$OUT"
assert_status 0 mk CFLAGS="-O2 -g -Werror"
assert_no_grep 'common/hint\.c' "$OUT"

try "a plain build after it: compiled again, without it"
assert_status 0 mk
assert_grep 'common/hint\.c' "$OUT"
assert_no_grep 'Werror' "$OUT"

pass
