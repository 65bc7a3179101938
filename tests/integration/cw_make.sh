#!/bin/bash
# The Makefile rebuilds what was built with other flags, so that
# `make check` after a plain `make` really builds with -Werror.  Run on
# a tree holding only common/, so that the real build is not touched.
. "$(dirname "$0")/../lib.sh"

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
