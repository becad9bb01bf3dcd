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
DEPS_TEST  := coturn iproute2 ethtool valgrind perl procps psmisc strace
DEPS       := $(DEPS_BUILD) $(DEPS_TEST)

DAEMON_SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(DAEMON_SRCS))
TURNCTL_SRCS := $(wildcard tools/turnctl/*.c)
TURNCTL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TURNCTL_SRCS))
TEST_SRCS   := $(wildcard tests/unit/test_*.c)
TEST_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%.t,$(TEST_SRCS))
TEST_SCRIPTS := $(sort $(wildcard tests/interop/*.t))

.PHONY: all clean check run deps help tests
.DELETE_ON_ERROR:

all: $(BUILD)/turnd $(BUILD)/turnctl

help:
	@echo 'make            build build/turnd and build/turnctl'
	@echo 'make run        install missing deps, build, run turnd on $(CONF) in the foreground'
	@echo 'make check      install missing deps, build, run every test under prove'
	@echo 'make deps       install the Debian packages the build and tests need'
	@echo 'make clean      remove build/'
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

# --- bpf begin ---
# XDP programs: bpf/X.bpf.c -> build/bpf/X.bpf.o -> build/X.skel.h (bpftool gen skeleton).
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu -Ibpf
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
$(BUILD)/tests/test_xdp.t: $(BPF_SKELS)
# --- bpf end ---

tests: all $(TEST_BINS) $(BPF_OBJS)

# Install what is missing (dpkg-query first, so a ready machine runs no apt-get).
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

check: deps
	$(Q)$(MAKE) --no-print-directory tests
	TURND=$(abspath $(BUILD))/turnd TURNCTL=$(abspath $(BUILD))/turnctl TURND_SAN=$(SAN) \
		prove -f --exec '' $(TEST_BINS) $(TEST_SCRIPTS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	exec $(BUILD)/turnd -c $(CONF)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
