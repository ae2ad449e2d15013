#!/bin/sh
# The monitor in steady state: status changes at a set rate over the
# stand-in's two clusters, watched and recorded by one bpg-monitor.
#
#	sh tests/bench/monwatch.sh STACKDIR [SECONDS]
#
# On a stack started by tests/stack.sh (its env sourced): the operators
# are frozen, BENCH_APPS (250) SparkApplications made in each cluster, a
# monitor started with its metrics on 127.0.0.1:$MON_PORT (default the
# stack's port + 40), then wrk (tests/bench/monwatch.lua) patches their
# states, 2 connections a cluster paced BENCH_DELAY_MS (8 ms) apart: about
# 500 changes a second in all.  Prints the rate of changes sent, the rows
# the monitor wrote, and the monitor's event-to-row latency (from the
# event's handling to its row written: bpg_monitor_event_to_db_seconds) as
# p50/p99 bucket bounds.  The clusters are reset at the end.  Benchmark
# tool only.
set -eu
dir=$1
secs=${2:-20}
: "${BUILD:=build}"
[ -n "${BPG_URL:-}" ] || { echo "source $dir/env first" >&2; exit 1; }
export BENCH_APPS=${BENCH_APPS:-250} BENCH_DELAY_MS=${BENCH_DELAY_MS:-8}
port=${MON_PORT:-$((BPG_HTTP_PORT + 40))}
ctl=$BPG_KUBE_CONTROL
path=/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications
auth="Authorization: Bearer $BPG_KUBE_TOKEN"
here=$(dirname "$0")

for c in spark-cluster-a spark-cluster-b; do
	curl -sf -o /dev/null -X POST "$ctl/clusters/$c/reset"
	curl -sf -o /dev/null -X POST -d '{"frozen":true}' \
	    "$ctl/clusters/$c/operator"
	curl -sf -o /dev/null -X POST -d '{"size":100000}' \
	    "$ctl/clusters/$c/history"
done
i=0
while [ $i -lt "$BENCH_APPS" ]; do
	name=$(printf 'w-%05d' $i)
	for u in "$BPG_KUBE_A" "$BPG_KUBE_B"; do
		curl -sf -o /dev/null --cacert "$BPG_KUBE_CA" -H "$auth" \
		    -H 'Content-Type: application/json' -X POST "$u$path" \
		    -d '{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"'"$name"'","namespace":"spark-applications"},"spec":{"type":"Scala","mode":"cluster","sparkVersion":"3.5.0","image":"apache/spark:3.5.0","mainApplicationFile":"local:///x.jar","driver":{"cores":1,"memory":"1g"},"executor":{"instances":1,"cores":1,"memory":"1g"}}}'
	done
	i=$((i + 1))
done

"$BUILD/bpg-monitor" -c "$dir/config.yaml" -r 0 -m "127.0.0.1:$port" \
    > "$dir/monwatch.log" 2>&1 &
mon=$!
trap 'kill $mon 2>/dev/null || true' EXIT
metric() {
	curl -sf "http://127.0.0.1:$port/metrics" |
	    awk -v m="$1" 'index($0, m) == 1 { v = $NF } END { print v + 0 }'
}
i=0
until grep -q "watching" "$dir/monwatch.log" 2>/dev/null ||
    [ $i -ge 300 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 1
before=$(metric bpg_monitor_event_to_db_seconds_count)
pids=""
for u in "$BPG_KUBE_A" "$BPG_KUBE_B"; do
	wrk -t1 -c2 -d"${secs}s" -H "$auth" -s "$here/monwatch.lua" \
	    "$u$path" > "$dir/monwatch-${u##*:}.wrk" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
sleep 2
sent=$(awk '/requests in/ { s += $1 } END { print s }' "$dir"/monwatch-*.wrk)
after=$(metric bpg_monitor_event_to_db_seconds_count)
curl -sf "http://127.0.0.1:$port/metrics" |
    awk -v n=$((after - before)) '
	/^bpg_monitor_event_to_db_seconds_bucket/ {
		le = $0; sub(/.*le="/, "", le); sub(/".*/, "", le)
		b[++k] = le; c[k] = $NF
	}
	END {
		for (i = 1; i <= k; i++) {
			if (p50 == "" && c[i] >= 0.5 * c[k]) p50 = b[i]
			if (p99 == "" && c[i] >= 0.99 * c[k]) p99 = b[i]
		}
		printf "event-to-row: p50 <= %s s, p99 <= %s s (%d events, all since start)\n", p50, p99, c[k]
	}'
echo "sent $sent status changes in ${secs} s ($((sent / secs))/s); the monitor recorded $((after - before)) of them"
kill $mon 2>/dev/null || true
for c in spark-cluster-a spark-cluster-b; do
	curl -sf -o /dev/null -X POST "$ctl/clusters/$c/reset"
	curl -sf -o /dev/null -X POST -d '{"frozen":false}' \
	    "$ctl/clusters/$c/operator"
	curl -sf -o /dev/null -X POST -d '{"size":1000}' \
	    "$ctl/clusters/$c/history"
done
