#!/bin/sh
# Instructions per request of one gateway worker, by endpoint, under
# valgrind's callgrind: a noise-free companion to bench.sh's CPU times
# for before/after comparisons on a busy machine.
#
#   sh tests/bench/callgrind.sh DIR [N]
#
# DIR is a running stack (sh tests/stack.sh start DIR PORTBASE).  Its
# gateway is replaced by one worker under callgrind; after a warm-up, N
# requests (default 300) of each kind go through the web server with ab
# (keep-alive): healthcheck, status of one submission, SparkPi submit.
# Then floor (tests/bench/floor.c, make bench) takes the gateway's socket,
# one worker under the same callgrind, with the CR and row of a submission
# the gateway made, and N SparkPi submits go to it the same way.
# Prints "endpoint<TAB>instructions/request" (floor's as "floor", and
# "submit/floor" the ratio), the costliest gateway functions of each; the
# profiles stay in DIR/callgrind/.  The stack's own gateway (4 workers)
# is started again at the end.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
dir=$(cd "${1:?usage: callgrind.sh DIR [N]}" && pwd)
n=${2:-300}
. "$dir/env"
sparkpi=$BPG_SHARED_DIR/spec/sparkpi-request.json
for t in valgrind callgrind_control callgrind_annotate ab spawn-fcgi jq \
    mariadb; do
	command -v $t >/dev/null 2>&1 || { echo "callgrind.sh: no $t" >&2;
	    exit 1; }
done
floor=$top/$BUILD/tests/bench/floor
[ -x "$floor" ] || { echo "callgrind.sh: build first: make $BUILD/tests/bench/floor" >&2;
    exit 1; }
group=""
[ "$(id -u)" = 0 ] && group="-G www-data"

restart() {	# restart [PREFIX...]: the gateway, under PREFIX if given
	if [ -f "$dir/gateway.pid" ]; then
		p=$(cat "$dir/gateway.pid")
		kill "$p" 2>/dev/null || true
		while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	fi
	rm -f "$dir/gateway.sock"
	spawn-fcgi -s "$dir/gateway.sock" -M 0660 $group -n -- "$@" \
	    >> "$dir/gateway.log" 2>&1 &
	echo $! > "$dir/gateway.pid"
	i=0
	until curl -sf --cacert "$BPG_CA" -u alice:alice-pw \
	    "$BPG_URL/healthcheck/status" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "callgrind.sh: gateway not up" >&2;
		    exit 1; }
		sleep 0.1
	done
}

out=$dir/callgrind
rm -rf "$out"
mkdir -p "$out"
restart "$(command -v valgrind)" --tool=callgrind --trace-children=yes \
    --callgrind-out-file="$out/cg.%p" "$top/$BUILD/bpg-gateway" \
    -c "$dir/config.yaml" -w 1
trap 'restart "$top/$BUILD/bpg-gateway" -c "$dir/config.yaml" -w 4' EXIT

# callgrind_control on this stack's processes only (the supervisor and
# its worker), not on every callgrind of the machine.
cgctl() {
	p=$(cat "$dir/gateway.pid")
	for q in $p $(pgrep -P "$p"); do
		callgrind_control "$@" "$q" >/dev/null 2>&1 || true
	done
}

abrun() {	# abrun COUNT URL [ab options]
	c=$1 u=$2
	shift 2
	ab -q -k -n "$c" -c 1 -A alice:alice-pw "$@" "$u" > "$out/ab.out" 2>&1
	grep -q "^Failed requests: *0" "$out/ab.out" &&
	    ! grep -q "^Non-2xx" "$out/ab.out" ||
	    { echo "callgrind.sh: failures on $u" >&2; cat "$out/ab.out" >&2;
	    exit 1; }
}

id=$(curl -sf --cacert "$BPG_CA" -u alice:alice-pw \
    -H 'Content-Type: application/json' --data-binary @"$sparkpi" \
    "$BPG_URL/spark" | jq -r .submissionId)
abrun 30 "$BPG_URL/healthcheck/status"
abrun 30 "$BPG_URL/spark/$id/status"
abrun 30 "$BPG_URL/spark" -p "$sparkpi" -T application/json -l
for e in health status submit; do
	set --
	url=$BPG_URL/healthcheck/status
	case $e in
	status) url=$BPG_URL/spark/$id/status ;;
	submit) url=$BPG_URL/spark
		set -- -p "$sparkpi" -T application/json ;;
	esac
	cgctl -z
	abrun "$n" "$url" "$@"
	cgctl -d "$e"
done

# floor, as bench.sh runs it: the CR and the row of the gateway's $id.
case $id in spark-cluster-a-*) kube=$BPG_KUBE_A ;; *) kube=$BPG_KUBE_B ;; esac
kube=$kube/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications
sh tests/bench/floorcr.sh "$id" "$kube" "$sparkpi" > "$out/cr.json"
for c in request_body bpg_request_summary; do
	mariadb --no-defaults -h 127.0.0.1 -P "$BPG_DB_PORT" -u bpg \
	    -pbpg-test-pw -N -B --raw -e "SELECT $c FROM \
	    bpg.application_submission WHERE submission_id = '$id'" \
	    > "$out/$c"
done
printf '%s' "$BPG_KUBE_TOKEN" > "$out/token"
restart "$(command -v valgrind)" --tool=callgrind --trace-children=yes \
    --callgrind-out-file="$out/cg.%p" "$floor" -w 1 -K "$kube" \
    -C "$BPG_KUBE_CA" -T "$out/token" -r "$out/cr.json" -P "$BPG_DB_PORT" \
    -b "$out/request_body" -s "$out/bpg_request_summary"
abrun 30 "$BPG_URL/spark" -p "$sparkpi" -T application/json -l
cgctl -z
abrun "$n" "$BPG_URL/spark" -p "$sparkpi" -T application/json -l
cgctl -d floor

# The worker's dumps: the supervisor's hold nothing.
for e in health status submit floor; do
	f=$(grep -l "^desc: Trigger: dump $e\$" "$out"/cg.*.* |
	    xargs ls -S | head -1)
	total=$(sed -n 's/^summary: //p' "$f")
	printf '%s\t%d\n' "$e" $((total / n))
	eval "per_$e=$((total / n))"
	[ $e != floor ] || break
	callgrind_annotate --inclusive=yes "$f" 2>/dev/null |
	    sed -n 's|^ *\([0-9,]*\) ([^)]*)  \([^ ?]*\) \[.*/bpg-gateway\]$|\1 \2|p' |
	    grep -v ':main$\|:worker$' | head -12 |
	    awk -v n="$n" '{ gsub(",", "", $1); printf "\t%9d  %s\n", $1 / n, $2 }'
done
awk -v g="$per_submit" -v f="$per_floor" \
    'BEGIN { printf "submit/floor\t%.2f\n", g / f }'
