#!/bin/sh
# Integration tests: start the stack (tests/stack.sh), run every
# build/tests/integ/check_* program against it, stop the stack.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
dir=$top/var/integ
base=${BPG_INTEG_PORT_BASE:-18480}

sh tests/stack.sh stop "$dir" 2>/dev/null
rm -rf "$dir"
trap 'sh tests/stack.sh stop "$dir"' EXIT INT TERM
sh tests/stack.sh start "$dir" "$base" 4 || {
	for f in "$dir"/*.log; do echo "== $f"; tail -20 "$f"; done
	exit 1
}
. "$dir/env"

pass=0 fail=0
for t in "$BUILD"/tests/integ/check_*; do
	if CK_DEFAULT_TIMEOUT=600 "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAILED: $t"
		for f in "$dir"/gateway.log "$dir"/kubesim.log; do
			echo "== tail $f"; tail -30 "$f"
		done
	fi
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
