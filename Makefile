# ctstub: plain Makefile, dependencies found with pkg-config.
# SPDX-License-Identifier: ISC
PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
PKG_CONFIG ?= pkg-config
PKGS    := openssl libevent libevent_openssl libnghttp2 libcares jansson \
           zlib
# The release number is the file VERSION (also the OpenWrt package's
# PKG_VERSION); a build from a git checkout says `git describe` instead
# (the tag, or VERSION and the commit when there is no tag).
VERSION ?= $(shell cat VERSION 2>/dev/null)
ifeq ($(strip $(VERSION)),)
$(error VERSION: no VERSION file here, and no VERSION=... given)
endif
GIT_TOP := $(shell git rev-parse --show-toplevel 2>/dev/null)
ifeq ($(GIT_TOP),$(CURDIR))
CTSTUB_VERSION := $(shell git describe --tags --dirty 2>/dev/null || \
                    echo "$(VERSION)-g$$(git describe --always --dirty)")
else
CTSTUB_VERSION := $(VERSION)
endif
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wpointer-arith -Wcast-qual \
           -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wundef \
           -Wno-unused-parameter
HARDEN  := -fstack-protector-strong -fPIE -fno-strict-overflow
HARDLD  := -pie -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   ?= build-san
else
HARDEN  += -D_FORTIFY_SOURCE=2
BUILD   ?= build
endif
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) $(HARDEN) $(CFLAGS) \
              -DCTSTUB_SYSCONFDIR='"$(SYSCONFDIR)"' \
              $(if $(CONF_DEFAULT_PATH),-DCONF_DEFAULT_PATH='"$(CONF_DEFAULT_PATH)"') \
              $(shell $(PKG_CONFIG) --cflags $(PKGS))
ALL_LDFLAGS = $(HARDLD) $(LDFLAGS)
LIBS        = $(shell $(PKG_CONFIG) --libs $(PKGS))

SRCS      := $(wildcard src/*.c)
LIB_OBJS  := $(patsubst src/%.c,$(BUILD)/%.o,$(filter-out src/main.c,$(SRCS)))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/%,$(TOOL_SRCS))

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

.PHONY: all run check tests deps-build deps-check install uninstall clean \
        fuzz fuzz-bins bench soak pkg-check FORCE

all: $(BUILD)/ctstub

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) | $(BUILD) pkg-check
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# main.o prints the version: rebuilt when `git describe` changes.
$(BUILD)/main.o: ALL_CFLAGS += -DCTSTUB_VERSION='"$(CTSTUB_VERSION)"'
$(BUILD)/main.o: $(BUILD)/version
$(BUILD)/version: FORCE | $(BUILD)
	@echo '$(CTSTUB_VERSION)' | cmp -s - $@ || echo '$(CTSTUB_VERSION)' >$@

# Before the first compiler error about a missing header: which pkg-config
# packages are missing (pkg-config's own error too) and what installs them.
# A copy of the sources without tools/ (the OpenWrt recipe) gets
# pkg-config's error alone.
pkg-check:
	@if [ -f tools/deps.sh ]; then \
	  PKG_CONFIG='$(PKG_CONFIG)' sh tools/deps.sh pkg-config $(PKGS); \
	else \
	  $(PKG_CONFIG) --print-errors --exists $(PKGS) || { echo \
	    "ctstub: missing pkg-config package(s) among: $(PKGS)" >&2; \
	    exit 1; }; \
	fi

$(BUILD)/ctstub: $(BUILD)/main.o $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/test_%: tests/unit/test_%.c tests/unit/check.h $(LIB_OBJS) | pkg-check
	$(CC) $(ALL_CFLAGS) -DCHECK_SRCDIR='"$(CURDIR)"' $(ALL_LDFLAGS) -o $@ $< \
	  $(LIB_OBJS) $(LIBS)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJS) | pkg-check
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< \
	  $(LIB_OBJS) $(LIBS)

$(BUILD)/%: tests/tools/%.c | $(BUILD) pkg-check
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

$(BUILD):
	mkdir -p $@

tests: all $(UNIT_BINS) $(TOOL_BINS)

deps-build:
	@tools/deps.sh build

deps-check:
	@tools/deps.sh check

# Under sudo (`sudo make run`, `sudo make check`) the build tree is given
# back to the user who ran sudo (SUDO_USER), so that a later `make` as
# that user works.
GIVE_BACK_BUILD = if [ "$$(id -u)" = 0 ] && [ -n "$${SUDO_USER:-}" ] && \
	    [ "$$SUDO_USER" != root ]; then \
	  echo "chown -R $$SUDO_USER: $(BUILD)"; \
	  chown -R "$$SUDO_USER": $(BUILD) || exit 1; \
	fi

# Runs the daemon in the foreground with the shipped configuration
# (RUN_CONF; RUN_FLAGS).
RUN_CONF  ?= conf/ctstub.conf
RUN_FLAGS ?= -d
run: deps-build
	$(MAKE) all
	@$(GIVE_BACK_BUILD)
	$(BUILD)/ctstub $(RUN_FLAGS) -f $(RUN_CONF)

# SLOW=1: dig and kdig start 1 s late, as on a slow machine (tests/run.sh).
check: deps-check
	$(MAKE) tests
	@$(GIVE_BACK_BUILD)
	BUILD=$(BUILD) SLOW=$(SLOW) tests/run.sh

# libFuzzer harnesses (clang), each run FUZZ_SECONDS from tests/fuzz/corpus.
fuzz-bins: $(FUZZ_BINS)

fuzz: deps-check
	$(MAKE) BUILD=build-fuzz CC=clang \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	  LDFLAGS="-fsanitize=address,undefined" fuzz-bins
	BUILD=build-fuzz tools/fuzz.sh $(FUZZ_SECONDS)

# Compares ctstub with the stubs users would pick instead (not in check).
bench: deps-build
	$(MAKE) tests
	BUILD=$(BUILD) bench/run.sh

# Ten minutes of load with upstream restarts (not in check): SOAK_SECONDS.
soak: deps-check
	$(MAKE) tests
	BUILD=$(BUILD) bench/soak.sh | tee /dev/stderr | \
	  awk '/^ok - /{p++} /^not ok - /{f++} END{printf "%d passed, %d failed\n", p, f; exit f > 0}'

# `make install PREFIX=/usr` for the system resolver (docs/install.md).
# An existing ctstub.conf is kept, and so is an installed CT log list newer
# than ours (log_list_timestamp). uninstall keeps ctstub.conf.
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= /lib/systemd/system
NMDIR   ?= $(SYSCONFDIR)/NetworkManager/dispatcher.d
ETC_CT   = $(DESTDIR)$(SYSCONFDIR)/ctstub
# The daily list update: its timer is enabled at the first install only,
# so that a reinstall keeps an admin's `systemctl disable`.
UPDATE_UNITS = ctstub-loglist-update.service ctstub-loglist-update.timer
TIMER_WANTS  = $(DESTDIR)$(SYSCONFDIR)/systemd/system/timers.target.wants
UNIT_SED = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
LIST_TS  = sed -n 's/.*"log_list_timestamp": *"\([^"]*\)".*/\1/p'

install: all
	install -d $(DESTDIR)$(SBINDIR) $(ETC_CT) $(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/ctstub $(DESTDIR)$(SBINDIR)/ctstub
	test -e $(ETC_CT)/ctstub.conf || \
	  install -m 644 conf/ctstub.conf $(ETC_CT)/ctstub.conf
	@old=$$($(LIST_TS) $(ETC_CT)/ct-logs.json 2>/dev/null | head -n 1); \
	new=$$($(LIST_TS) conf/ct-logs.json | head -n 1); \
	if [ -n "$$old" ] && expr "$$old" \> "$$new" >/dev/null; then \
	  echo "keeping $(ETC_CT)/ct-logs.json ($$old, newer than $$new)"; \
	else \
	  echo "install -m 644 conf/ct-logs.json $(ETC_CT)/ct-logs.json"; \
	  install -m 644 conf/ct-logs.json $(ETC_CT)/ct-logs.json; \
	fi
	$(UNIT_SED) conf/ctstub.service >$(BUILD)/ctstub.service
	install -m 644 $(BUILD)/ctstub.service $(DESTDIR)$(UNITDIR)/ctstub.service
	$(UNIT_SED) conf/networkmanager/90-ctstub >$(BUILD)/90-ctstub
	install -d $(DESTDIR)$(NMDIR)
	install -m 755 $(BUILD)/90-ctstub $(DESTDIR)$(NMDIR)/90-ctstub
	@first=; [ -e $(DESTDIR)$(UNITDIR)/ctstub-loglist-update.timer ] || \
	  first=1; \
	for unit in $(UPDATE_UNITS); do \
	  $(UNIT_SED) conf/$$unit >$(BUILD)/$$unit && \
	  echo "install -m 644 conf/$$unit $(DESTDIR)$(UNITDIR)/$$unit" && \
	  install -m 644 $(BUILD)/$$unit $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
	done; \
	if [ -n "$$first" ]; then \
	  echo "enabling ctstub-loglist-update.timer"; \
	  install -d $(TIMER_WANTS) && ln -sf \
	    $(UNITDIR)/ctstub-loglist-update.timer $(TIMER_WANTS)/ || exit 1; \
	fi
	install -d $(ETC_CT)/loglist-keys
	install -m 644 conf/loglist-keys/README.md $(ETC_CT)/loglist-keys/README.md
	for page in ctstub.8 ctstub.conf.5; do \
	  [ -f docs/$$page ] || continue; \
	  dir=$(DESTDIR)$(MANDIR)/man$${page##*.}; \
	  install -d $$dir && gzip -9nc docs/$$page >$$dir/$$page.gz && \
	  chmod 644 $$dir/$$page.gz || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ctstub $(ETC_CT)/ct-logs.json \
	  $(DESTDIR)$(UNITDIR)/ctstub.service $(DESTDIR)$(NMDIR)/90-ctstub \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(UPDATE_UNITS)) \
	  $(TIMER_WANTS)/ctstub-loglist-update.timer \
	  $(ETC_CT)/loglist-keys/README.md \
	  $(DESTDIR)$(MANDIR)/man8/ctstub.8.gz \
	  $(DESTDIR)$(MANDIR)/man5/ctstub.conf.5.gz
	@[ ! -e $(ETC_CT)/ctstub.conf ] || \
	  echo "kept $(ETC_CT)/ctstub.conf (remove it by hand)"
	@rmdir $(ETC_CT)/loglist-keys $(ETC_CT) 2>/dev/null || true

clean:
	rm -rf build build-san build-fuzz
