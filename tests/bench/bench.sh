#!/bin/sh
# The gateway's benchmark: is bpg-gateway ever the bottleneck?  Every
# figure is measured next to a reference taken in the same run, on the
# same machine, behind the same web server configuration:
#
#   healthcheck, status  vs  hello (tests/bench/hello.c), the smallest
#                            pre-forked libfcgi responder, same worker
#                            count, behind a second web server instance
#   submit               vs  the Kubernetes API stand-in's create and
#                            MariaDB's insert of the same row, each driven
#                            directly (wrk over TLS with the bearer token;
#                            tests/bench/dbdrive.c), and floor
#                            (tests/bench/floor.c): the same insert and
#                            create behind the same web server with none
#                            of the gateway's own work, the least any
#                            gateway of this design can cost
#   CPU per request      vs  hello's, from /proc/PID/stat of the workers;
#                            for submit also the stand-in's, MariaDB's and
#                            the web server's share, beside the back ends'
#                            own cost when driven directly
#   RSS, start-up time   vs  hello's
#
# The back ends are driven directly with min(CONC, WORKERS) connections:
# the gateway never has more requests in flight to them than workers.
#
#   sh tests/bench/bench.sh            (make bench)
#
# tests/bench/callgrind.sh counts a worker's instructions per request
# instead, which a busy machine does not disturb: use it to compare a
# change before and after.
#
# Knobs (environment): WEB=lighttpd|apache, WORKERS (4), CONC (wrk
# connections, 8), DUR (seconds per measured run, 4), WARM (warm-up
# seconds before each, 1), ROUNDS (3; figures are the median of the
# rounds, gateway and reference runs interleaved), BENCH_PORT_BASE
# (20300; uses BASE..BASE+28), LONG=1 (RSS of 8 workers over 1,000,000
# requests instead), SCALE=0 (without the 1,000,000-row database check,
# tests/bench/scale.sh, which takes about a minute), MONITOR=0 (without
# the monitor's section, tests/bench/monitor.sh: catch-up of
# CATCHUP_APPS (100000) SparkApplications over 4 clusters and the steady
# state at about 500 changes/s, against its statements driven directly;
# about 2 minutes), MONITOR=only (that section alone).
#
# Output: one table, tab-separated, on stdout and in var/bench/results.txt
# (and var/bench/results-VARIANT.txt):
#
#   figure  value  unit  reference  ratio  target  met  against
#
# "ratio" is value/reference; "target" says what is hoped for (recorded,
# never asserted: the exit status only says whether the run worked).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export BUILD
WEB=${WEB:-lighttpd}
export WEB
WORKERS=${WORKERS:-4}
CONC=${CONC:-8}
DUR=${DUR:-4}
WARM=${WARM:-1}
ROUNDS=${ROUNDS:-3}
LONG=${LONG:-0}
SCALE=${SCALE:-1}
MONITOR=${MONITOR:-1}
BASE=${BENCH_PORT_BASE:-20300}
SHARED=${BPG_SHARED_DIR:-$top/../shared}
BIN=$top/$BUILD/tests/bench
BENCH_LUA=$top/tests/bench
BENCH_NONCE=0 nonce_seq=0
export BENCH_LUA BENCH_NONCE

out=$top/var/bench
stack=$out/stack
hello=$out/hello
floor=$out/floor
work=$out/work
raw=$work/raw
sparkpi=$SHARED/spec/sparkpi-request.json
hz=$(getconf CLK_TCK)

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

for t in wrk spawn-fcgi curl jq mariadb pgrep; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
for t in hello floor dbdrive firstreq; do
	[ -x "$BIN/$t" ] || die "build first: make bench (no $BIN/$t)"
done
[ -x "$BUILD/bpg-gateway" ] || die "build first: make bench"
[ -f "$sparkpi" ] || die "no $sparkpi (set BPG_SHARED_DIR)"
case "$WORKERS$CONC$ROUNDS" in *[!0-9]*) die "WORKERS, CONC, ROUNDS: numbers" ;; esac

# ---- helpers ---------------------------------------------------------

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {	# TERM, wait up to 10 s, KILL
	[ -f "$1" ] || return 0
	p=$(cat "$1")
	if kill "$p" 2>/dev/null; then
		n=100
		while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$p" 2>/dev/null || true
	fi
	rm -f "$1"
}

cleanup() {
	for d in "$hello" "$floor"; do
		stop_pidfile "$d/gateway.pid"
		sh tests/stack.sh web-stop "$d" >/dev/null 2>&1 || true
	done
	sh tests/stack.sh stop "$stack" >/dev/null 2>&1 || true
	[ "$MONITOR" = 0 ] || mon_cleanup
}

# Sum of utime+stime (clock ticks) of the given pids.
cpu_ticks() {
	t=0
	for p in "$@"; do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# Memory (kB) of the given pids: "RSS PSS GROUP", the sums of VmRSS and of
# Pss, and the group's resident pages each counted once (memgroup.c; "-"
# without the privilege to read page frames).
mem_kb() {
	r=0 s=0
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		r=$((r + ${v:-0}))
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" \
		    2>/dev/null)
		s=$((s + ${v:-0}))
	done
	g=$("$BIN/memgroup" "$@" 2>/dev/null) || g=kb=-
	echo "$r $s ${g#kb=}"
}

workers_of() { pgrep -P "$1" | tr '\n' ' '; }

kv() {	# kv KEY LINE: the value of KEY=... in LINE
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

put() {	# put NAME VALUE: one sample of a figure
	echo "$1 $2" >> "$raw"
}

basic="Authorization: Basic $(printf '%s' alice:alice-pw | base64)"

# run_wrk NAME SUPERVISOR_PID CONNECTIONS URL SCRIPT [wrk options]: warm
# up, then a measured run; records NAME.rps, .p50, .p99, .cpu (us/request,
# workers of SUPERVISOR_PID; none if it is "-").  The Lua scripts take
# their inputs from BENCH_* variables (exported).
run_wrk() {
	name=$1 sup=$2 conn=$3 url=$4 script=$5
	shift 5
	# Object names made by kcreate.lua differ in every wrk run.
	nonce_seq=$((nonce_seq + 1))
	BENCH_NONCE=w$nonce_seq-$$
	wrk -t1 -c"$conn" -d"${WARM}s" -s "$BENCH_LUA/$script" "$@" "$url" \
	    >/dev/null 2>&1 || true
	pids=""
	[ "$sup" = - ] || pids=$(workers_of "$sup")
	watch_start
	c0=$(cpu_ticks $pids)
	BENCH_NONCE=m$nonce_seq-$$
	line=$(wrk -t1 -c"$conn" -d"${DUR}s" --latency \
	    -s "$BENCH_LUA/$script" "$@" "$url" 2>&1 | grep '^wrk ') ||
	    die "wrk failed on $url"
	c1=$(cpu_ticks $pids)
	req=$(kv requests "$line")
	[ "$req" -gt 0 ] || die "$name: no request completed ($line)"
	watch_stop "$name" "$req"
	bad=$(($(kv non2xx "$line") + $(kv errors "$line")))
	[ "$bad" -eq 0 ] || note "$name: of $req requests $(kv non2xx \
	    "$line") were not 2xx, $(kv errors "$line") failed"
	echo "$name $bad" >> "$work/failures"
	put "$name.rps" "$(kv rps "$line")"
	put "$name.p50" "$(kv p50_ms "$line")"
	put "$name.p99" "$(kv p99_ms "$line")"
	[ "$sup" = - ] || put "$name.cpu" \
	    "$(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="$req" \
	    'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
}

# The other processes a run keeps busy, "label=pidfile" pairs in $watch
# (empty: none): their CPU per request is recorded as NAME.cpu_LABEL, the
# web server's with its children.
watch=""
watch_start() {
	w0=""
	for lp in $watch; do
		w0="$w0 $(cpu_ticks $(tree_pids "${lp#*=}"))"
	done
}
watch_stop() {	# watch_stop NAME REQUESTS
	set -- "$1" "$2" $w0
	wn=$1 wr=$2
	shift 2
	for lp in $watch; do
		t=$(($(cpu_ticks $(tree_pids "${lp#*=}")) - $1))
		shift
		put "$wn.cpu_${lp%%=*}" "$(awk -v t="$t" -v hz="$hz" \
		    -v n="$wr" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
	done
}
tree_pids() {	# tree_pids PIDFILE: the pid and its children
	[ -f "$1" ] || return 0
	tp=$(cat "$1")
	echo "$tp $(pgrep -P "$tp" | tr '\n' ' ')"
}

# Start spawn-fcgi + PROGRAM in DIR and time the first 200 through the
# web server at PORT; records NAME.start (ms).
start_timed() {
	name=$1 d=$2 port=$3
	shift 3
	stop_pidfile "$d/gateway.pid"
	group=""
	[ "$(id -u)" = 0 ] && group="-G www-data"
	ms=$("$BIN/firstreq" -s "$d/gateway.sock" \
	    -U "https://127.0.0.1:$port/skatev2/healthcheck/status" \
	    -W "https://127.0.0.1:$port/" -a alice:alice-pw \
	    -k "$d/pki/ca.pem" -p "$d/gateway.pid" -l "$d/gateway.log" \
	    -- spawn-fcgi -s "$d/gateway.sock" -M 0660 $group -n -- "$@") ||
	    die "$name did not answer: $(tail -3 "$d/gateway.log")"
	put "$name.start" "$ms"
}

median() {	# median NAME: of the samples of NAME
	awk -v k="$1" '$1 == k { print $2 }' "$raw" | sort -g |
	    awk '{ v[NR] = $1 } END {
		if (NR == 0) print "-";
		else if (NR % 2) print v[(NR + 1) / 2];
		else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# round_ratios A B: A/B within each round, smallest first.
round_ratios() {
	awk -v a="$1" -v b="$2" '$1 == a { x[++na] = $2 }
	    $1 == b { y[++nb] = $2 }
	    END { for (i = 1; i <= na && i <= nb; i++)
		if (y[i] > 0) print x[i] / y[i] }' "$raw" | sort -g
}

# paired A B: the median over the rounds of A/B within each round.  A
# round runs the gateway's submissions and floor's back to back (taking
# turns at going first), so the ratio of a pair holds less of the drift of
# a shared host between rounds than the ratio of the two medians does
# (both are in the table).
paired() {
	round_ratios "$1" "$2" | awk '{ v[NR] = $1 } END {
		if (NR == 0) print "-";
		else if (NR % 2) printf "%.4f\n", v[(NR + 1) / 2];
		else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# paired_ci A B: "LOW HIGH PERCENT", a distribution-free interval for the
# median of paired()'s ratios: the k-th smallest and k-th largest, with
# k the largest such that fewer than k of n ratios fall below the true
# median with a chance of at most 2.5% (the binomial with p = 1/2); it
# holds the median with PERCENT chance (96 for 12 rounds, from the 3rd to
# the 10th; 98 for 24, the 7th to the 18th; 97 for 36, the 12th to the
# 25th; 94 for 5, the whole range).
# Printed unrounded enough for row() to hold it to a target: a target is
# met beyond the rounds' noise when the whole interval meets it.
paired_ci() {
	round_ratios "$1" "$2" | awk '{ v[NR] = $1 } END {
		n = NR
		if (n == 0) { print "- - -"; exit }
		p = 0.5 ^ n; cdf[0] = p
		for (i = 1; i <= n; i++) {
			p = p * (n - i + 1) / i
			cdf[i] = cdf[i - 1] + p
		}
		for (k = 1; k < n / 2 && cdf[k] <= 0.025; k++)
			;
		printf "%.4f %.4f %.0f\n", v[k], v[n + 1 - k],
		    100 * (1 - 2 * cdf[k - 1]) }'
}

# row FIGURE VALUE UNIT REFERENCE TARGET AGAINST: one line of the table.
# TARGET is "ratio>=X", "ratio<=X", "value<=X" or "-".
row() {
	awk -v f="$1" -v v="$2" -v u="$3" -v r="$4" -v t="$5" -v a="$6" \
	    'function num(x) { return x ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ }
	BEGIN {
		ratio = "-"
		if (num(v) && num(r) && r + 0 > 0)
			ratio = sprintf("%.2f", v / r)
		met = "-"
		if (t ~ /^(ratio|value)(>=|<=)/) {
			# Against the unrounded figure: 0.896 is no 0.9.
			x = (t ~ /^ratio/) ? (ratio == "-" ? "-" : v / r) : v
			lim = t; sub(/^[a-z]+(>=|<=)/, "", lim)
			if (num(x))
				met = (t ~ />=/) ? (x + 0 >= lim + 0) :
				    (x + 0 <= lim + 0)
			if (met != "-") met = met ? "yes" : "no"
		}
		fv = num(v) ? (v + 0 >= 100 ? sprintf("%.0f", v) :
		    sprintf("%.3g", v)) : v
		fr = num(r) ? (r + 0 >= 100 ? sprintf("%.0f", r) :
		    sprintf("%.3g", r)) : r
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f, fv, u, fr,
		    ratio, t, met, a
	}' >> "$table"
}

min2() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? a : b }'; }
sum2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a + b }'; }

# ---- the stack -------------------------------------------------------

start_stacks() {	# start_stacks WORKERS [nohello]
	cleanup
	rm -rf "$stack" "$hello" "$floor" "$work"
	mkdir -p "$work"
	: > "$raw"
	: > "$work/failures"
	note "starting the stack ($WEB, $1 workers) in $stack"
	KUBESIM_TICK_MS=${KUBESIM_TICK_MS:-400} sh tests/stack.sh start \
	    "$stack" "$BASE" "$1" > "$work/stack.out" 2>&1 ||
	    die "stack did not start: $(tail -5 "$work/stack.out")"
	. "$stack/env"
	curl -sf -X POST -d '{"quiet":true}' "$BPG_KUBE_CONTROL/config" \
	    >/dev/null || die "kubesim control API not answering"
	[ "${2:-}" != nohello ] || return 0
	note "starting hello behind a second $WEB on port $((BASE + 10))"
	sh tests/stack.sh web-start "$hello" $((BASE + 10)) \
	    > "$work/hello-web.out" 2>&1 ||
	    die "second web server did not start: $(tail -5 "$work/hello-web.out")"
}

# Restart the gateway and hello under firstreq, n times each.
startup_times() {
	i=0
	while [ $i -lt "$2" ]; do
		start_timed gw "$stack" "$BASE" "$top/$BUILD/bpg-gateway" \
		    -c "$stack/config.yaml" -w "$1"
		start_timed hello "$hello" $((BASE + 10)) "$BIN/hello" -w "$1"
		i=$((i + 1))
	done
	gw_sup=$(cat "$stack/gateway.pid")
	hello_sup=$(cat "$hello/gateway.pid")
}

# Submit a few SparkPi jobs: their IDs (for status), the CR the gateway
# sent (floorcr.sh: template for floor and the direct create) and the
# stored row (for dbdrive).
seed() {
	: > "$work/ids"
	i=0
	while [ $i -lt 4 ]; do
		curl -sf --cacert "$BPG_CA" -u alice:alice-pw \
		    -H 'Content-Type: application/json' \
		    --data-binary @"$sparkpi" "$BPG_URL/spark" |
		    jq -r .submissionId >> "$work/ids" ||
		    die "seed submission failed"
		i=$((i + 1))
	done
	id=$(head -1 "$work/ids")
	case $id in spark-cluster-a-*) port=$((BASE + 1)) ;; *) port=$((BASE + 2)) ;; esac
	kube_url="https://127.0.0.1:$port/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications"
	sh tests/bench/floorcr.sh "$id" "$kube_url" "$sparkpi" \
	    > "$work/cr.json" || die "cannot rebuild the CR of $id"
	grep -q @NAME@ "$work/cr.json" || die "cannot rebuild the CR of $id"
	mariadb --no-defaults -h 127.0.0.1 -P "$BPG_DB_PORT" -u bpg \
	    -pbpg-test-pw -N -B --raw -e "SELECT request_body FROM \
	    bpg.application_submission WHERE submission_id = '$id'" \
	    > "$work/row.json"
	[ -s "$work/row.json" ] || die "no row for $id"
	mariadb --no-defaults -h 127.0.0.1 -P "$BPG_DB_PORT" -u bpg \
	    -pbpg-test-pw -N -B --raw -e "SELECT bpg_request_summary FROM \
	    bpg.application_submission WHERE submission_id = '$id'" \
	    > "$work/summary.json"
	[ -s "$work/summary.json" ] || die "no request summary for $id"
}

# floor (tests/bench/floor.c) behind a third web server on BASE+20, with
# the CR and row seed() read back, against the same cluster and database.
start_floor() {
	note "starting floor behind a third $WEB on port $((BASE + 20))"
	sh tests/stack.sh web-start "$floor" $((BASE + 20)) \
	    > "$work/floor-web.out" 2>&1 ||
	    die "third web server did not start: $(tail -5 "$work/floor-web.out")"
	printf '%s' "$BPG_KUBE_TOKEN" > "$work/token"
	group=""
	[ "$(id -u)" = 0 ] && group="-G www-data"
	spawn-fcgi -s "$floor/gateway.sock" -M 0660 $group -n -- "$BIN/floor" \
	    -w "$WORKERS" -K "$kube_url" -C "$BPG_KUBE_CA" -T "$work/token" \
	    -r "$work/cr.json" -P "$BPG_DB_PORT" -b "$work/row.json" \
	    -s "$work/summary.json" >> "$floor/floor.log" 2>&1 &
	echo $! > "$floor/gateway.pid"
	furl="https://127.0.0.1:$((BASE + 20))/skatev2"
	i=0
	until curl -sf --cacert "$floor/pki/ca.pem" -u alice:alice-pw \
	    -H 'Content-Type: application/json' --data-binary @"$sparkpi" \
	    "$furl/spark" | grep -q '"submissionId"'; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "floor did not answer: $(tail -3 \
		    "$floor/floor.log")"
		sleep 0.1
	done
	floor_sup=$(cat "$floor/gateway.pid")
}

kube_reset() {
	curl -sf -X POST "$BPG_KUBE_CONTROL/reset" >/dev/null ||
	    die "kubesim reset failed"
}

# ---- the standard run --------------------------------------------------

# submit_run NAME SUPERVISOR URL WEBDIR: one round's submissions through
# a gateway (the gateway, or floor), with the back ends' and its web
# server's CPU.
submit_run() {
	kube_reset
	watch="kubesim=$stack/kubesim.pid"
	watch="$watch mariadb=$stack/db/mariadbd.pid"
	watch="$watch web=$4/$WEB.pid"
	run_wrk "$1" "$2" "$CONC" "$3" submit.lua -H "$basic"
}
submit_gateway() { submit_run submit "$gw_sup" "$BPG_URL/spark" "$stack"; }
submit_floor() {
	submit_run submit_floor "$floor_sup" "$furl/spark" "$floor"
}

standard() {
	start_stacks "$WORKERS"
	note "start-up times (3 each)"
	startup_times "$WORKERS" 3
	seed
	start_floor
	# The simulated operator walks every object on each tick: with the
	# thousands a submit run creates it would stall the API for seconds
	# and measure itself.  A real operator runs elsewhere.
	curl -sf -X POST -d '{"tickMs":600000}' "$BPG_KUBE_CONTROL/config" \
	    >/dev/null || die "kubesim control API not answering"
	hurl="https://127.0.0.1:$((BASE + 10))/skatev2"
	bconc=$CONC
	[ "$bconc" -le "$WORKERS" ] || bconc=$WORKERS
	BENCH_IDS=$work/ids BENCH_BODY=$sparkpi BENCH_CR=$work/cr.json
	export BENCH_IDS BENCH_BODY BENCH_CR BENCH_NONCE
	r=1
	while [ $r -le "$ROUNDS" ]; do
		note "round $r of $ROUNDS: healthcheck, status"
		run_wrk health "$gw_sup" "$CONC" "$BPG_URL/healthcheck/status" \
		    get.lua -H "$basic"
		run_wrk health_hello "$hello_sup" "$CONC" \
		    "$hurl/healthcheck/status" get.lua -H "$basic"
		run_wrk status "$gw_sup" "$CONC" "$BPG_URL" status.lua \
		    -H "$basic"
		run_wrk status_hello "$hello_sup" "$CONC" "$hurl" status.lua \
		    -H "$basic"
		note "round $r of $ROUNDS: submit, direct create, direct insert"
		# The gateway's run and floor's take turns at going first:
		# the second of a pair meets the first's leftovers (MariaDB
		# flushing its rows, the host's drift), and neither side
		# should always be the one to meet them.
		if [ $((r % 2)) = 1 ]; then
			submit_gateway
			submit_floor
		else
			submit_floor
			submit_gateway
		fi
		kube_reset
		watch="kubesim=$stack/kubesim.pid"
		run_wrk kube - "$bconc" "$kube_url" kcreate.lua \
		    -H "Authorization: Bearer $BPG_KUBE_TOKEN"
		watch=""
		kube_reset
		# dbdrive's warm-up is in the sample: it is short beside DUR.
		m0=$(cpu_ticks $(tree_pids "$stack/db/mariadbd.pid"))
		line=$("$BIN/dbdrive" -P "$BPG_DB_PORT" -c "$bconc" \
		    -d "$DUR" -w "$WARM" -b "$work/row.json" -s "$work/summary.json" -x "db$r-$$") ||
		    die "dbdrive failed"
		m1=$(cpu_ticks $(tree_pids "$stack/db/mariadbd.pid"))
		put db.cpu_mariadb "$(awk -v t=$((m1 - m0)) -v hz="$hz" \
		    -v n="$(kv requests "$line")" -v d="$DUR" -v w="$WARM" \
		    'BEGIN { printf "%.1f", t * 1e6 / hz / (n * (d + w) / d) }')"
		put db.rps "$(kv rps "$line")"
		put db.p50 "$(kv p50_ms "$line")"
		put db.p99 "$(kv p99_ms "$line")"
		r=$((r + 1))
	done
	set -- $(mem_kb "$gw_sup" $(workers_of "$gw_sup"))
	put gw.rss "$1"
	put gw.pss "$2"
	put gw.group "$3"
	set -- $(mem_kb "$hello_sup" $(workers_of "$hello_sup"))
	put hello.rss "$1"
	put hello.pss "$2"
	put hello.group "$3"
	set -- $(mem_kb "$floor_sup" $(workers_of "$floor_sup"))
	put floor.rss "$1"
	put floor.group "$3"
	if [ "$SCALE" = 1 ]; then
		scale_check
	fi
	if [ "$MONITOR" = 1 ]; then
		monitor_section
	fi

	table=$work/table
	: > "$table"
	for e in health status; do
		row ${e}_rps "$(median $e.rps)" req/s \
		    "$(median ${e}_hello.rps)" "ratio>=$( [ $e = health ] &&
		    echo 0.9 || echo 0.8)" hello
	done
	kube=$(median kube.rps) db=$(median db.rps)
	row submit_rps "$(median submit.rps)" req/s "$(min2 "$kube" "$db")" \
	    "ratio>=0.8" "min(kube_create,db_insert)"
	row kube_create_rps "$kube" req/s - - "stand-in create, direct, c=$bconc"
	row db_insert_rps "$db" req/s - - "dbdrive insert, c=$bconc"
	# The design's own limit: floor does the same insert and create
	# behind the same web server with no work of the gateway's.
	row submit_floor_rps "$(median submit_floor.rps)" req/s \
	    "$(min2 "$kube" "$db")" - "floor.c; min(kube_create,db_insert)"
	row submit_rps_of_floor "$(median submit.rps)" req/s \
	    "$(median submit_floor.rps)" "ratio>=0.9" \
	    "floor.c, same web server and back ends"
	row submit_rps_of_floor_paired "$(paired submit.rps submit_floor.rps)" \
	    ratio - "value>=0.9" "median of each round's gateway/floor"
	set -- $(paired_ci submit.rps submit_floor.rps)
	row submit_rps_of_floor_paired_low "$1" ratio - "value>=0.9" \
	    "low end of that median's $3% interval (high end $2)"
	for e in health status submit; do
		lim=1.3
		[ $e = submit ] && lim=3
		ref=${e}_hello
		[ $e = submit ] && ref=health_hello
		row ${e}_cpu_us "$(median $e.cpu)" us/req \
		    "$(median $ref.cpu)" "ratio<=$lim" "$ref"
	done
	# Where a submission's CPU goes, beside each back end's own cost
	# when driven directly.
	row submit_cpu_us_kubesim "$(median submit.cpu_kubesim)" us/req \
	    "$(median kube.cpu_kubesim)" - "stand-in, per direct create"
	row submit_cpu_us_mariadb "$(median submit.cpu_mariadb)" us/req \
	    "$(median db.cpu_mariadb)" - "MariaDB, per direct insert"
	row submit_cpu_us_web "$(median submit.cpu_web)" us/req - - \
	    "$WEB: TLS, basic auth, FastCGI"
	# The most submissions this machine's cores can carry, given what
	# each costs every process on its path (wrk's own share left out):
	# how far the pipeline is from the CPU it has.
	bound=$(awk -v c="$(nproc)" -v g="$(median submit.cpu)" \
	    -v k="$(median submit.cpu_kubesim)" \
	    -v m="$(median submit.cpu_mariadb)" -v w="$(median submit.cpu_web)" \
	    'BEGIN { t = g + k + m + w; if (t > 0) printf "%.0f", c * 1e6 / t;
		else print "-" }')
	row submit_rps_cpu_bound "$bound" req/s - - \
	    "$(nproc) cores / CPU of gateway+stand-in+MariaDB+$WEB per submit"
	row submit_rps_of_bound "$(median submit.rps)" req/s "$bound" - \
	    "share of the CPU bound reached"
	# The same bound for a gateway that cost nothing: the back ends and
	# the web server alone, sharing these cores.
	free=$(awk -v c="$(nproc)" -v k="$(median submit.cpu_kubesim)" \
	    -v m="$(median submit.cpu_mariadb)" -v w="$(median submit.cpu_web)" \
	    'BEGIN { t = k + m + w; if (t > 0) printf "%.0f", c * 1e6 / t;
		else print "-" }')
	row submit_rps_bound_free_gateway "$free" req/s "$(min2 "$kube" "$db")" \
	    - "$(nproc) cores / CPU of stand-in+MariaDB+$WEB per submit"
	row submit_floor_cpu_us "$(median submit_floor.cpu)" us/req \
	    "$(median health_hello.cpu)" - "health_hello; floor.c: the I/O alone"
	row submit_cpu_us_of_floor "$(median submit.cpu)" us/req \
	    "$(median submit_floor.cpu)" "ratio<=1.5" \
	    "floor.c: the gateway's own work above it"
	row submit_cpu_of_floor_paired "$(paired submit.cpu submit_floor.cpu)" \
	    ratio - "value<=1.5" "median of each round's gateway/floor"
	set -- $(paired_ci submit.cpu submit_floor.cpu)
	row submit_cpu_of_floor_paired_high "$2" ratio - "value<=1.5" \
	    "high end of that median's $3% interval (low end $1)"
	for e in health status; do
		for p in p50 p99; do
			row ${e}_${p}_ms "$(median $e.$p)" ms \
			    "$(median ${e}_hello.$p)" - hello
		done
	done
	for p in p50 p99; do
		row submit_${p}_ms "$(median submit.$p)" ms \
		    "$(sum2 "$(median kube.$p)" "$(median db.$p)")" - \
		    "kube_create+db_insert"
		row kube_create_${p}_ms "$(median kube.$p)" ms - - direct
		row db_insert_${p}_ms "$(median db.$p)" ms - - direct
	done
	row rss_kb "$(median gw.group)" kB "$(median hello.group)" \
	    "value<=40960" "hello; supervisor+$WORKERS workers, each page once"
	row rss_sum_kb "$(median gw.rss)" kB "$(median hello.rss)" \
	    "value<=40960" "hello; sum of VmRSS (shared pages once per process)"
	row pss_kb "$(median gw.pss)" kB "$(median hello.pss)" - \
	    "hello; sum of Pss"
	# floor links what the gateway links (libcurl, OpenSSL, MariaDB,
	# libfcgi): the design's own share of the figures above.
	row rss_floor_kb "$(median gw.group)" kB "$(median floor.group)" - \
	    "floor.c, supervisor+$WORKERS workers, each page once"
	row rss_sum_floor_kb "$(median gw.rss)" kB "$(median floor.rss)" - \
	    "floor.c, sum of VmRSS"
	row first_request_ms "$(median gw.start)" ms "$(median hello.start)" \
	    "value<=100" "hello; spawn-fcgi start to first 200"
	variant=$WEB
	if [ "$SCALE" = 1 ]; then
		cat "$work/scale-rows" >> "$table"
	fi
	if [ "$MONITOR" = 1 ]; then
		cat "$work/monitor-rows" >> "$table"
	fi
	print_table "$variant"
}

# MONITOR=only: the monitor's section alone.
monitor_only() {
	cleanup
	rm -rf "$work"
	mkdir -p "$work"
	: > "$raw"
	: > "$work/failures"
	monitor_section
	table=$work/table
	cp "$work/monitor-rows" "$table"
	print_table monitor
}

print_table() {
	res=$out/results.txt
	{
		echo "# bpg-gateway benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		    "rev $(git rev-parse --short=12 HEAD 2>/dev/null ||
		    echo unknown)"
		echo "# machine: $(nproc) cores, $(. /etc/os-release &&
		    echo "$PRETTY_NAME"), load $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "# variant=$1 web=$WEB workers=$WORKERS conc=$CONC" \
		    "dur=${DUR}s warm=${WARM}s rounds=$ROUNDS (median)"
		echo "# the stand-in's simulated operator is paused during" \
		    "the runs; CPU times from /proc/PID/stat"
		[ "$SCALE" != 1 ] || [ "$LONG" = 1 ] || echo "# EXPLAIN" \
		    "of the scale_* queries: var/bench/explain.txt"
		awk '$2 > 0 { n++ } END { if (n) printf "# WARNING: %d runs" \
		    " had failed or non-2xx requests (see above)\n", n }' \
		    "$work/failures"
		printf 'figure\tvalue\tunit\treference\tratio\ttarget\tmet\tagainst\n'
		cat "$table"
	} > "$res.tmp"
	mv "$res.tmp" "$res"
	cp "$res" "$out/results-$1.txt"
	cat "$res"
}

case "$LONG" in
1) . "$BENCH_LUA/long.sh" ;;
esac
case "$SCALE" in
1) . "$BENCH_LUA/scale.sh" ;;
esac
case "$MONITOR" in
0) ;;
1|only) . "$BENCH_LUA/monitor.sh" ;;
*) die "MONITOR: 0, 1 or only" ;;
esac

trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$MONITOR" = only ]; then
	SCALE=0
	monitor_only
elif [ "$LONG" = 1 ]; then
	long_run
else
	standard
fi
