#!/bin/sh
# The local stack the integration tests, the demo and the benchmarks run:
# MariaDB, the Kubernetes API stand-in with two clusters, spawn-fcgi with
# bpg-gateway, and lighttpd with basic auth in front.  Everything lives
# under one directory and listens on 127.0.0.1 only.
#
#   sh tests/stack.sh start DIR PORTBASE [WORKERS]
#   sh tests/stack.sh stop DIR
#   sh tests/stack.sh env DIR        print the stack's variables (sourceable)
#
# Ports: PORTBASE lighttpd, +1/+2 the clusters, +3 the stand-in's control
# API, +6 MariaDB.  Users (htpasswd): alice/alice-pw, bob/bob-pw,
# mallory/mallory-pw (blocked), airflow_system_account/airflow-pw.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
SHARED=${BPG_SHARED_DIR:-$top/../shared}
TOKEN=kubesim-test-token-0123456789

die() { echo "stack.sh: $*" >&2; exit 1; }

wait_for() {	# wait_for SECONDS CMD...: poll until CMD succeeds
	n=$(($1 * 10)); shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() {	# stop_pid PIDFILE: TERM, then KILL after 10 s
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

write_env() {
	cat > "$dir/env" <<EOV
BPG_STACK_DIR=$dir
BPG_URL=http://127.0.0.1:$base/skatev2
BPG_HTTP_PORT=$base
BPG_KUBE_A=https://127.0.0.1:$((base + 1))
BPG_KUBE_B=https://127.0.0.1:$((base + 2))
BPG_KUBE_CONTROL=http://127.0.0.1:$((base + 3))
BPG_KUBE_TOKEN=$TOKEN
BPG_KUBE_CA=$dir/pki/ca.pem
BPG_DB_PORT=$((base + 6))
BPG_SHARED_DIR=$SHARED
export BPG_STACK_DIR BPG_URL BPG_HTTP_PORT BPG_KUBE_A BPG_KUBE_B
export BPG_KUBE_CONTROL BPG_KUBE_TOKEN BPG_KUBE_CA BPG_DB_PORT BPG_SHARED_DIR
EOV
}

write_config() {
	ca=$(cat "$dir/pki/ca.b64")
	sed -e "s|@CA@|$ca|g" -e "s|@PORT_A@|$((base + 1))|g" \
	    -e "s|@PORT_B@|$((base + 2))|g" -e "s|@DB_PORT@|$((base + 6))|g" \
	    "$top/tests/stack-config.yaml.in" > "$dir/config.yaml"
}

write_lighttpd() {
	mkdir -p "$dir/www"
	sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$base|g" \
	    "$top/tests/lighttpd.conf.in" > "$dir/lighttpd.conf"
	: > "$dir/htpasswd"
	for u in alice:alice-pw bob:bob-pw mallory:mallory-pw \
	    airflow_system_account:airflow-pw; do
		htpasswd -b -B -C 4 "$dir/htpasswd" "${u%%:*}" "${u#*:}" \
		    2>/dev/null
	done
}

start() {
	[ -x "$BUILD/bpg-gateway" ] || die "build first (make)"
	[ -f "$SHARED/spec/sparkapplications-crd.yaml" ] ||
	    die "no CRD at $SHARED/spec (set BPG_SHARED_DIR)"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	write_env
	sh "$top/tests/pki.sh" "$dir/pki" >/dev/null
	sh "$top/tests/mariadb.sh" start "$dir/db" $((base + 6))

	if ! alive "$dir/kubesim.pid"; then
		: > "$dir/kubesim.out"
		TOKEN_ENV=$TOKEN "$BUILD/tests/kubesim" \
		    --crd "$SHARED/spec/sparkapplications-crd.yaml" \
		    --cert "$dir/pki/server.pem" --key "$dir/pki/server.key" \
		    --token "$TOKEN" --control "127.0.0.1:$((base + 3))" \
		    --cluster "spark-cluster-a=$((base + 1)),spark-cluster-b=$((base + 2))" \
		    --tick-ms "${KUBESIM_TICK_MS:-400}" \
		    --pidfile "$dir/kubesim.pid" \
		    > "$dir/kubesim.out" 2> "$dir/kubesim.log" &
		wait_for 20 grep -q "kubesim ready" "$dir/kubesim.out" ||
		    die "kubesim did not start: $(tail -5 "$dir/kubesim.log")"
	fi

	write_config
	"$BUILD/bpg-gateway" -t -c "$dir/config.yaml" >/dev/null
	if ! alive "$dir/gateway.pid"; then
		rm -f "$dir/gateway.sock"
		spawn-fcgi -s "$dir/gateway.sock" -M 0660 -n -- \
		    "$top/$BUILD/bpg-gateway" -c "$dir/config.yaml" \
		    -w "${workers:-4}" 2> "$dir/gateway.log" &
		echo $! > "$dir/gateway.pid"
		wait_for 10 test -S "$dir/gateway.sock" ||
		    die "gateway did not start: $(tail -5 "$dir/gateway.log")"
	fi

	write_lighttpd
	if ! alive "$dir/lighttpd.pid"; then
		lighttpd -t -f "$dir/lighttpd.conf" >/dev/null ||
		    die "bad lighttpd config"
		lighttpd -D -f "$dir/lighttpd.conf" 2>> "$dir/lighttpd.log" &
		echo $! > "$dir/lighttpd.pid"
		wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$base/" ||
		    die "lighttpd did not start: $(tail -5 "$dir/lighttpd.log")"
	fi
}

stop() {
	[ -d "$dir" ] || return 0
	stop_pid "$dir/lighttpd.pid"
	stop_pid "$dir/gateway.pid"
	stop_pid "$dir/kubesim.pid"
	sh "$top/tests/mariadb.sh" stop "$dir/db" || true
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: stack.sh start|stop|env DIR [PORTBASE [WORKERS]]"
case "$cmd" in
start)	base=${3:?port base}; workers=${4:-4}; start ;;
stop)	stop ;;
env)	cat "$dir/env" ;;
*)	die "unknown command $cmd" ;;
esac
