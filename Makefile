# acme-webroot and cert-watch.  Plain make: `make`, `make check`,
# `make demo`, `make install`, `make clean`.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= /lib/systemd/system
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
PKG_CONFIG ?= pkg-config
VERSION	= 0.1.0

# Object directory: `build` for the normal build, `build-san` for the
# AddressSanitizer + UndefinedBehaviorSanitizer one used by `make check`.
B	?= build
SANFLAGS ?=

WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wwrite-strings \
	-Wcast-qual -Wvla -Wundef -Wold-style-definition

AW_PKGS	= libcrypto libcurl inih jansson libidn2
CW_PKGS	= libsystemd libssl libcrypto libcurl inih jansson

ALL_CPPFLAGS = -DVERSION=\"$(VERSION)\" -D_GNU_SOURCE \
	-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED -Icommon $(CPPFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARNINGS) $(CFLAGS) $(SANFLAGS) -MMD -MP

AW_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(AW_PKGS) 2>/dev/null)
AW_LIBS	= $(shell $(PKG_CONFIG) --libs $(AW_PKGS) 2>/dev/null)
CW_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(CW_PKGS) 2>/dev/null)
CW_LIBS	= $(shell $(PKG_CONFIG) --libs $(CW_PKGS) 2>/dev/null)

COMMON_SRC = $(wildcard common/*.c)
AW_SRC	= $(wildcard acme-webroot/*.c)
CW_SRC	= $(wildcard cert-watch/*.c)

COMMON_OBJ = $(COMMON_SRC:%.c=$(B)/%.o)
AW_OBJ	= $(AW_SRC:%.c=$(B)/%.o)
CW_OBJ	= $(CW_SRC:%.c=$(B)/%.o)
# Everything but main.o, for the unit tests.
AW_LIB_OBJ = $(filter-out $(B)/acme-webroot/main.o,$(AW_OBJ))
CW_LIB_OBJ = $(filter-out $(B)/cert-watch/main.o,$(CW_OBJ))

ifeq ($(B),build)
AW_BIN	= acme-webroot/acme-webroot
CW_BIN	= cert-watch/cert-watch
else
AW_BIN	= $(B)/bin/acme-webroot
CW_BIN	= $(B)/bin/cert-watch
endif

# Unit tests: tests/unit/aw_*.c link acme-webroot's objects,
# cw_*.c cert-watch's, common_*.c only the shared ones.
AW_UNIT	= $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/aw_*.c))
CW_UNIT	= $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/cw_*.c))
CO_UNIT	= $(patsubst tests/unit/%.c,$(B)/unit/%,\
	$(wildcard tests/unit/common_*.c))
UNITS	= $(AW_UNIT) $(CW_UNIT) $(CO_UNIT)

# Fuzz targets: tests/fuzz/aw_*.c and cw_*.c, linked like the unit
# tests with tests/fuzz/lib.c and a main: tests/fuzz/driver.c, which
# replays files (the sanitizer build; `make check` replays the corpus),
# or libFuzzer's (`make fuzz`, built with clang under build-fuzz/).
FUZZERS	= $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,\
	    $(wildcard tests/fuzz/aw_*.c tests/fuzz/cw_*.c))
FUZZ_MAIN ?= $(B)/fuzz/driver.o
FUZZ_LINK ?=
FUZZ_SUPPORT = $(B)/fuzz/lib.o $(FUZZ_MAIN)
FUZZ_SECONDS ?= 60

.PHONY: all units fuzzers san check deps demo install clean fuzz bench \
	FORCE

all: $(AW_BIN) $(CW_BIN)

units: $(UNITS)

# What an object is built with.  $(FLAGS) changes when CFLAGS, WERROR
# (make check's -Werror) or the sanitizer flags do, and every object,
# unit test and fuzz target depends on it, so that such a change
# rebuilds them.
FLAGS	= $(B)/.flags
FLAGS_NOW = $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(AW_CFLAGS) \
	$(CW_CFLAGS) $(LDFLAGS)

$(FLAGS): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' >$@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(AW_BIN): $(AW_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(AW_LIBS)

$(CW_BIN): $(CW_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CW_LIBS)

$(B)/common/%.o: common/%.c $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(AW_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/acme-webroot/%.o: acme-webroot/%.c $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Iacme-webroot $(AW_CFLAGS) $(ALL_CFLAGS) \
	    -c -o $@ $<

$(B)/cert-watch/%.o: cert-watch/%.c $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Icert-watch $(CW_CFLAGS) $(ALL_CFLAGS) \
	    -c -o $@ $<

$(B)/unit/aw_%: tests/unit/aw_%.c $(AW_LIB_OBJ) $(COMMON_OBJ) $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Iacme-webroot -Itests/unit $(AW_CFLAGS) \
	    $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter-out $(FLAGS),$^) \
	    $(AW_LIBS)

$(B)/unit/cw_%: tests/unit/cw_%.c $(CW_LIB_OBJ) $(COMMON_OBJ) $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Icert-watch -Itests/unit $(CW_CFLAGS) \
	    $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter-out $(FLAGS),$^) \
	    $(CW_LIBS)

$(B)/unit/common_%: tests/unit/common_%.c $(COMMON_OBJ) $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(AW_CFLAGS) $(ALL_CFLAGS) \
	    $(LDFLAGS) -o $@ $(filter-out $(FLAGS),$^) $(AW_LIBS)

# The answers of the fuzzed CA come from the input, not the network.
$(B)/fuzz/aw_ca: FUZZ_WRAP = -Wl,--wrap=http_request

fuzzers: $(FUZZERS)

$(B)/fuzz/%.o: tests/fuzz/%.c $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Itests/fuzz $(ALL_CFLAGS) -c -o $@ $<

$(B)/fuzz/aw_%: tests/fuzz/aw_%.c $(FUZZ_SUPPORT) $(AW_LIB_OBJ) \
    $(COMMON_OBJ) $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Iacme-webroot -Itests/fuzz $(AW_CFLAGS) \
	    $(ALL_CFLAGS) $(LDFLAGS) $(FUZZ_LINK) $(FUZZ_WRAP) -o $@ \
	    $(filter-out $(FLAGS),$^) $(AW_LIBS)

$(B)/fuzz/cw_%: tests/fuzz/cw_%.c $(FUZZ_SUPPORT) $(CW_LIB_OBJ) \
    $(COMMON_OBJ) $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Icert-watch -Itests/fuzz $(CW_CFLAGS) \
	    $(ALL_CFLAGS) $(LDFLAGS) $(FUZZ_LINK) -o $@ \
	    $(filter-out $(FLAGS),$^) $(CW_LIBS)

SAN_MAKE = $(MAKE) B=build-san CFLAGS="-O1 -g $(WERROR)" \
	    SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all"

# The sanitizer variant alone; the integration tests prefer it.
san:
	+$(SAN_MAKE) all units fuzzers

# libFuzzer builds of the fuzz targets, with clang, under build-fuzz/.
FUZZ_MAKE = $(MAKE) B=build-fuzz CC=clang CFLAGS="-O1 -g" \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    FUZZ_MAIN= FUZZ_LINK=-fsanitize=fuzzer

# Runs every fuzz target for FUZZ_SECONDS; what crashes is kept under
# build-fuzz/crashes/TARGET/.
fuzz: deps
	+$(FUZZ_MAKE) fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run build-fuzz

# Installs the Debian packages the build and the tests need (as root),
# builds a plain and a sanitizer variant, and runs the whole suite.
check: deps
	$(MAKE) all units CFLAGS="$(CFLAGS) -Werror"
	$(MAKE) WERROR=-Werror san
	tests/run

deps:
	tests/deps

# A local Pebble and nginx on loopback, one certificate issued through
# the webroot into a temporary directory, its status, then all stopped.
demo: deps all
	tests/demo

# Benchmarks of the optimised build (bench/*.sh); they print figures.
bench: deps all
	bench/run

# The binaries and the systemd units, whose ExecStart= then names the
# binaries in SBINDIR.  Configurations, the cron file and the nginx
# snippets are examples to adapt: README says where they go.
install: all
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(AW_BIN) $(CW_BIN) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(UNITDIR)
	for unit in contrib/*.service; do \
		dest="$(DESTDIR)$(UNITDIR)/$${unit#contrib/}"; \
		sed 's|^ExecStart=/usr/local/sbin/|ExecStart=$(SBINDIR)/|' \
		    "$$unit" >"$$dest" && chmod 0644 "$$dest" || exit 1; \
	done
	install -m 0644 contrib/*.timer $(DESTDIR)$(UNITDIR)/

clean:
	rm -rf build build-san build-fuzz $(AW_BIN) $(CW_BIN)

-include $(AW_OBJ:.o=.d) $(CW_OBJ:.o=.d) $(COMMON_OBJ:.o=.d)
