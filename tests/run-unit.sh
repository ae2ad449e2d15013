#!/bin/sh
# Run the Check unit tests.  The database module runs against a real
# MariaDB and the S3 module against s3rver, both started here in a
# temporary directory and stopped afterwards.  When check_dbtls is among
# the tests, a second MariaDB serving TLS only (tests/pki.sh certificates,
# require_secure_transport=ON) runs on BPG_UNIT_DBTLS_PORT (default: the
# database port + 2) for it.
#   sh tests/run-unit.sh build/tests/check_a build/tests/check_b ...
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${BPG_UNIT_DIR:-$top/var/unit}
port=${BPG_UNIT_DB_PORT:-18416}
s3port=${BPG_UNIT_S3_PORT:-18417}
tlsport=${BPG_UNIT_DBTLS_PORT:-$((port + 2))}
tls=
for t in "$@"; do
	case $t in
	*/check_dbtls | check_dbtls) tls=1 ;;
	esac
done
mkdir -p "$dir"
sh "$top/tests/mariadb.sh" start "$dir/db" "$port" || exit 1
trap 'sh "$top/tests/mariadb.sh" stop "$dir/db";
    sh "$top/tests/mariadb.sh" stop "$dir/dbtls";
    sh "$top/tests/s3rver.sh" stop "$dir/s3"' EXIT INT TERM
sh "$top/tests/s3rver.sh" start "$dir/s3" "$s3port" || exit 1
# Check's default of 4 s a test is no bound for a test on a loaded or
# sanitized machine: the timeout only guards against a hang.
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-30}
export CK_DEFAULT_TIMEOUT
if [ -n "$tls" ]; then
	# The server's CA, and another one: the wrong CA of the tests.
	sh "$top/tests/pki.sh" "$dir/dbpki" &&
	    sh "$top/tests/pki.sh" "$dir/dbpki-other" || exit 1
	BPG_DB_TLS_DIR=$dir/dbpki sh "$top/tests/mariadb.sh" start \
	    "$dir/dbtls" "$tlsport" || exit 1
	BPG_TEST_DBTLS_PORT=$tlsport
	BPG_TEST_DBTLS_PKI=$dir/dbpki
	BPG_TEST_DBTLS_OTHER_PKI=$dir/dbpki-other
	export BPG_TEST_DBTLS_PORT BPG_TEST_DBTLS_PKI BPG_TEST_DBTLS_OTHER_PKI
fi
BPG_TEST_DB_PORT=$port
BPG_TEST_S3_PORT=$s3port
BPG_SHARED_DIR=${BPG_SHARED_DIR:-$top/../shared}
export BPG_TEST_DB_PORT BPG_TEST_S3_PORT BPG_SHARED_DIR

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
