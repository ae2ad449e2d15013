# Batch Processing Gateway in C: one plain GNU Makefile.
#
#   make            build lib, app programs and test programs
#   make test       install missing packages (Debian), build, run unit and
#                   integration tests
#   make check      unit tests only (Check)
#   make asan       unit tests under ASan+UBSan (no recover)
#   make demo       local stack with a SparkPi submission; make demo-stop
#   make fuzz       build the libFuzzer targets (clang)

CC       ?= cc
PKGS     := jansson yaml-0.1 libcurl libmariadb uuid libjwt
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd gnutls 2>/dev/null)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd gnutls 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wpointer-arith -Wcast-qual -Wwrite-strings \
	-Wundef -Wnull-dereference -Wimplicit-fallthrough -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif
OPT      ?= -O2 -g
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -MMD -MP \
	-Ilib $(PKG_CFLAGS)
LDFLAGS  += -pie -Wl,-z,relro,-z,now
LDLIBS   += $(PKG_LIBS) -lm

BUILD    ?= build
GIT_REV  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS   += -DBPG_VERSION='"$(VERSION)"' -DBPG_GIT_REV='"$(GIT_REV)"'

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBBPG   := $(BUILD)/libbpg.a

APPS     := $(BUILD)/bpg-gateway $(BUILD)/bpg-monitor
UNIT_SRC := $(wildcard tests/check_*.c)
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%)
INTEG_SRC := $(wildcard tests/integ/check_*.c)
INTEG_BIN := $(INTEG_SRC:tests/integ/%.c=$(BUILD)/tests/integ/%)
TOOL_BIN := $(BUILD)/kubesim $(INTEG_BIN)
# Test-side helpers linked into every test program (the CRD schema
# validator of the Kubernetes stand-in).
TESTLIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/kubesim/schema.c))

.PHONY: all test check asan integ demo demo-stop deps fuzz clean format \
	format-check bench valgrind
all: $(LIBBPG) $(APPS) $(UNIT_BIN) $(TOOL_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBBPG): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/bpg-gateway: $(BUILD)/app/bpg-gateway.o $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lfcgi
$(BUILD)/bpg-monitor: $(BUILD)/app/bpg-monitor.o $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: tests/check_<module>.c mirrors lib/<module>.c.
$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(TESTLIB_OBJ) $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
$(BUILD)/tests/check_%.o: tests/check_%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -Itests/kubesim -c -o $@ $<

# Integration tests: Check programs that drive the running stack.
$(BUILD)/tests/integ/check_%: $(BUILD)/tests/integ/check_%.o $(TESTLIB_OBJ) $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
$(BUILD)/tests/integ/%.o: tests/integ/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -Itests/kubesim -c -o $@ $<

# Kubernetes API stand-in (test tool).
KUBESIM_SRC := $(wildcard tests/kubesim/*.c)
KUBESIM_OBJ := $(KUBESIM_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/tests/kubesim/%.o: tests/kubesim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MHD_CFLAGS) -Itests/kubesim -c -o $@ $<
$(BUILD)/kubesim: $(KUBESIM_OBJ) $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(MHD_LIBS) -lpthread

deps:
	@sh tests/deps.sh

check: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

integ: all
	@sh tests/integ.sh

test: deps
	$(MAKE) all
	$(MAKE) check
	$(MAKE) integ

asan:
	$(MAKE) BUILD=build-asan OPT='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		LDFLAGS='-fsanitize=address,undefined' HARDEN= check

valgrind: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do CK_FORK=no valgrind -q --error-exitcode=1 \
		--leak-check=full $$t || exit 1; done

demo: all
	@sh tests/demo.sh start

demo-stop:
	@sh tests/demo.sh stop

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
fuzz: $(FUZZ_BIN)
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib \
		$(PKG_CFLAGS) -DBPG_VERSION='"fuzz"' -DBPG_GIT_REV='"fuzz"' \
		-o $@ $< $(LIB_SRC) $(PKG_LIBS) -lm

format:
	clang-format -i lib/*.[ch] app/*.c tests/*.c tests/*/*.c
format-check:
	clang-format --dry-run --Werror lib/*.[ch] app/*.c

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
