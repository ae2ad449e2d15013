#!/bin/sh
# Run the Check unit tests.  The database module is tested against a real
# MariaDB, started here in a temporary directory and stopped afterwards.
#   sh tests/run-unit.sh build/tests/check_a build/tests/check_b ...
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${BPG_UNIT_DIR:-$top/var/unit}
port=${BPG_UNIT_DB_PORT:-18416}
mkdir -p "$dir"
sh "$top/tests/mariadb.sh" start "$dir/db" "$port" || exit 1
trap 'sh "$top/tests/mariadb.sh" stop "$dir/db"' EXIT INT TERM
BPG_TEST_DB_PORT=$port
BPG_SHARED_DIR=${BPG_SHARED_DIR:-$top/../shared}
export BPG_TEST_DB_PORT BPG_SHARED_DIR

pass=0 fail=0
for t in "$@"; do
	if "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAILED: $t"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
