# Batch Processing Gateway in C: one plain GNU Makefile.
#
#   make            build lib, app programs and test programs
#   make test       install missing packages (Debian), build, run unit and
#                   integration tests
#   make check      unit tests only (Check)
#   make asan       unit tests under ASan+UBSan (no recover)
#   make demo       local stack with a SparkPi submission; make demo-stop
#   make fuzz       build the libFuzzer targets (clang); tests/fuzz-run.sh
#                   runs them

CC       ?= cc
PKGS     := jansson yaml-0.1 libcurl libmariadb uuid libjwt libcrypto libssl
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
# The programs (and floor, tests/bench/floor.c, built the same way) are
# linked with link-time optimisation: a submission is about 1% fewer
# instructions (tests/bench/callgrind.sh), most of it calls across modules
# inlined.  The library's objects are fat (they carry their machine code
# too), so the tests, linked with -fno-lto, link as before.  LTO= turns
# it off (the sanitizer build does).
LTO      ?= -flto=auto -ffat-lto-objects
# Every other link reads the objects' machine code (GCC would otherwise
# optimise each test program whole, seconds a program).
LDFLAGS  += $(if $(LTO),-fno-lto,)
# ... but the programs': theirs are whole-program.
LTO_LDFLAGS = $(filter-out -fno-lto,$(LDFLAGS)) $(LTO) $(OPT)
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -MMD -MP \
	-Ilib $(PKG_CFLAGS)
LDFLAGS  += -pie -Wl,-z,relro,-z,now
LDLIBS   += $(PKG_LIBS) -lm

BUILD    ?= build
GIT_REV  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS   += -DBPG_VERSION='"$(VERSION)"' -DBPG_GIT_REV='"$(GIT_REV)"'
# GET /admin/version's buildTime, reproducible: SOURCE_DATE_EPOCH when set,
# else the last commit's time, else the VERSION file's, in UTC.
BUILD_TIME := $(shell if [ -n "$$SOURCE_DATE_EPOCH" ]; then \
	date -u -d "@$$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ; \
	else TZ=UTC git log -1 --format=%cd \
	--date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || \
	date -u -r VERSION +%Y-%m-%dT%H:%M:%SZ 2>/dev/null; fi)
ifneq ($(BUILD_TIME),)
CFLAGS   += -DBPG_BUILD_TIME='"$(BUILD_TIME)"'
endif

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
$(LIB_OBJ) $(BUILD)/app/%.o $(BUILD)/tests/bench/floor.o \
    $(BUILD)/tests/bench/prefork.o $(BUILD)/tests/bench/benchdb.o: \
    CFLAGS += $(LTO)
LIBBPG   := $(BUILD)/libbpg.a

APPS     := $(BUILD)/bpg-gateway $(BUILD)/bpg-monitor $(BUILD)/bpg-cli
UNIT_SRC := $(wildcard tests/check_*.c)
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%)
INTEG_SRC := $(wildcard tests/integ/check_*.c)
INTEG_BIN := $(INTEG_SRC:tests/integ/%.c=$(BUILD)/tests/integ/%)
GALERA_BIN := $(BUILD)/tests/galera/check_galera
TOOL_BIN := $(BUILD)/kubesim $(BUILD)/webhook $(INTEG_BIN) \
	$(BUILD)/tests/forkfail.so $(GALERA_BIN)
# Test-side helpers linked into every test program (the CRD schema
# validator of the Kubernetes stand-in, and its name, label and annotation
# rules of the API server and the operator's webhook).
TESTLIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/kubesim/schema.c \
	tests/kubesim/util.c))

.PHONY: all test check asan integ integ-asan demo demo-stop deps fuzz clean \
	test-galera test-ha \
	format bench valgrind
all: $(LIBBPG) $(APPS) $(UNIT_BIN) $(TOOL_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Made anew each time: "ar r" keeps members whose source has gone, and a
# stale one would still be linked (lib/bpg_db.c, now lib/bpg_db_*.c).
$(LIBBPG): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# The OpenAPI document, compiled into bpg-gateway (GET /openapi.yaml and
# /openapi.json) as a byte array written with od and sed.
OPENAPI  := httpd-conf/openapi.yaml
$(BUILD)/gen/openapi_yaml.c: $(OPENAPI)
	@mkdir -p $(dir $@)
	{ echo '/* Generated from $(OPENAPI) by the Makefile; do not edit. */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const unsigned char bpg_openapi_yaml[];'; \
	  echo 'extern const size_t bpg_openapi_yaml_len;'; \
	  echo 'const unsigned char bpg_openapi_yaml[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; \
	  echo 'const size_t bpg_openapi_yaml_len = sizeof(bpg_openapi_yaml) - 1;'; \
	} > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/openapi_yaml.o: $(BUILD)/gen/openapi_yaml.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/bpg-gateway: $(BUILD)/app/bpg-gateway.o $(BUILD)/app/gateway-worker.o \
    $(BUILD)/gen/openapi_yaml.o \
    $(LIBBPG)
	$(CC) $(LTO_LDFLAGS) -o $@ $^ $(LDLIBS) -lfcgi
# The monitor serves /metrics with libmicrohttpd (-m).
MON_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
$(BUILD)/bpg-monitor: $(BUILD)/app/bpg-monitor.o $(LIBBPG)
	$(CC) $(LTO_LDFLAGS) -o $@ $^ $(LDLIBS) $(MON_LIBS)
# The command-line client needs libcurl and jansson only.
CLI_LIBS := $(shell pkg-config --libs libcurl jansson 2>/dev/null)
$(BUILD)/bpg-cli: $(BUILD)/app/bpg-cli.o $(LIBBPG)
	$(CC) $(LTO_LDFLAGS) -o $@ $^ $(CLI_LIBS)

# Unit tests: tests/check_<module>.c mirrors lib/<module>.c.  Each is
# linked with the fixtures they share (tests/testutil.h, testdb.h,
# testapi.h).
UNIT_OBJ := $(BUILD)/tests/testutil.o $(BUILD)/tests/testdb.o \
    $(BUILD)/tests/testapi.o
$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(UNIT_OBJ) $(TESTLIB_OBJ) \
    $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
$(BUILD)/tests/check_%.o: tests/check_%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -Itests/kubesim -c -o $@ $<
$(UNIT_OBJ): $(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -c -o $@ $<

# Integration tests: Check programs that drive the running stack, each
# linked with the helpers they share (tests/integ/integ.h).
INTEG_OBJ := $(BUILD)/tests/integ/integ.o
$(BUILD)/tests/integ/check_%: $(BUILD)/tests/integ/check_%.o $(INTEG_OBJ) \
    $(TESTLIB_OBJ) $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
$(BUILD)/tests/integ/%.o: tests/integ/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -Itests/kubesim -c -o $@ $<

# The lease on a 3-node Galera cluster (tests/ha/galera.sh: packages galera-4,
# mariadb-backup, socat).  Not part of make test (see README): make
# test-galera, on ports GALERA_BASE..GALERA_BASE+23.
GALERA_BASE ?= 18440
$(GALERA_BIN): $(BUILD)/tests/galera/check_galera.o $(UNIT_OBJ) $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
$(BUILD)/tests/galera/%.o: tests/galera/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -c -o $@ $<
test-galera: $(GALERA_BIN)
	@sh tests/ha/galera.sh test $(CURDIR)/var/galera $(GALERA_BASE)

# fork() failing on demand (LD_PRELOAD), for the supervisor's tests.
$(BUILD)/tests/forkfail.so: tests/integ/forkfail.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

# Kubernetes API stand-in (test tool).
KUBESIM_SRC := $(wildcard tests/kubesim/*.c)
KUBESIM_OBJ := $(KUBESIM_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/tests/kubesim/%.o: tests/kubesim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MHD_CFLAGS) -Itests/kubesim -c -o $@ $<
$(BUILD)/kubesim: $(KUBESIM_OBJ) $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(MHD_LIBS) -lpthread

# HTTPS receiver of notifications (test tool).
$(BUILD)/tests/webhook/%.o: tests/webhook/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MHD_CFLAGS) -c -o $@ $<
$(BUILD)/webhook: $(BUILD)/tests/webhook/main.o $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(MHD_LIBS) -lpthread

deps:
	@sh tests/deps.sh

check: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

integ: all
	@sh tests/integ.sh

# Several gateways on a 3-node Galera cluster behind HAProxy, under load,
# losing an instance and a node (tests/ha/ha-test.sh; README, Running
# several gateways).  About 2 minutes; not part of make test.
test-ha: all
	@sh tests/ha/ha-test.sh

# Both trees are built first (two jobs each); then tests/test-all.sh runs
# the unit, integration, ASan and installation suites side by side.
test: deps
	$(MAKE) -j2 all
	$(MAKE) -j2 $(ASAN_MAKE) all
	@sh tests/test-all.sh

# The same under ASan+UBSan (build-asan/): the unit tests, and the
# integration suite behind lighttpd with the gateway, the monitor and the
# stand-in built with them; integ.sh fails a run whose logs hold a
# sanitizer report (a worker that aborts is respawned, so a passing test
# alone would not show it).
ASAN_MAKE := BUILD=build-asan HARDEN= LTO= \
	OPT='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
	LDFLAGS='-fsanitize=address,undefined'
# Check's timeouts are scaled (CK_TIMEOUT_MULTIPLIER) for the slower
# sanitized programs.
asan:
	CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-4} \
		$(MAKE) $(ASAN_MAKE) check
integ-asan:
	$(MAKE) $(ASAN_MAKE) all
	@CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-4} BUILD=build-asan \
		WEBS=lighttpd BPG_INTEG_INSTALL=0 BPG_INTEG_PORT_BASE=18640 \
		BPG_INTEG_DIR=$(CURDIR)/var/integ-asan sh tests/integ.sh

valgrind: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do CK_FORK=no valgrind -q --error-exitcode=1 \
		--leak-check=full $$t || exit 1; done

demo: all swagger-ui dashboard
	@sh tests/demo.sh start

demo-stop:
	@sh tests/demo.sh stop

# The library is compiled once for all targets (instrumented for the
# fuzzer, without its main), then each target links it.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS := -g -O1 -fsanitize=address,undefined -D_GNU_SOURCE -Ilib \
	$(PKG_CFLAGS) -DBPG_VERSION='"fuzz"' -DBPG_GIT_REV='"fuzz"'
FUZZ_LIB_OBJ := $(LIB_SRC:lib/%.c=build-fuzz/lib/%.o)
fuzz: $(FUZZ_BIN)
build-fuzz/lib/%.o: lib/%.c
	@mkdir -p build-fuzz/lib
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
build-fuzz/libbpg.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libbpg.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libbpg.a \
		$(PKG_LIBS) -lm
-include $(FUZZ_LIB_OBJ:.o=.d)

# .clang-format approximates the style of CONVENTIONS.md (KNF); it cannot
# express KNF's continuation lines, so it is no gate.  "make format"
# reformats only the lines changed since the last commit.
format:
	git clang-format --extensions c,h

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- web tier: Swagger UI and installation -------------------------------
#
#   make swagger-ui   Swagger UI's static files (swagger-ui-dist, pinned in
#                     httpd-conf/swagger-ui/package-lock.json, fetched with
#                     npm ci, no install scripts) and our index.html in
#                     $(BUILD)/swagger-ui/
#   make dashboard    the dashboard's page and its charting library (uplot,
#                     pinned in httpd-conf/dashboard/package-lock.json, the
#                     same way) in $(BUILD)/dashboard/
#   make install      PREFIX=/usr/local DESTDIR= : binaries (bpg, the
#                     command-line client, in bin/ with its bash
#                     completion), web server
#                     snippets, Swagger UI, the dashboard, error
#                     documents, the OpenAPI
#                     document, config.example.yaml, systemd units
#   make uninstall    the same files removed (config.yaml, htpasswd kept)

PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR     ?= $(PREFIX)/share/bpg
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SWAGGER_UI  := $(BUILD)/swagger-ui
SWAGGER_NPM := $(BUILD)/swagger-ui-npm
# The files of swagger-ui-dist that the page uses (BaseLayout: no
# standalone preset).
SWAGGER_DIST := swagger-ui.css swagger-ui-bundle.js favicon-16x16.png \
	favicon-32x32.png LICENSE
DASHBOARD     := $(BUILD)/dashboard
DASHBOARD_NPM := $(BUILD)/dashboard-npm
DASHBOARD_SRC := index.html dashboard.js dashboard.css

.PHONY: swagger-ui dashboard install uninstall
swagger-ui: $(SWAGGER_UI)/index.html
dashboard: $(DASHBOARD)/index.html

$(SWAGGER_UI)/index.html: httpd-conf/swagger-ui/package.json \
    httpd-conf/swagger-ui/package-lock.json httpd-conf/swagger-ui/index.html \
    httpd-conf/swagger-ui/swagger-initializer.js
	@command -v npm >/dev/null || { echo "npm is needed (tests/deps.sh)"; exit 1; }
	rm -rf $(SWAGGER_NPM) $(SWAGGER_UI).tmp
	mkdir -p $(SWAGGER_NPM) $(SWAGGER_UI).tmp
	cp httpd-conf/swagger-ui/package.json httpd-conf/swagger-ui/package-lock.json \
		$(SWAGGER_NPM)/
	cd $(SWAGGER_NPM) && npm ci --ignore-scripts --no-audit --no-fund \
		--loglevel=error
	for f in $(SWAGGER_DIST); do \
		cp $(SWAGGER_NPM)/node_modules/swagger-ui-dist/$$f \
		    $(SWAGGER_UI).tmp/ || exit 1; \
	done
	cp httpd-conf/swagger-ui/index.html httpd-conf/swagger-ui/swagger-initializer.js \
		$(SWAGGER_UI).tmp/
	rm -rf $(SWAGGER_UI) && mv $(SWAGGER_UI).tmp $(SWAGGER_UI)

$(DASHBOARD)/index.html: httpd-conf/dashboard/package.json \
    httpd-conf/dashboard/package-lock.json \
    $(addprefix httpd-conf/dashboard/,$(DASHBOARD_SRC))
	@command -v npm >/dev/null || { echo "npm is needed (tests/deps.sh)"; exit 1; }
	rm -rf $(DASHBOARD_NPM) $(DASHBOARD).tmp
	mkdir -p $(DASHBOARD_NPM) $(DASHBOARD).tmp
	cp httpd-conf/dashboard/package.json httpd-conf/dashboard/package-lock.json \
		$(DASHBOARD_NPM)/
	cd $(DASHBOARD_NPM) && npm ci --ignore-scripts --no-audit --no-fund \
		--loglevel=error
	cp $(DASHBOARD_NPM)/node_modules/uplot/dist/uPlot.iife.min.js \
		$(DASHBOARD_NPM)/node_modules/uplot/dist/uPlot.min.css \
		$(DASHBOARD).tmp/
	cp $(DASHBOARD_NPM)/node_modules/uplot/LICENSE $(DASHBOARD).tmp/LICENSE.uplot
	cp $(addprefix httpd-conf/dashboard/,$(DASHBOARD_SRC)) $(DASHBOARD).tmp/
	rm -rf $(DASHBOARD) && mv $(DASHBOARD).tmp $(DASHBOARD)

# Paths in the snippets and units follow PREFIX, DATADIR and SYSCONFDIR.
INSTALL_SED := sed -e 's|/usr/local/share/bpg|$(DATADIR)|g' \
	-e 's|/etc/bpg/|$(SYSCONFDIR)/bpg/|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g'

install: $(BUILD)/bpg-gateway $(BUILD)/bpg-cli swagger-ui dashboard
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 $(BUILD)/bpg-cli $(DESTDIR)$(BINDIR)/bpg
	install -m 0644 app/bpg-completion.bash $(DESTDIR)$(COMPLETIONDIR)/bpg
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/swagger-ui \
		$(DESTDIR)$(DATADIR)/dashboard \
		$(DESTDIR)$(DATADIR)/errors $(DESTDIR)$(DATADIR)/httpd-conf/lighttpd \
		$(DESTDIR)$(DATADIR)/httpd-conf/apache $(DESTDIR)$(SYSCONFDIR)/bpg \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BUILD)/bpg-gateway $(DESTDIR)$(SBINDIR)/bpg-gateway
	if [ -x $(BUILD)/bpg-monitor ]; then \
		install -m 0755 $(BUILD)/bpg-monitor $(DESTDIR)$(SBINDIR)/bpg-monitor; \
	else \
		echo "install: no $(BUILD)/bpg-monitor, not installed"; \
	fi
	install -m 0644 $(SWAGGER_UI)/* $(DESTDIR)$(DATADIR)/swagger-ui/
	install -m 0644 $(DASHBOARD)/* $(DESTDIR)$(DATADIR)/dashboard/
	install -m 0644 httpd-conf/errors/*.html httpd-conf/errors/README \
		$(DESTDIR)$(DATADIR)/errors/
	install -m 0644 httpd-conf/openapi.yaml $(DESTDIR)$(DATADIR)/openapi.yaml
	$(INSTALL_SED) httpd-conf/lighttpd/50-bpg.conf \
		> $(DESTDIR)$(DATADIR)/httpd-conf/lighttpd/50-bpg.conf
	$(INSTALL_SED) httpd-conf/apache/bpg.conf \
		> $(DESTDIR)$(DATADIR)/httpd-conf/apache/bpg.conf
	chmod 0644 $(DESTDIR)$(DATADIR)/httpd-conf/*/*.conf
	install -m 0644 httpd-conf/deploy/config.example.yaml \
		$(DESTDIR)$(SYSCONFDIR)/bpg/config.example.yaml
	for u in bpg-gateway bpg-monitor; do \
		$(INSTALL_SED) httpd-conf/deploy/$$u.service.in \
		    > $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service; \
	done
	install -m 0644 httpd-conf/deploy/sysusers-bpg.conf $(DESTDIR)$(SYSUSERSDIR)/bpg.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bpg $(DESTDIR)$(COMPLETIONDIR)/bpg
	rm -f $(DESTDIR)$(SBINDIR)/bpg-gateway $(DESTDIR)$(SBINDIR)/bpg-monitor \
		$(DESTDIR)$(SYSCONFDIR)/bpg/config.example.yaml \
		$(DESTDIR)$(UNITDIR)/bpg-gateway.service \
		$(DESTDIR)$(UNITDIR)/bpg-monitor.service \
		$(DESTDIR)$(SYSUSERSDIR)/bpg.conf
	rm -rf $(DESTDIR)$(DATADIR)

# Benchmarks, never part of "make test": tests/bench/bench.sh starts its
# own stack on ports 20300-20328 and prints one table (also written to
# var/bench/results.txt), in about 3 minutes, and the monitor's section
# (tests/bench/monitor.sh) in about 2 more.
#   make bench [WEB=apache] [LONG=1] [SCALE=0] [MONITOR=0|only]
#       [CATCHUP_APPS=N]
BENCH_BIN := $(BUILD)/tests/bench/hello $(BUILD)/tests/bench/floor \
	$(BUILD)/tests/bench/dbdrive $(BUILD)/tests/bench/firstreq \
	$(BUILD)/tests/bench/memgroup $(BUILD)/tests/bench/reportbench \
	$(BUILD)/tests/bench/monupsert $(BUILD)/tests/bench/monprobe
$(BUILD)/tests/bench/%.o: tests/bench/%.c tests/bench/prefork.h \
    tests/bench/benchdb.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/tests/bench/hello: $(BUILD)/tests/bench/hello.o \
    $(BUILD)/tests/bench/prefork.o
	$(CC) $(LDFLAGS) -o $@ $^ -lfcgi
$(BUILD)/tests/bench/floor: $(BUILD)/tests/bench/floor.o \
    $(BUILD)/tests/bench/prefork.o $(BUILD)/tests/bench/benchdb.o
	$(CC) $(LTO_LDFLAGS) -o $@ $^ $(LDLIBS) -lfcgi
$(BUILD)/tests/bench/dbdrive: $(BUILD)/tests/bench/dbdrive.o \
    $(BUILD)/tests/bench/benchdb.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/tests/bench/reportbench: $(BUILD)/tests/bench/reportbench.o \
    $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/bench/monupsert: $(BUILD)/tests/bench/monupsert.o \
    $(LIBBPG)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/bench/monprobe: $(BUILD)/tests/bench/monprobe.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread
$(BUILD)/tests/bench/firstreq: tests/bench/firstreq.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)
$(BUILD)/tests/bench/memgroup: tests/bench/memgroup.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) WEB=$(WEB) LONG=$(LONG) SCALE=$(SCALE) \
		MONITOR=$(MONITOR) CATCHUP_APPS=$(CATCHUP_APPS) \
		sh tests/bench/bench.sh
