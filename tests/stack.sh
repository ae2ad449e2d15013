#!/bin/sh
# The local stack the integration tests, the demo and the benchmarks run:
# MariaDB, the Kubernetes API stand-in with two clusters, spawn-fcgi with
# bpg-gateway, and a web server (lighttpd or Apache) doing HTTPS and basic
# auth in front.  Everything lives under one directory and listens on
# 127.0.0.1 only.
#
#   sh tests/stack.sh start DIR PORTBASE [WORKERS]
#   sh tests/stack.sh stop DIR
#   sh tests/stack.sh env DIR        print the stack's variables (sourceable)
#   sh tests/stack.sh web-start DIR PORTBASE
#                                    only the web server, in front of
#                                    whatever listens on DIR/gateway.sock
#   sh tests/stack.sh web-stop DIR
#
# KUBE_CLUSTERS=4 starts the stand-in with four clusters instead of two
# (spark-cluster-c and -d on PORTBASE+4 and +5, configured as cluster b
# is; BPG_KUBE_C and BPG_KUBE_D in the env): the monitor's benchmark
# (tests/bench/monitor.sh).  Every test runs on the default two.
#
# WEB=lighttpd (default) or WEB=apache picks the web server.  Both run the
# production snippets of httpd-conf/ with the test's paths, as the user
# www-data when started as root, and use the certificate of tests/pki.sh
# (DIR/pki/ca.pem is the CA to trust).
#
# Ports: PORTBASE the web server (HTTPS), +1/+2 the clusters (+4/+5 the
# third and fourth with KUBE_CLUSTERS=4), +3 the
# stand-in's control API, +6 MariaDB, +7 s3rver (S3), +8 the web server's plain-HTTP port
# (redirects to HTTPS).  Users (htpasswd): alice/alice-pw, bob/bob-pw,
# carol/carol-pw (in adminUsers), mallory/mallory-pw (blocked),
# airflow_system_account/airflow-pw, victor/victor-pw (in viewerUsers),
# and two pairs of names one proxyUser label stands for: alice_ and
# alice0, john.doe@corp.com and john.doe0corp.com (password: the name,
# then "-pw").
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
SHARED=${BPG_SHARED_DIR:-$top/../shared}
TOKEN=kubesim-test-token-0123456789
KUBE_CLUSTERS=${KUBE_CLUSTERS:-2}
case "$KUBE_CLUSTERS" in
2|4) ;;
*) echo "stack.sh: KUBE_CLUSTERS must be 2 or 4" >&2; exit 1 ;;
esac

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
BPG_URL=https://127.0.0.1:$base/skatev2
BPG_HTTP_PORT=$base
BPG_HTTPS_PORT=$base
BPG_HTTP_REDIRECT_PORT=$((base + 8))
BPG_WEB=$web
BPG_CA=$dir/pki/ca.pem
CURL_CA_BUNDLE=$dir/pki/ca.pem
BPG_KUBE_A=https://127.0.0.1:$((base + 1))
BPG_KUBE_B=https://127.0.0.1:$((base + 2))
BPG_KUBE_CONTROL=http://127.0.0.1:$((base + 3))
BPG_KUBE_TOKEN=$TOKEN
BPG_KUBE_CA=$dir/pki/ca.pem
BPG_DB_PORT=$((base + 6))
BPG_S3_PORT=$((base + 7))
BPG_SHARED_DIR=$SHARED
export BPG_STACK_DIR BPG_URL BPG_HTTP_PORT BPG_KUBE_A BPG_KUBE_B
export BPG_HTTPS_PORT BPG_HTTP_REDIRECT_PORT BPG_WEB BPG_CA CURL_CA_BUNDLE
export BPG_KUBE_CONTROL BPG_KUBE_TOKEN BPG_KUBE_CA BPG_DB_PORT BPG_S3_PORT BPG_SHARED_DIR
EOV
	[ "$KUBE_CLUSTERS" = 2 ] || cat >> "$dir/env" <<EOV
BPG_KUBE_C=https://127.0.0.1:$((base + 4))
BPG_KUBE_D=https://127.0.0.1:$((base + 5))
BPG_KUBE_CLUSTERS=4
export BPG_KUBE_C BPG_KUBE_D BPG_KUBE_CLUSTERS
EOV
}

write_config() {
	ca=$(cat "$dir/pki/ca.b64")
	sed -e "s|@CA@|$ca|g" -e "s|@PORT_A@|$((base + 1))|g" \
	    -e "s|@PORT_B@|$((base + 2))|g" -e "s|@DB_PORT@|$((base + 6))|g" -e "s|@S3_PORT@|$((base + 7))|g" \
	    "$top/tests/stack-config.yaml.in" > "$dir/config.yaml"
	[ "$KUBE_CLUSTERS" = 2 ] || more_clusters
}

# Clusters c and d, configured as b is, on PORTBASE+4 and +5.
more_clusters() {
	awk -v pb="$((base + 2))" -v pc="$((base + 4))" -v pd="$((base + 5))" '
		/^  - weight: / { inb = 0 }
		/^sparkImages:/ && b != "" {
			for (i = 0; i < 2; i++) {
				c = b
				x = i ? "d" : "c"
				gsub(/spark-cluster-b/, "spark-cluster-" x, c)
				gsub(/sim-b/, "sim-" x, c)
				sub(":" pb "\n", ":" (i ? pd : pc) "\n", c)
				printf "%s", c
			}
			b = ""
			inb = 0
		}
		{ print }
		/^  - weight: / { blk = $0 "\n"; next }
		blk != "" && /^    id: spark-cluster-b$/ { inb = 1; b = blk }
		blk != "" && !/^    / { blk = "" }
		inb && /^    / { b = b $0 "\n" }
	' "$dir/config.yaml" > "$dir/config.yaml.tmp"
	mv "$dir/config.yaml.tmp" "$dir/config.yaml"
	[ "$(grep -c '^    id: spark-cluster-' "$dir/config.yaml")" = 4 ] ||
	    die "config.yaml: clusters c and d not added"
}

# ---- web server (WEB=lighttpd|apache) ------------------------------

web=${WEB:-lighttpd}
case "$web" in
lighttpd|apache) ;;
*) die "WEB must be lighttpd or apache, not '$web'" ;;
esac

# Run as www-data when root, as the packaged servers do; the gateway's
# socket and the password file must then be reachable for that group.
web_owner() {
	[ "$(id -u)" = 0 ] || return 0
	for f in "$@"; do
		chgrp www-data "$f" && chmod g+rw "$f" ||
		    die "cannot hand $f to www-data"
	done
}

# DIR/share stands for $(PREFIX)/share/bpg: the error documents and, when
# built (make swagger-ui, make dashboard), Swagger UI and the dashboard.
# Copies, not links: the Apache snippet allows no symbolic links.
# BPG_HTTPD_CONF (the directory of lighttpd/50-bpg.conf and
# apache/bpg.conf) and BPG_SHARE_SRC (of errors/, swagger-ui/ and
# dashboard/) point elsewhere, e.g. at an installed tree.
write_web() {
	conf_src=${BPG_HTTPD_CONF:-$top/httpd-conf}
	mkdir -p "$dir/www" "$dir/uploads" "$dir/apache" "$dir/share"
	rm -rf "$dir/share/errors" "$dir/share/swagger-ui" "$dir/share/dashboard"
	if [ -n "${BPG_SHARE_SRC:-}" ]; then
		cp -R "$BPG_SHARE_SRC/errors" "$dir/share/errors"
		for d in swagger-ui dashboard; do
			[ ! -d "$BPG_SHARE_SRC/$d" ] ||
			    cp -R "$BPG_SHARE_SRC/$d" "$dir/share/$d"
		done
	else
		cp -R "$top/httpd-conf/errors" "$dir/share/errors"
		for d in swagger-ui dashboard; do
			[ ! -f "$top/$BUILD/$d/index.html" ] ||
			    cp -R "$top/$BUILD/$d" "$dir/share/$d"
		done
	fi
	: > "$dir/htpasswd"
	for u in alice:alice-pw bob:bob-pw carol:carol-pw mallory:mallory-pw \
	    airflow_system_account:airflow-pw victor:victor-pw \
	    alice_:alice_-pw alice0:alice0-pw \
	    john.doe@corp.com:john.doe@corp.com-pw \
	    john.doe0corp.com:john.doe0corp.com-pw; do
		htpasswd -b -B -C 4 "$dir/htpasswd" "${u%%:*}" "${u#*:}" \
		    2>/dev/null
	done
	chmod 640 "$dir/htpasswd"
	users=""
	if [ "$(id -u)" = 0 ]; then
		web_owner "$dir/htpasswd"
		# lighttpd opens its logs after dropping privileges.
		touch "$dir/lighttpd.log" "$dir/lighttpd-access.log"
		chown www-data "$dir/uploads" "$dir/lighttpd.log" \
		    "$dir/lighttpd-access.log"
		case "$web" in
		lighttpd) users='server.username = "www-data"
server.groupname = "www-data"' ;;
		apache) users='User www-data
Group www-data' ;;
		esac
	fi
	case "$web" in
	lighttpd)
		sh "$top/tests/web/render-conf.sh" \
		    "$conf_src/lighttpd/50-bpg.conf" \
		    "$dir/bpg-lighttpd.conf" \
		    socket="$dir/gateway.sock" htpasswd="$dir/htpasswd" \
		    share="$dir/share" tls_socket="127.0.0.1:$base" \
		    tls_cert="$dir/pki/server.pem" tls_key="$dir/pki/server.key" \
		    https_origin="https://127.0.0.1:$base" \
		    access_log="$dir/lighttpd-access.log"
		conf=$dir/lighttpd.conf src=$top/tests/lighttpd.conf.in ;;
	apache)
		sh "$top/tests/web/render-conf.sh" \
		    "$conf_src/apache/bpg.conf" "$dir/bpg-apache.conf" \
		    socket="$dir/gateway.sock" htpasswd="$dir/htpasswd" \
		    share="$dir/share" server_name=127.0.0.1 \
		    https_port="$base" http_port="$((base + 8))" \
		    tls_cert="$dir/pki/server.pem" tls_key="$dir/pki/server.key" \
		    https_origin="https://127.0.0.1:$base" log_dir="$dir"
		conf=$dir/apache.conf src=$top/tests/apache.conf.in ;;
	esac
	USERS=$users awk -v d="$dir" -v p="$base" -v h="$((base + 8))" '{
		gsub(/@DIR@/, d); gsub(/@PORT@/, p); gsub(/@HTTP_PORT@/, h)
		if ($0 == "@USER_LINES@") $0 = ENVIRON["USERS"]
		print }' "$src" > "$conf"
}

# HTTPS answers (any status): the server is up.
web_up() {
	curl -s -o /dev/null --max-time 2 --cacert "$dir/pki/ca.pem" \
	    "https://127.0.0.1:$base/"
}

start_web() {
	sh "$top/tests/pki.sh" "$dir/pki" >/dev/null
	[ -S "$dir/gateway.sock" ] && web_owner "$dir/gateway.sock"
	# One web server per stack: stop the other kind if it runs.
	case "$web" in
	lighttpd) stop_pid "$dir/apache.pid" ;;
	apache) stop_pid "$dir/lighttpd.pid" ;;
	esac
	alive "$dir/$web.pid" && return 0
	write_web
	case "$web" in
	lighttpd)
		lighttpd -tt -f "$dir/lighttpd.conf" >/dev/null ||
		    die "bad lighttpd config"
		lighttpd -D -f "$dir/lighttpd.conf" >/dev/null 2>> "$dir/lighttpd.log" &
		echo $! > "$dir/lighttpd.pid" ;;
	apache)
		apache2 -t -f "$dir/apache.conf" >/dev/null 2>&1 ||
		    die "bad Apache config: $(apache2 -t -f "$dir/apache.conf" 2>&1)"
		apache2 -f "$dir/apache.conf" -DFOREGROUND \
		    >> "$dir/apache.log" 2>&1 &
		echo $! > "$dir/apache.pid" ;;
	esac
	wait_for 10 web_up ||
	    die "$web did not start: $(tail -5 "$dir/$web.log")"
}

stop_web() {
	stop_pid "$dir/lighttpd.pid"
	stop_pid "$dir/apache.pid"
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
	sh "$top/tests/s3rver.sh" start "$dir/s3" $((base + 7))

	more=""
	[ "$KUBE_CLUSTERS" = 2 ] || more=",spark-cluster-c=$((base + 4)),spark-cluster-d=$((base + 5))"
	if ! alive "$dir/kubesim.pid"; then
		: > "$dir/kubesim.out"
		TOKEN_ENV=$TOKEN "$BUILD/kubesim" \
		    --crd "$SHARED/spec/sparkapplications-crd.yaml" \
		    --cert "$dir/pki/server.pem" --key "$dir/pki/server.key" \
		    --token "$TOKEN" --control "127.0.0.1:$((base + 3))" \
		    --cluster "spark-cluster-a=$((base + 1)),spark-cluster-b=$((base + 2))$more" \
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
		    -w "${workers:-4}" >/dev/null 2> "$dir/gateway.log" &
		echo $! > "$dir/gateway.pid"
		wait_for 10 test -S "$dir/gateway.sock" ||
		    die "gateway did not start: $(tail -5 "$dir/gateway.log")"
	fi

	start_web
}

stop() {
	[ -d "$dir" ] || return 0
	stop_web
	stop_pid "$dir/gateway.pid"
	stop_pid "$dir/kubesim.pid"
	sh "$top/tests/s3rver.sh" stop "$dir/s3" || true
	sh "$top/tests/mariadb.sh" stop "$dir/db" || true
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] ||
    die "usage: stack.sh start|stop|env|web-start|web-stop DIR [PORTBASE [WORKERS]]"
case "$cmd" in
start)	base=${3:?port base}; workers=${4:-4}; start ;;
stop)	stop ;;
env)	cat "$dir/env" ;;
web-start) base=${3:?port base}; mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
	start_web ;;
web-stop) if [ -d "$dir" ]; then stop_web; fi ;;
*)	die "unknown command $cmd" ;;
esac
