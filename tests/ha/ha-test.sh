#!/bin/sh
# High availability on real parts, all on the loopback: a 3-node MariaDB
# Galera cluster (tests/ha/galera.sh), two gateway instances (each its own
# spawn-fcgi and web server) on nodes 1 and 2, two monitors on nodes 1 and
# 3, one Kubernetes stand-in, HAProxy in front of both instances.  Each
# one's JDBC URL lists its own node first, then the others in turn, so
# that it fails over when its node dies or leaves the primary component.
#
# Under load through HAProxy (tests/ha/load.js: HA_RATE submissions a
# second for HA_SECONDS), it kills gateway instance 1 (kill -9), then
# Galera node 2 (the node of the surviving instance), then restarts both,
# then cuts node 2 off the others for 3 s (non-primary, refusing writes).
# Meanwhile a schedule fires every 10 s and jobs with retries fail their
# first attempt (tests/ha/auto.js).  Then keyed submissions go to both
# instances at once (tests/ha/idem.js), and tests/ha/check.js checks: every
# 2xx has exactly one CR and one row on every node, errors leave no CR, a
# key gives one answer and one CR, each fire and each attempt one CR.
#
#   sh tests/ha/ha-test.sh [DIR [PORTBASE]]     (make test-ha)
#
# Ports, from PORTBASE (default $BPG_HA_PORT or 23300): +0..+23 Galera
# (galera.sh), +31/+32 the clusters, +33 the stand-in's control API, +40
# and +50 the instances' HTTPS (+48, +58 their plain HTTP), +60 HAProxy.
# HA_KEEP=1 leaves everything running.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
SHARED=${BPG_SHARED_DIR:-$top/../shared}
TOKEN=kubesim-test-token-0123456789
dir=${1:-$top/var/ha}
B=${2:-${BPG_HA_PORT:-23300}}
SECONDS_LOAD=${HA_SECONDS:-60}
RATE=${HA_RATE:-50}
CONNS=${HA_CONNS:-8}
KEYS=${HA_KEYS:-20}
WORKERS=${HA_WORKERS:-3}
export BUILD

die() { echo "ha-test: $*" >&2; exit 1; }
say() { echo "ha: $(date -u +%T) $*"; }
now_ms() { date +%s%3N; }

for p in haproxy node spawn-fcgi curl; do
	command -v "$p" >/dev/null 2>&1 || die "$p not found (sh tests/deps.sh)"
done
[ -x "$top/$BUILD/bpg-gateway" ] && [ -x "$top/$BUILD/bpg-monitor" ] &&
    [ -x "$top/$BUILD/kubesim" ] || die "build first (make)"
[ -f "$SHARED/spec/sparkapplications-crd.yaml" ] ||
    die "no CRD at $SHARED/spec (set BPG_SHARED_DIR)"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
body=$SHARED/spec/sparkpi-request.json
ca=$dir/pki/ca.pem

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {	# wait_for SECONDS CMD...
	n=$(($1 * 10)); shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

kill9() {	# kill9 PIDFILE: the process and its children, at once
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	for c in $(pgrep -P "$pid" 2>/dev/null); do
		kill -9 "$c" 2>/dev/null || true
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
}

stop_pid() {	# stop_pid PIDFILE: TERM, KILL after 10 s
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	if kill "$pid" 2>/dev/null; then
		n=100
		while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

node_port() { echo $((B + 10 * ($1 - 1))); }
gw_port() { echo $((B + 30 + 10 * $1)); }

# The JDBC URL's ports after its host: node $1's, then the others in turn.
db_hosts() {
	n2=$(node_port $(($1 % 3 + 1)))
	n3=$(node_port $((($1 + 1) % 3 + 1)))
	echo "$(node_port "$1"),127.0.0.1:$n2,127.0.0.1:$n3"
}

# A config of the stack's kind on Galera node $2 first, in $1.
write_config() {
	sed -e "s|@CA@|$(cat "$dir/pki/ca.b64")|g" \
	    -e "s|@PORT_A@|$((B + 31))|g" -e "s|@PORT_B@|$((B + 32))|g" \
	    -e "s|@DB_PORT@|$(db_hosts "$2")|g" -e "s|@S3_PORT@|$((B + 37))|g" \
	    "$top/tests/stack-config.yaml.in" > "$1"
}

start_gateway() {	# start_gateway I: instance I on Galera node I
	g=$dir/gw$1
	mkdir -p "$g"
	# One CA for all: HAProxy and the clients trust one certificate.
	[ -d "$g/pki" ] || cp -R "$dir/pki" "$g/pki"
	write_config "$g/config.yaml" "$1"
	rm -f "$g/gateway.sock"
	spawn-fcgi -s "$g/gateway.sock" -M 0660 -n -- \
	    "$top/$BUILD/bpg-gateway" -c "$g/config.yaml" -w "$WORKERS" \
	    >/dev/null 2>> "$g/gateway.log" &
	echo $! > "$g/gateway.pid"
	wait_for 10 test -S "$g/gateway.sock" ||
	    die "gateway $1 did not start: $(tail -5 "$g/gateway.log")"
	sh "$top/tests/stack.sh" web-start "$g" "$(gw_port "$1")"
}

kill_gateway() {	# the instance's machine dies: gateway and web server
	kill9 "$dir/gw$1/gateway.pid"
	kill9 "$dir/gw$1/lighttpd.pid"
	kill9 "$dir/gw$1/apache.pid"
}

start_monitor() {	# start_monitor I NODE
	write_config "$dir/mon$1.yaml" "$2"
	"$top/$BUILD/bpg-monitor" -c "$dir/mon$1.yaml" \
	    >> "$dir/mon$1.log" 2>&1 &
	echo $! > "$dir/mon$1.pid"
}

start_haproxy() {
	auth=$(printf 'alice:alice-pw' | base64)
	cat > "$dir/haproxy.cfg" <<EOC
global
	maxconn 1000
defaults
	mode tcp
	timeout connect 2s
	timeout client 90s
	timeout server 90s
	timeout check 6s
frontend bpg
	bind 127.0.0.1:$((B + 60))
	default_backend gateways
backend gateways
	balance roundrobin
	option redispatch
	retries 2
	option httpchk
	http-check send meth GET uri /skatev2/healthcheck/status ver HTTP/1.1 hdr Host 127.0.0.1 hdr Authorization "Basic $auth"
	http-check expect status 200
	default-server check check-ssl verify required ca-file $dir/pki/ca.pem inter 500ms fall 3 rise 2 on-marked-down shutdown-sessions
	server gw1 127.0.0.1:$(gw_port 1)
	server gw2 127.0.0.1:$(gw_port 2)
EOC
	haproxy -c -q -f "$dir/haproxy.cfg" || die "bad HAProxy config"
	haproxy -db -f "$dir/haproxy.cfg" >> "$dir/haproxy.log" 2>&1 &
	echo $! > "$dir/haproxy.pid"
}

stop_all() {
	stop_pid "$dir/haproxy.pid"
	for i in 1 2; do
		stop_pid "$dir/mon$i.pid"
		sh "$top/tests/stack.sh" web-stop "$dir/gw$i" || true
		stop_pid "$dir/gw$i/gateway.pid"
	done
	stop_pid "$dir/kubesim.pid"
	sh "$top/tests/ha/galera.sh" stop "$dir/galera" || true
}
[ "${HA_KEEP:-}" = 1 ] || trap stop_all EXIT INT TERM

health() {	# health PORT: the healthcheck answers 200
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
	    --cacert "$ca" -u alice:alice-pw \
	    "https://127.0.0.1:$1/skatev2/healthcheck/status")" = 200 ]
}

# A fresh run: whatever an earlier one left (HA_KEEP=1) goes.
stop_all
rm -rf "$dir/galera" "$dir"/*.jsonl "$dir"/rows-*.txt "$dir"/crs*.json \
    "$dir"/auto.json "$dir"/fires.txt "$dir"/attempts.txt
t_start=$(now_ms)
say "starting Galera (3 nodes) in $dir"
sh "$top/tests/ha/galera.sh" start "$dir/galera" "$B"
say "Galera up in $(( ($(now_ms) - t_start) / 1000 )) s"
sh "$top/tests/pki.sh" "$dir/pki" >/dev/null
if ! alive "$dir/kubesim.pid"; then
	TOKEN_ENV=$TOKEN "$top/$BUILD/kubesim" \
	    --crd "$SHARED/spec/sparkapplications-crd.yaml" \
	    --cert "$dir/pki/server.pem" --key "$dir/pki/server.key" \
	    --token "$TOKEN" --control "127.0.0.1:$((B + 33))" \
	    --cluster "spark-cluster-a=$((B + 31)),spark-cluster-b=$((B + 32))" \
	    --tick-ms 1000 --quiet --pidfile "$dir/kubesim.pid" \
	    > "$dir/kubesim.out" 2> "$dir/kubesim.log" &
	wait_for 20 grep -q "kubesim ready" "$dir/kubesim.out" ||
	    die "kubesim did not start: $(tail -5 "$dir/kubesim.log")"
fi
curl -s -X POST "http://127.0.0.1:$((B + 33))/reset" >/dev/null
for i in 1 2; do
	alive "$dir/gw$i/gateway.pid" || start_gateway "$i"
done
alive "$dir/mon1.pid" || start_monitor 1 1
alive "$dir/mon2.pid" || start_monitor 2 3
alive "$dir/haproxy.pid" || start_haproxy
wait_for 20 health "$(gw_port 1)" || die "instance 1 is not healthy"
wait_for 20 health "$(gw_port 2)" || die "instance 2 is not healthy"
wait_for 20 health $((B + 60)) || die "HAProxy does not answer"
say "stack up in $(( ($(now_ms) - t_start) / 1000 )) s"

hp=https://127.0.0.1:$((B + 60))/skatev2
node "$top/tests/ha/load.js" "$hp" "$ca" "$body" "$dir/load.jsonl" \
    "$SECONDS_LOAD" "$RATE" "$CONNS" > "$dir/load.out" &
load_pid=$!
node "$top/tests/ha/auto.js" "https://127.0.0.1:$(gw_port 1)/skatev2" \
    "https://127.0.0.1:$(gw_port 2)/skatev2" "$ca" "$body" \
    "http://127.0.0.1:$((B + 33))" "$dir/auto.json" "$SECONDS_LOAD" \
    > "$dir/auto.out" 2>&1 &
auto_pid=$!
t_load=$(now_ms)
at() { echo "$(( ($(now_ms) - t_load) / 1000 )) s"; }

# The scenario, at fixed points of the load.
step=$((SECONDS_LOAD / 6))
sleep "$step"
say "[$(at)] kill -9 gateway instance 1 (gateway and web server)"
kill_gateway 1
sleep "$step"
say "[$(at)] kill -9 Galera node 2 (instance 2's node)"
sh "$top/tests/ha/galera.sh" kill-node "$dir/galera" 2
sleep "$step"
say "[$(at)] restart gateway instance 1"
t=$(now_ms)
start_gateway 1
wait_for 30 health "$(gw_port 1)" || die "instance 1 did not come back"
say "[$(at)] instance 1 healthy after $(( $(now_ms) - t )) ms"
say "[$(at)] restart Galera node 2"
t=$(now_ms)
sh "$top/tests/ha/galera.sh" start-node "$dir/galera" "$B" 2
say "[$(at)] node 2 Synced after $(( $(now_ms) - t )) ms"
say "[$(at)] cut node 2 off the cluster for 3 s (non-primary: 1047)"
sh "$top/tests/ha/galera.sh" isolate "$dir/galera" 2
sleep 3
t=$(now_ms)
sh "$top/tests/ha/galera.sh" rejoin "$dir/galera" 2
say "[$(at)] node 2 back in the primary component after $(( $(now_ms) - t )) ms"
kill -0 "$load_pid" 2>/dev/null ||
    say "warning: the load ended before node 2 was cut off"
wait "$load_pid" || die "the load client failed"
cat "$dir/load.out"
wait "$auto_pid" || die "the schedule and retries client failed: $(cat "$dir/auto.out")"
cat "$dir/auto.out"
say "load done after $(at)"

wait_for 30 health "$(gw_port 2)" || die "instance 2 is not healthy"
say "keyed submissions: $KEYS keys, each to both instances at once"
node "$top/tests/ha/idem.js" "https://127.0.0.1:$(gw_port 1)/skatev2" \
    "https://127.0.0.1:$(gw_port 2)/skatev2" "$ca" "$body" \
    "$dir/idem.jsonl" "$KEYS"

# What the instances ran again (instance 1's counters since its restart).
for i in 1 2; do
	curl -s --max-time 10 --cacert "$ca" -u carol:carol-pw \
	    "https://127.0.0.1:$(gw_port "$i")/skatev2/metrics" |
	    grep -E '^bpg_db_(retries|errors)_total' |
	    sed "s/^/ha: instance $i: /" || true
done
# Settle: every node Synced with the full cluster, then read each one.
sh "$top/tests/ha/galera.sh" start "$dir/galera" "$B"
# Writes that lost certification (1213 to the gateway, which retried).
for n in 1 2 3; do
	echo "SHOW GLOBAL STATUS WHERE Variable_name IN
	    ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')" |
	    sh "$top/tests/ha/galera.sh" sql "$dir/galera" "$n" |
	    awk -v n="$n" '{ v[$1] = $2 } END { printf "ha: node %s since its" \
	    " start: certification failures %d, brute-force aborts %d\n", n,
	    v["wsrep_local_cert_failures"], v["wsrep_local_bf_aborts"] }'
done
printf 'SET SESSION wsrep_sync_wait=1;\nSELECT fire_time, submission_id, state FROM bpg.bpg_schedule_fire;\n' |
    sh "$top/tests/ha/galera.sh" sql "$dir/galera" 1 > "$dir/fires.txt"
printf 'SET SESSION wsrep_sync_wait=1;\nSELECT job_id, attempt, submission_id FROM bpg.submission_attempt;\n' |
    sh "$top/tests/ha/galera.sh" sql "$dir/galera" 1 > "$dir/attempts.txt"
for n in 1 2 3; do
	printf 'SET SESSION wsrep_sync_wait=1;\nSELECT submission_id FROM bpg.application_submission;\n' |
	    sh "$top/tests/ha/galera.sh" sql "$dir/galera" "$n" \
	    > "$dir/rows-$n.txt"
done
{
	printf '['
	sep=
	for c in spark-cluster-a spark-cluster-b; do
		printf '%s' "$sep"
		curl -sf "http://127.0.0.1:$((B + 33))/clusters/$c/objects/sparkapplications"
		sep=,
	done
	printf ']'
} > "$dir/crs-raw.json"
node -e '
const fs = require("fs");
const raw = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const items = (v) => Array.isArray(v) ? v : (v.items || v.sparkapplications || []);
fs.writeFileSync(process.argv[2], JSON.stringify([].concat(...raw.map(items))));
' "$dir/crs-raw.json" "$dir/crs.json"
node "$top/tests/ha/check.js" "$dir" 1 2 3
say "total $(( ($(now_ms) - t_start) / 1000 )) s"
