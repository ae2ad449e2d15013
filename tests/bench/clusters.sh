#!/bin/sh
# The gateway with many clusters configured: start-up and memory.
#
#	sh tests/bench/clusters.sh STACKDIR [N]
#
# On a stack started by tests/stack.sh (STACKDIR, its env sourced), the
# gateway is restarted with its config.yaml as it is (2 clusters) and with
# N - 2 (default 48) more clusters pointing at the stand-in's cluster b
# (weight 0: nothing is submitted there), each time under firstreq (the
# time to the first answer), then driven: health checks, submissions,
# and a status read of an ID of each configured cluster (unless STATUS=0),
# which makes every worker open the clusters it is asked about.  Prints per run the start
# time, then the sums of VmRSS and Pss and the group's pages counted once
# (memgroup, needs root) of the supervisor and its workers.  The stack's
# gateway is left running on its own config.  Benchmark tool only.
set -eu
dir=$1
n=${2:-50}
: "${BUILD:=build}"
BIN=$BUILD/tests/bench
workers=${WORKERS:-4}

die() { echo "clusters.sh: $*" >&2; exit 1; }
[ -f "$dir/config.yaml" ] || die "$dir: no stack"
[ -n "${BPG_URL:-}" ] || die "source $dir/env first"
port=$BPG_HTTP_PORT

# config-N.yaml: the stack's config with n - 2 copies of cluster b.
awk -v n="$n" '
	/^  - weight: 50$/ { blk = 1 }
	blk && /^sparkImages:/ {
		for (i = 3; i <= n; i++) {
			c = b
			sub(/id: spark-cluster-b/,
			    sprintf("id: spark-cluster-c%02d", i), c)
			sub(/- weight: 50/, "- weight: 0", c)
			printf "%s", c
		}
		blk = 0
	}
	{ print }
	blk && /id: spark-cluster-b/ { inb = 1; b = "  - weight: 50\n" }
	inb && blk && !/^  - weight: 50$/ { b = b $0 "\n" }
' "$dir/config.yaml" > "$dir/config-$n.yaml"
got=$(grep -c '^    id: spark-cluster-' "$dir/config-$n.yaml")
[ "$got" = "$n" ] || die "config-$n.yaml has $got clusters"

stop_pidfile() {
	[ -f "$1" ] || return 0
	p=$(cat "$1")
	if kill "$p" 2>/dev/null; then
		i=100
		while kill -0 "$p" 2>/dev/null && [ $i -gt 0 ]; do
			sleep 0.1; i=$((i - 1))
		done
		kill -9 "$p" 2>/dev/null || true
	fi
	rm -f "$1"
}

mem_kb() {
	r=0 s=0
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")
		r=$((r + ${v:-0}))
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup")
		s=$((s + ${v:-0}))
	done
	g=$("$BIN/memgroup" "$@" 2>/dev/null) || g=kb=-
	echo "rss=${r}kB pss=${s}kB group=${g#kb=}kB"
}

run() {	# run CONFIG LABEL
	stop_pidfile "$dir/gateway.pid"
	group=""
	[ "$(id -u)" = 0 ] && group="-G www-data"
	ms=$("$BIN/firstreq" -s "$dir/gateway.sock" \
	    -U "https://127.0.0.1:$port/skatev2/healthcheck/status" \
	    -W "https://127.0.0.1:$port/" -a alice:alice-pw \
	    -k "$dir/pki/ca.pem" -p "$dir/gateway.pid" \
	    -l "$dir/gateway.log" -- spawn-fcgi -s "$dir/gateway.sock" \
	    -M 0660 $group -n -- "$BUILD/bpg-gateway" -c "$1" \
	    -w "$workers") || die "$2: no answer"
	i=0
	while [ $i -lt 40 ]; do
		curl -sf -o /dev/null -u alice:alice-pw \
		    "$BPG_URL/healthcheck/status" || true
		curl -sf -o /dev/null -u alice:alice-pw \
		    -H 'Content-Type: application/json' --data-binary \
		    '{"mainApplicationFile":"local:///x.jar","mainClass":"P","sparkVersion":"3.5.0","queue":"dev","driverCores":1,"driverMemory":"1g","executorInstances":1,"executorCores":1,"executorMemory":"1g"}' \
		    "$BPG_URL/spark" || true
		i=$((i + 1))
	done
	# A status of each configured cluster: its connection opens
	# (STATUS=0: only the clusters submissions went to).
	[ "${STATUS:-1}" = 0 ] ||
	for c in $(sed -n 's/^    id: //p' "$1"); do
		j=0
		while [ $j -lt "$workers" ]; do
			curl -s -o /dev/null -u alice:alice-pw \
			    "$BPG_URL/spark/$c-00000000000000000000000000000000/status" || true
			j=$((j + 1))
		done
	done
	sup=$(cat "$dir/gateway.pid")
	echo "$2: first answer ${ms} ms; $(mem_kb "$sup" $(pgrep -P "$sup"))"
}

run "$dir/config.yaml" "2 clusters"
run "$dir/config-$n.yaml" "$n clusters"
run "$dir/config.yaml" "2 clusters"
