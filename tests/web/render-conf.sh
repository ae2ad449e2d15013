#!/bin/sh
# Adapt a production web server snippet (httpd-conf/lighttpd/50-bpg.conf or
# httpd-conf/apache/bpg.conf, or their installed copies) to a test tree by
# rewriting its settings block, and nothing else, so that the tests run
# the very rules that ship.
#
#   sh tests/web/render-conf.sh SRC DST NAME=VALUE...
#
# NAME is a setting's name without its prefix, in lower case: "socket"
# rewrites `var.bpg_socket = ...` (lighttpd) or `Define BPG_SOCKET ...`
# (Apache).  Every NAME must match exactly one line, so a renamed setting
# breaks the test instead of being silently ignored.
set -eu

[ $# -ge 2 ] || { echo "usage: render-conf.sh SRC DST NAME=VALUE..." >&2;
    exit 2; }
src=$1 dst=$2
shift 2
[ -f "$src" ] || { echo "render-conf.sh: no $src" >&2; exit 1; }

tmp=$dst.tmp.$$
cp "$src" "$tmp"
for kv in "$@"; do
	name=${kv%%=*} value=${kv#*=}
	case $name in
	''|*[!a-z0-9_]*) echo "render-conf.sh: bad name '$name'" >&2
		rm -f "$tmp"; exit 2 ;;
	esac
	upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
	NAME=$name UPPER=$upper VALUE=$value awk '
	BEGIN { n = 0 }
	$1 == "var.bpg_" ENVIRON["NAME"] && $2 == "=" {
		print "var.bpg_" ENVIRON["NAME"] " = \"" ENVIRON["VALUE"] "\""
		n++; next
	}
	$1 == "Define" && $2 == "BPG_" ENVIRON["UPPER"] {
		print "Define BPG_" ENVIRON["UPPER"] " " ENVIRON["VALUE"]
		n++; next
	}
	{ print }
	END { if (n != 1) exit 3 }' "$tmp" > "$tmp.new" || {
		echo "render-conf.sh: setting '$name' not found once in $src" >&2
		rm -f "$tmp" "$tmp.new"; exit 1; }
	mv "$tmp.new" "$tmp"
done
mv "$tmp" "$dst"
