# Makefile - build turnd, turnctl and the tests into build/; `make check`, `make run`, `make deps`.
ifeq ($(SAN),1)
BUILD    ?= build-san
else
BUILD    ?= build
endif
CC       ?= cc
CFLAGS   ?= -O2 -g
CONF     ?= turnd.conf
V        ?= 0

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -D_GNU_SOURCE -Idaemon -Ibpf -I$(BUILD) -MMD -MP
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS)
LDLIBS   := -lconfig -lmnl -lbpf -lssl -lcrypto

ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

ifeq ($(V),0)
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
else
Q :=
msg =
endif

# Debian packages the build and the tests need.
DEPS_BUILD := build-essential pkg-config clang llvm libbpf-dev libmnl-dev libconfig-dev \
              libssl-dev bpftool linux-libc-dev
DEPS_TEST  := coturn iproute2 ethtool valgrind perl procps psmisc strace chromium openssl
DEPS       := $(DEPS_BUILD) $(DEPS_TEST)
# The browser test's driver (tests/browser, puppeteer-core from npm) needs node and npm:
# installed from Debian only when the commands are missing (a NodeSource node brings its own).
DEPS_CMDS  := node:nodejs npm:npm

DAEMON_SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_SRCS))
TURNCTL_SRCS := $(wildcard tools/turnctl/*.c)
TURNCTL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TURNCTL_SRCS))
TEST_SRCS   := $(wildcard tests/unit/test_*.c)
TEST_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%.t,$(TEST_SRCS))
TEST_SCRIPTS := $(sort $(wildcard tests/interop/*.t))

.PHONY: all clean check test run deps help tests
.DELETE_ON_ERROR:

all: $(BUILD)/turnd $(BUILD)/turnctl

help:
	@echo 'make            build build/turnd and build/turnctl'
	@echo 'make run        install missing deps, build, run turnd on $(CONF) in the foreground'
	@echo 'make check      install missing deps; every test under prove, on the normal and the'
	@echo '                ASan/UBSan build, then each fuzz target for 20 s (what CI runs)'
	@echo 'make test       build and run the test suite once (SAN=1: the sanitizer build)'
	@echo 'make fuzz       each libFuzzer target for FUZZ_TIME (60) s; FUZZ_TARGETS to choose'
	@echo 'make deps       install the Debian packages the build and tests need'
	@echo 'make install    install to PREFIX (/usr/local) under DESTDIR; make uninstall'
	@echo 'make clean      remove build/, build-san/ and build-fuzz/'
	@echo 'make soak       (root) 10-minute soak: 10,000 allocations, 5% vanishing; SOAK_MINUTES=2 quick'
	@echo 'make bench     (root) benchmark table: turnd XDP/userspace, coturn, XDP forwarder; ARGS=--quick'
	@echo 'make bench-prog (root) ns per packet of the XDP programs alone (BPF_PROG_TEST_RUN)'
	@echo 'options: SAN=1 (ASan+UBSan), V=1 (show commands), CONF=FILE'

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libturnd.a: $(DAEMON_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/turnd: $(BUILD)/daemon/main.o $(BUILD)/libturnd.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/turnctl: $(TURNCTL_OBJS) $(BUILD)/libturnd.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%.t: $(BUILD)/tests/unit/%.o $(BUILD)/libturnd.a
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%.o: CPPFLAGS += -Itests

# The call page is assembled into www.o (.incbin), so the object depends on it.
$(BUILD)/daemon/www.o: $(wildcard daemon/www/*)

# --- bpf begin ---
# XDP programs: bpf/X.bpf.c -> build/bpf/X.bpf.o -> build/X.skel.h (bpftool gen skeleton).
# -mcpu=v3: the atomic compare-and-swap (the route cache's seqlock) and 32-bit jumps.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu \
	      -Ibpf
BPF_PROGS  := turn_xdp xdp_tx xdp_pass
BPF_OBJS   := $(patsubst %,$(BUILD)/bpf/%.bpf.o,$(BPF_PROGS))
BPF_SKELS  := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))

# Keep the objects (not intermediates): bpftool prog load and the daemon's loader use them.
.SECONDARY: $(BPF_OBJS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h)
	@mkdir -p $(dir $@)
	$(call msg,BPF,$<)
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)bpftool gen skeleton $< > $@

$(BUILD)/tests/unit/test_xdp.o: $(BPF_SKELS)
$(BUILD)/daemon/xdp_load.o: $(BPF_SKELS)
$(BUILD)/daemon/xdp_clock.o: $(BPF_SKELS)
$(BUILD)/tests/test_xdp.t: $(BPF_SKELS)
$(BUILD)/tests/unit/test_xdp_route.o: $(BPF_SKELS)
$(BUILD)/tests/test_xdp_route.t: $(BPF_SKELS)
$(BUILD)/tests/unit/test_xdp_clock.o: $(BPF_SKELS)
$(BUILD)/tests/unit/test_xdp_race.o: $(BPF_SKELS)
$(BUILD)/tests/test_xdp_race.t: $(BPF_SKELS)
# --- bpf end ---

# --- bench begin ---
# `make bench [ARGS=--quick]`: the benchmark harness (tools/bench/, needs root). Not in check.
# build/turnbench is the entry point (a wrapper that runs tools/bench/turnbench.sh on build/).
BENCH_BPF  := gen count fwd
BENCH_SKELS := $(patsubst %,$(BUILD)/bench/%.skel.h,$(BENCH_BPF))
BENCH_BINS := $(patsubst %,$(BUILD)/turnbench-%,flows gen count mmsg lat prog)
BENCH_DEPS := gnuplot-nox

.PHONY: bench bench-build bench-test bench-prog
.SECONDARY: $(patsubst %,$(BUILD)/bench/%.bpf.o,$(BENCH_BPF))

$(BUILD)/bench/%.bpf.o: tools/bench/%.bpf.c tools/bench/bench.h
	@mkdir -p $(dir $@)
	$(call msg,BPF,$<)
	$(Q)clang $(BPF_CFLAGS) -Itools/bench -c $< -o $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)bpftool gen skeleton $< > $@

$(BUILD)/tools/bench/%.o: CPPFLAGS += -Itools/bench -I$(BUILD)/bench
$(BUILD)/tools/bench/gen.o: $(BUILD)/bench/gen.skel.h
$(BUILD)/tools/bench/count.o: $(BUILD)/bench/count.skel.h $(BUILD)/bench/fwd.skel.h
$(BUILD)/tools/bench/test_bench.o: CPPFLAGS += -Itests
$(BUILD)/tools/bench/test_bench.o: $(BENCH_SKELS)
# turnd's program beside the forwarder: its skeletons, and the test frames (tests/unit/xdp_pkt.h)
$(BUILD)/tools/bench/prog_setup.o: CPPFLAGS += -Itests/unit
$(BUILD)/tools/bench/prog_setup.o: $(BPF_SKELS) $(BUILD)/bench/fwd.skel.h

$(BUILD)/turnbench-flows $(BUILD)/turnbench-lat: $(BUILD)/turnbench-%: $(BUILD)/tools/bench/%.o \
		$(BUILD)/tools/bench/turnc.o $(BUILD)/libturnd.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BUILD)/turnbench-gen $(BUILD)/turnbench-mmsg: $(BUILD)/turnbench-%: $(BUILD)/tools/bench/%.o \
		$(BUILD)/tools/bench/frame.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lbpf

$(BUILD)/turnbench-count: $(BUILD)/tools/bench/count.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lbpf

# libturnd.a: the binding tables (bindtab.c) and the clock calibration (xdp_clock.c)
$(BUILD)/turnbench-prog: $(BUILD)/tools/bench/prog.o $(BUILD)/tools/bench/prog_setup.o \
		$(BUILD)/libturnd.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/test_bench.t: $(BUILD)/tools/bench/test_bench.o $(BUILD)/tools/bench/frame.o
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lbpf

$(BUILD)/turnbench: tools/bench/turnbench.sh
	$(call msg,GEN,$@)
	$(Q)printf '#!/bin/sh\n# turnbench - generated by make: the benchmark on %s.\n%s\n' \
		'$(abspath $(BUILD))' 'BUILD=$(abspath $(BUILD)) exec $(abspath $<) "$$@"' > $@
	$(Q)chmod +x $@

bench-build: all $(BENCH_BINS) $(BUILD)/turnbench $(BUILD)/bpf/xdp_pass.bpf.o
	@command -v gnuplot >/dev/null || apt-get install -y $(BENCH_DEPS) >/dev/null || \
		echo 'gnuplot-nox is not installed: no --plot' >&2

bench: bench-build
	$(BUILD)/turnbench $(ARGS)

# root: the counter and the frames through BPF_PROG_TEST_RUN, under prove
bench-test: $(BUILD)/bench/test_bench.t
	prove -v --exec '' $<

# root: the XDP programs alone, ns per packet under BPF_PROG_TEST_RUN (tools/bench/prog.c)
bench-prog: $(BUILD)/turnbench-prog
	$(BUILD)/turnbench-prog $(ARGS)
# --- bench end ---

# --- soak begin ---
# `make soak` (root; about 12 minutes; not part of check): 10,000 allocations with channels
# kept alive through the XDP path for 10 minutes while 5% of the clients vanish
# (tests/soak/soak.sh). SOAK_MINUTES=2 is the quick mode (1,000 allocations).
SOAK_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/soak/*.c))

.PHONY: soak

$(BUILD)/soak-client: $(SOAK_OBJS) $(BUILD)/libturnd.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

soak: all $(BUILD)/soak-client $(BUILD)/bpf/xdp_pass.bpf.o
	BUILD=$(abspath $(BUILD)) tests/soak/soak.sh
# --- soak end ---

# --- fuzz begin ---
# `make fuzz [FUZZ_TIME=60] [FUZZ_TARGETS="fuzz_stun ..."]`: every libFuzzer harness in
# tests/fuzz/ built with clang (ASan + UBSan) against the daemon's objects in build-fuzz/, each
# run FUZZ_TIME seconds from its seed corpus (tests/fuzz/run.sh); prints a table.
# FUZZ_SAN=undefined: UBSan only (3-4x the executions a second, for long runs), built in
# build-fuzz-undefined/; the corpus and the execution totals stay in build-fuzz/corpus/.
comma        := ,
FUZZ_TIME    ?= 60
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_SAN     ?= address,undefined
FUZZ_BUILD   := build-fuzz$(if $(filter address$(comma)undefined,$(FUZZ_SAN)),,-$(FUZZ_SAN))
FUZZ_FLAGS   := -fsanitize=$(FUZZ_SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: fuzz fuzz-build

ifeq ($(FUZZ),1)
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libturnd.a
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/tests/fuzz/%.o: CPPFLAGS += -Itests -Itests/unit

# turnctl's answer reader is not in libturnd.a: linked into its own target only
$(BUILD)/fuzz/fuzz_jdoc: $(BUILD)/tools/turnctl/jdoc.o
$(BUILD)/tests/fuzz/fuzz_jdoc.o: CPPFLAGS += -Itools/turnctl

.SECONDARY: $(patsubst %,$(BUILD)/tests/fuzz/%.o,$(FUZZ_TARGETS))

fuzz-build: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))
else
fuzz-build:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 BUILD=$(FUZZ_BUILD) CC=clang \
		CFLAGS="-O1 -g $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" fuzz-build

fuzz: fuzz-build
	FUZZ_CORPUS=build-fuzz/corpus tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(FUZZ_TARGETS)
endif
# --- fuzz end ---

# --- test tools begin ---
# Programs the interop tests run: tests/tools/X.c -> $(BUILD)/tests/X (hostile: 66-hostile.t).
TEST_TOOLS := $(BUILD)/tests/hostile

$(BUILD)/tests/hostile: $(BUILD)/tests/tools/hostile.o
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^
# --- test tools end ---

tests: all $(TEST_BINS) $(BPF_OBJS) $(TEST_TOOLS)

# Install what is missing (dpkg-query first, so a ready machine runs no apt-get).
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done; \
		for c in $(DEPS_CMDS); do command -v $${c%%:*} >/dev/null || echo $${c#*:}; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

# `make check` (CI): the suite on the normal build, again on the ASan/UBSan build (LeakSanitizer
# on at exit), then every fuzz target for CHECK_FUZZ_TIME seconds. `make test [SAN=1]`: one suite.
CHECK_FUZZ_TIME ?= 20

check: deps
	$(Q)$(MAKE) --no-print-directory test SAN=
	$(Q)$(MAKE) --no-print-directory test SAN=1
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(CHECK_FUZZ_TIME)

test:
	$(Q)$(MAKE) --no-print-directory tests
	TURND=$(abspath $(BUILD))/turnd TURNCTL=$(abspath $(BUILD))/turnctl TURND_SAN=$(SAN) \
		prove -f --exec '' $(TEST_BINS) $(TEST_SCRIPTS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	exec $(BUILD)/turnd -c $(CONF)

# --- install begin ---
# make install [PREFIX=/usr/local] [DESTDIR=DIR]: binaries to PREFIX/sbin, man pages to
# PREFIX/share/man, the systemd unit (ExecStart pointing into PREFIX/sbin) to /lib/systemd/system,
# and turnd.conf to /etc/turnd/turnd.conf only when no file is there (an operator's edits stay).
PREFIX     ?= /usr/local
SBINDIR    := $(PREFIX)/sbin
MANDIR     := $(PREFIX)/share/man
UNITDIR    ?= /lib/systemd/system
CONFDIR    ?= /etc/turnd
MAN5       := doc/turnd.conf.5
MAN8       := doc/turnd.8 doc/turnctl.8

.PHONY: install uninstall

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR)
	install -m 0755 $(BUILD)/turnd $(BUILD)/turnctl $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	sed 's|/usr/sbin/turnd|$(SBINDIR)/turnd|g; s|/etc/turnd/turnd.conf|$(CONFDIR)/turnd.conf|g' \
		daemon/turnd.service > $(DESTDIR)$(UNITDIR)/turnd.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/turnd.service.tmp
	mv -f $(DESTDIR)$(UNITDIR)/turnd.service.tmp $(DESTDIR)$(UNITDIR)/turnd.service
	@if [ -e $(DESTDIR)$(CONFDIR)/turnd.conf ]; then \
		echo "  keeping  $(DESTDIR)$(CONFDIR)/turnd.conf (exists)"; \
	else \
		install -m 0640 turnd.conf $(DESTDIR)$(CONFDIR)/turnd.conf; \
	fi

# The configuration file is left in place: it is the operator's.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/turnd $(DESTDIR)$(SBINDIR)/turnctl \
		$(patsubst doc/%,$(DESTDIR)$(MANDIR)/man5/%,$(MAN5)) \
		$(patsubst doc/%,$(DESTDIR)$(MANDIR)/man8/%,$(MAN8)) \
		$(DESTDIR)$(UNITDIR)/turnd.service
# --- install end ---

clean:
	rm -rf build build-san build-fuzz build-fuzz-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
