# Makefile - builds mapwatch (BPF object embedded through a skeleton), its tests and benchmarks.
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH    := $(HOST_ARCH)
BUILD   := build
VERSION := 0.1.0

# no "Entering directory" lines on stdout (make -C DIR run ARGS=--json | jq)
MAKEFLAGS += --no-print-directory

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc -I$(BUILD) -DMW_VERSION=\"$(VERSION)\"
LDLIBS  := -lbpf -lelf -lz -lyaml -lpthread -lyara -lcrypto $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
# The static links (make static, make ARCH=arm64: the VM stages' binaries) leave libyara out:
# its libjansson and json-c both define json_object_get, which one static link cannot hold
# (src/yarascan.c built with MW_NO_YARA says so at --yara). json-c's symbol versions do not help:
# they exist in shared objects only, an archive member is plain. libyara.a links statically with
# -lmagic -ljansson -lbz2 -llzma once json-c is gone (src/ctr_state.c on jansson: not done yet).
# What they add instead:
STATIC_LIBS := -lcrypto -lz -lm -ldl

# Cross build (make ARCH=arm64, or make cross-arm64): clang --target with the
# libc6-dev-<arch>-cross sysroot, lld, and the target's libbpf/libelf/zlib
# unpacked by scripts/debget.sh (apt-get download + dpkg-deb -x, cached; no
# multiarch install). The result is static: build/<arch>/mapwatch.
ifneq ($(ARCH),$(HOST_ARCH))
CROSS_TRIPLE_arm64 := aarch64-linux-gnu
CROSS_DEBARCH_arm64 := arm64
TRIPLE  := $(CROSS_TRIPLE_$(ARCH))
ifeq ($(TRIPLE),)
$(error ARCH=$(ARCH) cannot be cross-built: use ARCH=arm64 (or the host's $(HOST_ARCH)))
endif
BUILD   := build/$(ARCH)
CC      := $(CLANG) --target=$(TRIPLE)
WARN    += -Wno-gnu-variable-sized-type-not-at-end # struct slot (src/stack.c) holds a record header before its frames
TARGET_PKGS := libbpf-dev libelf-dev zlib1g-dev libyaml-dev libssl-dev libjson-c-dev
TARGET_LIBS := $(shell sh scripts/debget.sh $(CROSS_DEBARCH_$(ARCH)) $(TARGET_PKGS) 2>/dev/null || echo FAILED)
ifneq ($(filter FAILED,$(TARGET_LIBS)),)
$(error cannot fetch the $(ARCH) libraries: $(shell sh scripts/debget.sh $(CROSS_DEBARCH_$(ARCH)) $(TARGET_PKGS) 2>&1 >/dev/null | tail -n 1))
endif
ifeq ($(wildcard /usr/$(TRIPLE)/lib/libc.a),)
$(error no $(ARCH) C library: apt-get install libc6-dev-$(CROSS_DEBARCH_$(ARCH))-cross libgcc-12-dev-$(CROSS_DEBARCH_$(ARCH))-cross lld)
endif
CFLAGS  += $(TARGET_LIBS:%=-I%/usr/include) $(TARGET_LIBS:%=-I%/usr/include/$(TRIPLE))
LDFLAGS += -static -fuse-ld=lld $(TARGET_LIBS:%=-L%/usr/lib/$(TRIPLE))
LDLIBS  := $(filter-out -lyara,$(LDLIBS)) $(STATIC_LIBS)
CROSS_NOYARA := 1
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ivmlinux/$(ARCH) -Wall -Werror -Wno-unused-function -Wno-gnu-variable-sized-type-not-at-end

# user-space code without a main(): linked into the tool and into the unit tests
# src/*.c and src/hooks/*.c (the hooks' parts; their objects under $(BUILD)/hooks/)
SRCS    := $(wildcard src/*.c src/hooks/*.c)
HDRS    := $(wildcard src/*.h src/hooks/*.h)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all clean test unit static bench deps check run fuzz cross-arm64 install uninstall deb cycles
all: $(BUILD)/mapwatch $(BUILD)/demo

# The README's example program (tests/integration/test_readme.py runs the README's commands on it).
$(BUILD)/demo: examples/demo.c | $(BUILD)
	$(CC) -O1 -g -Wall -Wextra -Werror $(LDFLAGS) -o $@ $<

cross-arm64:
	$(MAKE) ARCH=arm64

$(BUILD):
	mkdir -p $@

# 1. BPF object, 2. skeleton header with the object embedded.
$(BUILD)/mapwatch.bpf.o: src/bpf/mapwatch.bpf.c $(wildcard src/bpf/*.h) $(wildcard include/*.h) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o
	rm -f $@.tmp.o

$(BUILD)/mapwatch.skel.h: $(BUILD)/mapwatch.bpf.o
	$(BPFTOOL) gen skeleton $< name mapwatch_bpf > $@

$(BUILD)/%.o: src/%.c $(HDRS) $(wildcard include/*.h) $(BUILD)/mapwatch.skel.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# the objects of a link without libyara (above)
NOYARA_OBJS := $(filter-out $(BUILD)/yarascan.o,$(LIB_OBJS)) $(BUILD)/yarascan-noyara.o
$(BUILD)/yarascan-noyara.o: src/yarascan.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -DMW_NO_YARA -c $< -o $@

$(BUILD)/mapwatch: $(BUILD)/main.o $(if $(CROSS_NOYARA),$(NOYARA_OBJS),$(LIB_OBJS))
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Static build (for the VM test's initramfs): no shared libraries needed there.
static: $(BUILD)/mapwatch-static
$(BUILD)/mapwatch-static: $(BUILD)/main.o $(NOYARA_OBJS)
	$(CC) $(CFLAGS) -static $^ -o $@ $(filter-out -lyara,$(LDLIBS)) $(STATIC_LIBS)

# The default rules are embedded (.incbin) in rules_default.o.
$(BUILD)/rules_default.o $(BUILD)/san/rules_default.o: dist/rules.d/00-default.yaml

# Sanitizer build of the whole tool, used by the integration tests.
$(BUILD)/san/%.o: src/%.c $(HDRS) $(wildcard include/*.h) $(BUILD)/mapwatch.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c $< -o $@
$(BUILD)/mapwatch-asan: $(patsubst src/%.c,$(BUILD)/san/%.o,$(SRCS))
	$(CC) $(CFLAGS) $(SAN) $^ -o $@ $(LDLIBS)

# Unit tests: plain (for valgrind) and with ASan/UBSan.
$(BUILD)/unit: dist/rules.d/00-default.yaml $(UNIT_SRCS) $(LIB_SRCS) $(wildcard tests/unit/*.h) $(HDRS) $(BUILD)/mapwatch.skel.h
	$(CC) $(CFLAGS) -O1 -Werror -Itests/unit $(UNIT_SRCS) $(LIB_SRCS) -o $@ $(LDLIBS)
$(BUILD)/unit-asan: dist/rules.d/00-default.yaml $(UNIT_SRCS) $(LIB_SRCS) $(wildcard tests/unit/*.h) $(HDRS) $(BUILD)/mapwatch.skel.h
	$(CC) $(CFLAGS) -O1 -Werror $(SAN) -Itests/unit $(UNIT_SRCS) $(LIB_SRCS) -o $@ $(LDLIBS)

# doc/EVENTS.md is written from the catalogue (include/mw_calls.h); tests/run.sh checks it is current.
$(BUILD)/eventsdoc: scripts/eventsdoc.c src/catalog.c src/strbuf.c $(wildcard src/*.h) $(wildcard include/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -O1 scripts/eventsdoc.c src/catalog.c src/strbuf.c -o $@
doc/EVENTS.md: $(BUILD)/eventsdoc
	$(BUILD)/eventsdoc > $@.tmp && mv $@.tmp $@

# No two modules of src/ may use each other, directly or through others (scripts/cycles.py).
cycles:
	python3 scripts/cycles.py src

unit: $(BUILD)/unit $(BUILD)/unit-asan
	$(BUILD)/unit-asan
	valgrind -q --error-exitcode=99 --leak-check=full $(BUILD)/unit

# libFuzzer harnesses (tests/fuzz/fuzz_*.c, clang): `make fuzz` runs each for FUZZ_TIME seconds
# from the checked-in corpus; `make test` runs each for 10 s (tests/run.sh).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_TIME ?= 60
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Werror -Wno-unused-function -Wno-gnu-variable-sized-type-not-at-end -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iinclude -Isrc -I$(BUILD) -Itests/fuzz -DMW_VERSION=\"$(VERSION)\"
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/jsoncheck.h $(LIB_SRCS) $(HDRS) $(BUILD)/mapwatch.skel.h
	@mkdir -p $(BUILD)/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $< $(LIB_SRCS) -o $@ $(LDLIBS)
fuzz: $(FUZZ_BINS)
	sh tests/fuzz/run.sh $(FUZZ_TIME)

# Everything the README's test command runs (root needed for the integration part).
test: all $(BUILD)/unit $(BUILD)/unit-asan $(BUILD)/mapwatch-asan $(BUILD)/eventsdoc $(FUZZ_BINS)
	sh tests/run.sh

# The README's two commands: `make run ARGS='--json'` and `make check`.
# `make run` keeps standard output for mapwatch alone (make run ARGS=--json | jq):
# deps.sh, the build and make's own lines go to stderr.
deps:
	@sh scripts/deps.sh build >&2
run: deps
	@$(MAKE) --no-print-directory all >&2
	@if [ "$$(id -u)" -ne 0 ]; then echo "(mapwatch needs root: running it with sudo)" >&2; exec sudo $(BUILD)/mapwatch $(ARGS); else exec $(BUILD)/mapwatch $(ARGS); fi
check:
	sh scripts/deps.sh test
	$(MAKE) test

# The reader's user-space cost per event without a kernel (bench/fmtbench.c: decode, format, file sink).
$(BUILD)/fmtbench: bench/fmtbench.c $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# The syslog sink's cost per message against a local receiver (bench/syslogbench.c).
$(BUILD)/syslogbench: bench/syslogbench.c $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# The policy's cost per alert with 10 and 200 rules (bench/policybench.c).
$(BUILD)/policybench: bench/policybench.c $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

bench: all
	sh bench/run.sh
	sh bench/startstop.sh

# Install (PREFIX, DESTDIR as usual): the binary in sbin, mapwatch(8), the
# config (kept if one is there already; the example always goes to the doc
# directory, with the default rules to copy into /etc/mapwatch/rules.d), the
# systemd unit, bash completion.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/mapwatch
SYSCONFDIR ?= /etc
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL    ?= install
install: $(BUILD)/mapwatch
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSCONFDIR)/mapwatch $(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0755 $(if $(STRIP),-s) $(BUILD)/mapwatch $(DESTDIR)$(SBINDIR)/mapwatch
	gzip -9n -c doc/mapwatch.8 > $(DESTDIR)$(MANDIR)/man8/mapwatch.8.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/mapwatch.8.gz
	$(INSTALL) -m 0644 dist/mapwatch.conf $(DESTDIR)$(DOCDIR)/mapwatch.conf.example
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)/rules.d
	$(INSTALL) -m 0644 dist/rules.d/00-default.yaml $(DESTDIR)$(DOCDIR)/rules.d/00-default.yaml
	[ -e $(DESTDIR)$(SYSCONFDIR)/mapwatch/mapwatch.conf ] || \
		$(INSTALL) -m 0644 dist/mapwatch.conf $(DESTDIR)$(SYSCONFDIR)/mapwatch/mapwatch.conf
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/mapwatch.service.in \
		> $(DESTDIR)$(UNITDIR)/mapwatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mapwatch.service
	$(INSTALL) -m 0644 dist/mapwatch.bash-completion $(DESTDIR)$(BASHCOMPDIR)/mapwatch

# Removes what install put there, except a config file that was changed.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/mapwatch $(DESTDIR)$(MANDIR)/man8/mapwatch.8.gz \
		$(DESTDIR)$(UNITDIR)/mapwatch.service $(DESTDIR)$(BASHCOMPDIR)/mapwatch \
		$(DESTDIR)$(DOCDIR)/mapwatch.conf.example $(DESTDIR)$(DOCDIR)/rules.d/00-default.yaml
	-cmp -s dist/mapwatch.conf $(DESTDIR)$(SYSCONFDIR)/mapwatch/mapwatch.conf && \
		rm -f $(DESTDIR)$(SYSCONFDIR)/mapwatch/mapwatch.conf
	-rmdir $(DESTDIR)$(DOCDIR)/rules.d 2>/dev/null
	-rmdir $(DESTDIR)$(SYSCONFDIR)/mapwatch $(DESTDIR)$(DOCDIR) 2>/dev/null

# Debian package of all of it, built with dpkg-deb (dependencies from dpkg-shlibdeps).
deb: $(BUILD)/mapwatch
	sh scripts/deb.sh $(VERSION) $(BUILD)

clean:
	rm -rf $(BUILD)
