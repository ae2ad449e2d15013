#!/bin/sh
# Entry point of the bpg-gateway container (runs as user bpg).
#
#   gateway   (default) spawn-fcgi + bpg-gateway on /run/bpg/gateway.sock
#             and lighttpd in front (HTTPS 8443, plain HTTP 8080);
#             stops both when either ends or on SIGTERM
#   monitor   bpg-monitor
#   check     bpg-gateway -t (check config.yaml and exit)
#   other     run as given
#
# BPG_CONFIG (default /etc/bpg/config.yaml); BPG_GATEWAY_OPTS and
# BPG_MONITOR_OPTS are added to the command lines.  Secrets referenced as
# localhost:env:NAME in config.yaml come from the container's environment.
set -eu
CONFIG=${BPG_CONFIG:-/etc/bpg/config.yaml}

case "${1:-gateway}" in
monitor)
	# shellcheck disable=SC2086
	exec /usr/local/sbin/bpg-monitor -c "$CONFIG" ${BPG_MONITOR_OPTS:-} ;;
check)
	exec /usr/local/sbin/bpg-gateway -t -c "$CONFIG" ;;
gateway)
	;;
*)
	exec "$@" ;;
esac

for f in "$CONFIG" /etc/bpg/htpasswd /etc/bpg/tls/server.pem \
    /etc/bpg/tls/server.key; do
	[ -r "$f" ] || { echo "bpg-entrypoint: $f missing (mount /etc/bpg)" >&2
		exit 1; }
done
/usr/local/sbin/bpg-gateway -t -c "$CONFIG"

rm -f /run/bpg/gateway.sock
# Same user for both: the socket can be 0600.
# shellcheck disable=SC2086
spawn-fcgi -n -s /run/bpg/gateway.sock -M 0600 -- \
    /usr/local/sbin/bpg-gateway -c "$CONFIG" ${BPG_GATEWAY_OPTS:-} &
gw=$!
i=0
while [ ! -S /run/bpg/gateway.sock ]; do
	kill -0 "$gw" 2>/dev/null || { echo "bpg-entrypoint: bpg-gateway" \
	    "did not start" >&2; exit 1; }
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "bpg-entrypoint: no socket after 10 s" >&2
		kill "$gw"; exit 1; }
	sleep 0.1
done
# fd 3: the access log (see the Dockerfile).
lighttpd -D -f /etc/lighttpd/bpg-container.conf 3>&1 &
web=$!

stopping=0
stop() {
	kill -TERM "$web" "$gw" 2>/dev/null || true
}
trap 'stopping=1; stop' TERM INT
# Whichever ends first takes the other down; the container then restarts
# as a whole (restart policy).
while kill -0 "$gw" 2>/dev/null && kill -0 "$web" 2>/dev/null; do
	sleep 1
done
stop
wait "$gw" 2>/dev/null || true
wait "$web" 2>/dev/null || true
[ "$stopping" = 1 ]
