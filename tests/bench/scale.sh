# The database at scale (sourced by bench.sh when SCALE=1): 1,000,000 rows
# in application_submission (the rows of the throughput runs are dropped
# first), then the lookups the API and the monitor make are EXPLAINed and
# timed (target: each under 5 ms, indexed).  The 512 MiB buffer pool holds
# table and indexes, as a production server's would.
#
# The rows come from one INSERT ... SELECT over MariaDB's sequence engine
# (seq_1_to_1000000), generated on the server: no file to ship.  They look
# like a year of submissions: 1,000 users, 100 application names, two
# clusters, 0.1% still running.  Each row has the bpg_request_summary the
# gateway's S1 writes, which for these requests is request_body itself.
# The queries below are the statements of lib/bpg_db_*.c with literal
# values (the history ones as sql_hist() of lib/bpg_db_history.c builds
# them); keep them in step.  Then the reports' timings
# (tests/bench/reportbench.c, rows of their own; EXPLAIN in
# var/bench/explain-report.txt).

SCALE_ROWS=${SCALE_ROWS:-1000000}

scale_sql() {	# scale_sql [mariadb options] < SQL
	mariadb --no-defaults -h 127.0.0.1 -P "$BPG_DB_PORT" -u bpg \
	    -pbpg-test-pw bpg "$@"
}

scale_check() {
	note "scale: inserting $SCALE_ROWS rows"
	t0=$(date +%s.%N)
	scale_sql >/dev/null <<EOF || die "scale: bulk insert failed"
SET GLOBAL innodb_buffer_pool_size = 512 * 1024 * 1024;
TRUNCATE TABLE application_submission;
SET SESSION unique_checks = 0;
START TRANSACTION;
INSERT INTO application_submission (submission_id, \`user\`, app_name,
    spark_version, queue, status, app_id, request_body, bpg_request_summary,
    created_time, finished_time, start_time)
SELECT CONCAT(IF(seq % 2, 'spark-cluster-a-', 'spark-cluster-b-'),
        LPAD(HEX(seq), 32, '0')),
    CONCAT('user', LPAD(seq % 1000, 4, '0')),
    CONCAT('app', seq % 100), '3.5.0', 'dev',
    IF(seq % 1000 = 7, 'RUNNING', IF(seq % 10 = 3, 'FAILED', 'COMPLETED')),
    CONCAT('spark-', LPAD(HEX(seq), 32, '0')),
    '{"driver":{"cores":1,"memory":"2g"},"executor":{"instances":2,"cores":1,"memory":"2g"}}',
    '{"driver":{"cores":1,"memory":"2g"},"executor":{"instances":2,"cores":1,"memory":"2g"}}',
    FROM_UNIXTIME(1700000000 + seq * 31),
    IF(seq % 1000 = 7, NULL, FROM_UNIXTIME(1700000000 + seq * 31 + 600)),
    FROM_UNIXTIME(1700000000 + seq * 31 + 20)
FROM seq_1_to_$SCALE_ROWS;
COMMIT;
ANALYZE TABLE application_submission;
EOF
	t1=$(date +%s.%N)
	n=$(echo "SELECT COUNT(*) FROM application_submission" |
	    scale_sql -N -B)
	put scale.rows "$n"
	put scale.load_s "$(awk -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%.1f", b - a }')"

	id=spark-cluster-a-$(printf '%032X' 500001)
	appid=spark-$(printf '%032X' 500001)
	hist="SELECT submission_id, \`user\`, app_name, dag_name, queue, status, app_id, spark_version, FLOOR(UNIX_TIMESTAMP(created_time) * 1000), FLOOR(UNIX_TIMESTAMP(finished_time) * 1000), error_message, bpg_request_summary"
	for part in driver.cores driver.memory driver.labels.dag_name \
	    executor.instances executor.cores executor.memory arguments; do
		hist="$hist, IF(bpg_request_summary IS NULL AND JSON_VALID(request_body), JSON_EXTRACT(request_body, '\$.$part'), NULL)"
	done
	hist="$hist FROM bpg.application_submission"
	q=$work/scale-queries
	{
		printf 'by_submission_id\tSELECT status, app_id, start_time IS NOT NULL, finished_time IS NOT NULL FROM bpg.application_submission WHERE submission_id = '\''%s'\''\n' "$id"
		printf 'by_app_id\tSELECT submission_id FROM bpg.application_submission WHERE app_id = '\''%s'\'' LIMIT 2\n' "$appid"
		printf 'by_user_newest\t%s WHERE `user` = '\''user0042'\'' ORDER BY created_time DESC LIMIT 1000\n' "$hist"
		printf 'by_app_name_newest\t%s WHERE app_name = '\''app42'\'' ORDER BY created_time DESC LIMIT 1000\n' "$hist"
		printf 'all_newest\t%s ORDER BY created_time DESC LIMIT 1000\n' "$hist"
		# The same three reading the keys only: the part the indexes
		# answer.
		printf 'by_user_newest_keys\tSELECT submission_id FROM bpg.application_submission WHERE `user` = '\''user0042'\'' ORDER BY created_time DESC LIMIT 1000\n'
		printf 'by_app_name_newest_keys\tSELECT submission_id FROM bpg.application_submission WHERE app_name = '\''app42'\'' ORDER BY created_time DESC LIMIT 1000\n'
		printf 'all_newest_keys\tSELECT submission_id FROM bpg.application_submission ORDER BY created_time DESC LIMIT 1000\n'
		printf 'unfinished\tSELECT submission_id, status, TIMESTAMPDIFF(SECOND, created_time, NOW()) FROM bpg.application_submission WHERE finished_time IS NULL AND submission_id LIKE '\''spark-cluster-a-%%'\'' ESCAPE '\''!'\'' ORDER BY submission_id LIMIT 100000\n'
	} > "$q"

	note "scale: EXPLAIN and timing"
	: > "$out/explain.txt"
	while IFS="$(printf '\t')" read -r name sql; do
		{
			echo "== $name"
			echo "EXPLAIN $sql" | scale_sql -t
		} >> "$out/explain.txt"
		key=$(echo "EXPLAIN $sql" | scale_sql -B |
		    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++)
			if ($i == "key") k = i; next }
			NR == 2 { print $k }')
		echo "$name ${key:-NULL}" >> "$work/scale-keys"
	done < "$q"
	"$BIN/dbdrive" -P "$BPG_DB_PORT" -Q "$q" -n 21 > "$work/scale-times" ||
	    die "scale: a query failed"
	: > "$work/scale-rows"
	table=$work/scale-rows
	row scale_rows "$(median scale.rows)" rows - - \
	    "loaded in $(median scale.load_s) s"
	while read -r _ nm med mx rws; do
		nm=${nm#name=}
		key=$(awk -v n="$nm" '$1 == n { print $2 }' "$work/scale-keys")
		row "scale_${nm}_ms" "${med#median_ms=}" ms - "value<=5" \
		    "key=$key ${rws}, max ${mx#max_ms=} ms"
	done < "$work/scale-times"
	cat "$out/explain.txt" >&2

	# Reports (lib/bpg_db_report.c) at 1,000,000 rows of a schema of
	# their own, through the library (tests/bench/reportbench.c).
	note "scale: reports"
	"$BIN/reportbench" -P "$BPG_DB_PORT" -n 5 > "$work/report-times" \
	    2> "$out/explain-report.txt" || die "scale: reportbench failed"
	while read -r kind nm med mx rws; do
		[ "$kind" = report ] || continue
		row "report_${nm#name=}_ms" "${med#median_ms=}" ms - \
		    "value<=1000" "${rws}, max ${mx#max_ms=} ms"
	done < "$work/report-times"
	cat "$out/explain-report.txt" >&2
}
