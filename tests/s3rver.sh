#!/bin/sh
# A throw-away S3 stand-in for the tests: s3rver (npm, pinned in
# tests/package.json and tests/package-lock.json; a test tool, never
# shipped), kept entirely under one directory (data, pid file, log).
#
#   sh tests/s3rver.sh start DIR PORT   install tests/node_modules if absent
#                                       (npm ci), start s3rver on
#                                       127.0.0.1:PORT with its data in
#                                       DIR/data (emptied first) and bucket
#                                       bpg-test, wait until it answers
#   sh tests/s3rver.sh stop DIR         stop it (bounded, then kill)
#
# Every command is idempotent, quiet on success and loud on failure.
#
# Credentials: access key ID "S3RVER", secret "S3RVER" (s3rver's built-in
# account).  Signature checking is on: s3rver recomputes each AWS
# Signature Version 4 and answers 403 SignatureDoesNotMatch for a wrong
# secret.  The "s3rver" package itself (3.7.1, the last release) accepts
# any V4 signature whose key ID exists; the maintained fork
# "@20minutes/s3rver" verifies it, hence that package.

set -u

BUCKETS="bpg-test"
PKG=@20minutes/s3rver
PKG_VERSION=4.0.4
NODE_MAJOR_MIN=20 # the package's engines field
START_WAIT=30	# seconds until the server must answer
STOP_WAIT=10	# seconds until a TERM becomes a KILL

die()
{
	echo "s3rver.sh: $*" >&2
	exit 1
}

usage()
{
	echo "usage: sh tests/s3rver.sh start DIR PORT | stop DIR" >&2
	exit 2
}

top=$(cd "$(dirname "$0")/.." && pwd)
tests=$top/tests

absdir()
{
	(cd "$1" 2>/dev/null && pwd -P)
}

running_pid()
{
	[ -f "$DIR/s3rver.pid" ] || return 1
	pid=$(cat "$DIR/s3rver.pid" 2>/dev/null)
	case "$pid" in
	'' | *[!0-9]*) return 1 ;;
	esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

show_log()
{
	if [ -f "$DIR/s3rver.log" ]; then
		echo "--- last lines of $DIR/s3rver.log:" >&2
		tail -n 30 "$DIR/s3rver.log" >&2
	fi
}

# HTTP status of an unsigned GET / (ListBuckets), "000" if no answer.
probe()
{
	curl -s -o /dev/null -m 2 -w '%{http_code}' \
	    "http://127.0.0.1:$1/" 2>/dev/null
}

installed_version()
{
	node -p "require('$tests/node_modules/$PKG/package.json').version" \
	    2>/dev/null
}

ensure_modules()
{
	command -v node >/dev/null 2>&1 ||
	    die "node not found (Node.js >= $NODE_MAJOR_MIN and npm needed)"
	major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
	case "$major" in
	'' | *[!0-9]*) die "cannot tell the Node.js version" ;;
	esac
	[ "$major" -ge "$NODE_MAJOR_MIN" ] ||
	    die "Node.js $major is too old; $PKG needs >= $NODE_MAJOR_MIN"
	[ "$(installed_version)" = "$PKG_VERSION" ] && return 0
	command -v npm >/dev/null 2>&1 ||
	    die "npm not found (needed once to install $PKG)"
	# npm ci installs exactly what package-lock.json pins.
	if ! npm ci --prefix "$tests" --no-audit --no-fund \
	    >"$DIR/npm.log" 2>&1; then
		cat "$DIR/npm.log" >&2
		die "npm ci in $tests failed"
	fi
	[ "$(installed_version)" = "$PKG_VERSION" ] ||
	    die "npm ci did not install $PKG $PKG_VERSION"
}

cmd_start()
{
	port=$1
	case "$port" in
	'' | *[!0-9]*) die "PORT must be a number: '$port'" ;;
	esac
	if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
		die "PORT out of range: $port"
	fi
	command -v curl >/dev/null 2>&1 || die "curl not found"

	mkdir -p "$DIR/data" || die "cannot create $DIR/data"
	DIR=$(absdir "$DIR") || die "cannot enter $DIR"

	if pid=$(running_pid); then
		oldport=$(cat "$DIR/port" 2>/dev/null)
		[ "$oldport" = "$port" ] ||
		    die "already running in $DIR on port $oldport, not $port"
		[ "$(probe "$port")" = 200 ] ||
		    die "s3rver (pid $pid) in $DIR does not answer"
		return 0
	fi
	[ "$(probe "$port")" = 000 ] ||
	    die "something else answers on 127.0.0.1:$port"
	ensure_modules

	# Objects of earlier runs are of no use and large (the tests upload
	# 50 MiB and more): start empty.  Never delete what this script did
	# not create.
	if [ -n "$(ls -A "$DIR/data" 2>/dev/null)" ]; then
		[ -f "$DIR/s3rver.owner" ] ||
		    die "$DIR/data exists and was not made by s3rver.sh"
		rm -rf "$DIR/data" || die "cannot empty $DIR/data"
	fi
	mkdir -p "$DIR/data" || die "cannot create $DIR/data"
	: >"$DIR/s3rver.owner"

	echo "$port" >"$DIR/port"
	rm -f "$DIR/s3rver.pid"
	# setsid: the server must outlive this shell and its job control;
	# stdin from /dev/null so it holds no terminal.  configureBuckets
	# creates the buckets before the port opens.
	S3RVER_MODULE=$tests/node_modules/$PKG S3RVER_DIR=$DIR/data \
	    S3RVER_PORT=$port S3RVER_BUCKETS=$BUCKETS \
	    setsid node -e '
const S3rver = require(process.env.S3RVER_MODULE);
const buckets = process.env.S3RVER_BUCKETS.split(" ").filter(Boolean);
new S3rver({
  address: "127.0.0.1",
  port: Number(process.env.S3RVER_PORT),
  directory: process.env.S3RVER_DIR,
  silent: false,
  vhostBuckets: false,
  allowMismatchedSignatures: false,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
}).run().then(
  (a) => console.log("s3rver listening on %s:%d", a.address, a.port),
  (e) => { console.error(e); process.exit(1); });
' </dev/null >>"$DIR/s3rver.log" 2>&1 &
	server_pid=$!
	echo "$server_pid" >"$DIR/s3rver.pid"

	i=0
	until [ "$(probe "$port")" = 200 ]; do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			show_log
			rm -f "$DIR/s3rver.pid"
			die "s3rver exited during start-up"
		fi
		i=$((i + 1))
		if [ "$i" -ge $((START_WAIT * 4)) ]; then
			show_log
			kill -KILL "$server_pid" 2>/dev/null
			rm -f "$DIR/s3rver.pid"
			die "s3rver did not answer within ${START_WAIT}s"
		fi
		sleep 0.25
	done
}

cmd_stop()
{
	[ -d "$DIR" ] || return 0
	pid=$(running_pid) || {
		rm -f "$DIR/s3rver.pid"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge $((STOP_WAIT * 4)) ]; then
			echo "s3rver.sh: s3rver (pid $pid) ignored TERM for" \
			    "${STOP_WAIT}s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null
			sleep 0.5
			if kill -0 "$pid" 2>/dev/null; then
				die "cannot kill s3rver (pid $pid)"
			fi
			break
		fi
		sleep 0.25
	done
	rm -f "$DIR/s3rver.pid"
}

[ $# -ge 2 ] || usage
cmd=$1
DIR=$2
[ -n "$DIR" ] || usage
case "$cmd" in
start)
	[ $# -eq 3 ] || usage
	cmd_start "$3"
	;;
stop)
	[ $# -eq 2 ] || usage
	cmd_stop
	;;
*)
	usage
	;;
esac
