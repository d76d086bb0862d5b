# ctstub: plain Makefile, dependencies found with pkg-config.
PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
PKG_CONFIG ?= pkg-config
PKGS    := openssl libevent libevent_openssl libnghttp2 libcares jansson
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
              $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
ALL_LDFLAGS = $(HARDLD) $(LDFLAGS)
LIBS        = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

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
        fuzz fuzz-bins bench soak

all: $(BUILD)/ctstub

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/ctstub: $(BUILD)/main.o $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/test_%: tests/unit/test_%.c tests/unit/check.h $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< \
	  $(LIB_OBJS) $(LIBS)

$(BUILD)/%: tests/tools/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

$(BUILD):
	mkdir -p $@

tests: all $(UNIT_BINS) $(TOOL_BINS)

deps-build:
	@tools/deps.sh build

deps-check:
	@tools/deps.sh check

# Runs the daemon in the foreground with the shipped configuration.
run: deps-build
	$(MAKE) all
	$(BUILD)/ctstub -d -f conf/ctstub.conf

check: deps-check
	$(MAKE) tests
	BUILD=$(BUILD) tests/run.sh

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

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSCONFDIR)/ctstub
	install -m 755 $(BUILD)/ctstub $(DESTDIR)$(PREFIX)/sbin/ctstub
	install -m 644 conf/ct-logs.json $(DESTDIR)$(SYSCONFDIR)/ctstub/ct-logs.json
	test -e $(DESTDIR)$(SYSCONFDIR)/ctstub/ctstub.conf || \
	  install -m 644 conf/ctstub.conf $(DESTDIR)$(SYSCONFDIR)/ctstub/ctstub.conf

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/ctstub $(DESTDIR)$(SYSCONFDIR)/ctstub/ct-logs.json

clean:
	rm -rf build build-san build-fuzz
