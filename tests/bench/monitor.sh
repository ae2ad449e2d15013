# The monitor's section of the benchmark (sourced by bench.sh unless
# MONITOR=0; MONITOR=only runs it alone).  On a stack of its own
# (tests/stack.sh with KUBE_CLUSTERS=4: the stand-in with four clusters,
# a fresh MariaDB; on the benchmark's ports, the standard stack stopped
# first) and one bpg-monitor (-r 0, its metrics on BASE+9):
#
#   catch-up      CATCHUP_APPS (100000) SparkApplications in all, a
#                 quarter in each cluster, created straight at the
#                 stand-in (curl --parallel, not measured), operators
#                 frozen, one tick each to SUBMITTED; the monitor started
#                 on an empty table; the time from its start until every
#                 row reads SUBMITTED (COUNT(*) polled every 0.1 s), its
#                 CPU, the stand-in's and MariaDB's over that time.  With
#                 MON_STALE=1, again on a partly stale table: a quarter
#                 of the rows deleted, a quarter QUEUED (as long again).
#   steady state  with that monitor watching, 250 of the applications of
#                 each cluster patched (tests/bench/monwatch.lua, each
#                 patch a change of state: PENDING_RERUN, UNKNOWN,
#                 SUBMITTED in turn) by 2 connections a cluster
#                 paced MON_DELAY_MS (15) apart, about 500 changes a
#                 second in all, for MON_DUR (10) seconds: the changes
#                 sent, the rows the monitor wrote (the count of its
#                 bpg_monitor_event_to_db_seconds over the run), p50/p99
#                 of that histogram over the run (bucket bounds, from
#                 1 ms; it times an event from the monitor's callback,
#                 not from its arrival on the socket), the monitor's CPU
#                 per row.
#   end to end    meanwhile tests/bench/monprobe.c changes the state of
#                 one more application a cluster (mp-LETTER, created and
#                 recorded first) every MON_PROBE_MS (150) ms as wrk
#                 does, from 0.5 s after wrk starts until 1 s before it
#                 stops, and polls its row in MariaDB (1 ms apart) until
#                 it shows the change: p50/p99/max of the time from the
#                 stand-in's answer to the row visible, and the changes
#                 not seen within 10 s.  Its changes are counted in the
#                 changes sent and the rows (not in wrk's rate).
#   reference     tests/bench/monupsert.c, the monitor's own statements
#                 through lib/bpg_db, fenced by a lease as the monitor's
#                 are, on one connection at full speed: the catch-up's
#                 (a page's read and multi-row upsert) for the same
#                 number of new rows, then the watch's (one upsert a
#                 change) for MON_DUR seconds; its rows are deleted after.
#
# Rows of the table: mon_* (results in var/bench/results*.txt).

CATCHUP_APPS=${CATCHUP_APPS:-100000}
MON_STALE=${MON_STALE:-0}
MON_DUR=${MON_DUR:-10}
MON_DELAY_MS=${MON_DELAY_MS:-15}
MON_PROBE_MS=${MON_PROBE_MS:-150}
case "$CATCHUP_APPS$MON_DUR$MON_DELAY_MS$MON_PROBE_MS" in
*[!0-9]*) die "CATCHUP_APPS, MON_DUR, MON_DELAY_MS, MON_PROBE_MS: numbers" ;;
esac
[ "$CATCHUP_APPS" -ge 4 ] && [ "$CATCHUP_APPS" -le 400000 ] ||
    die "CATCHUP_APPS: 4 to 400000"
[ "$MON_DUR" -ge 1 ] || die "MON_DUR: at least 1"

mstack=$out/monstack
mon_port=$((BASE + 9))
mon_letters="a b c d"
mon_path=/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications
mon_per=$((CATCHUP_APPS / 4))
mon_total=$((mon_per * 4))
mon_watched=250
[ "$mon_watched" -le "$mon_per" ] || mon_watched=$mon_per

mon_sql() {
	mariadb --no-defaults -h 127.0.0.1 -P "$BPG_DB_PORT" -u bpg \
	    -pbpg-test-pw -N -B bpg -e "$1"
}

mon_cleanup() {
	stop_pidfile "$mstack/monitor.pid"
	sh tests/stack.sh stop "$mstack" >/dev/null 2>&1 || true
}

mon_url() {	# mon_url LETTER: the cluster's API
	case $1 in
	a) echo "$BPG_KUBE_A" ;; b) echo "$BPG_KUBE_B" ;;
	c) echo "$BPG_KUBE_C" ;; d) echo "$BPG_KUBE_D" ;;
	esac
}

mon_ctl() {	# mon_ctl LETTER PATH [BODY]: POST to the cluster's control
	curl -sf -o /dev/null -X POST ${3:+-d "$3"} \
	    "$BPG_KUBE_CONTROL/clusters/spark-cluster-$1$2" ||
	    die "monitor: kubesim control $1$2 failed"
}

# A curl config creating cu-LETTER-00000.. (mon_per of them) in the
# cluster, one transfer each, written to stdout.
mon_fill_cfg() {
	awk -v u="$(mon_url "$1")$mon_path" -v c="$1" -v n="$mon_per" \
	    -v ca="$BPG_KUBE_CA" -v tok="$BPG_KUBE_TOKEN" 'BEGIN {
		q = "\\\""
		for (i = 0; i < n; i++) {
			if (i) print "next"
			print "url = \"" u "\""
			printf "data = \"{" q "apiVersion" q ":" q \
			    "sparkoperator.k8s.io/v1beta2" q "," q "kind" q \
			    ":" q "SparkApplication" q "," q "metadata" q \
			    ":{" q "name" q ":" q "cu-%s-%05d" q "," q \
			    "namespace" q ":" q "spark-applications" q "}," \
			    q "spec" q ":{" q "type" q ":" q "Scala" q "," \
			    q "mode" q ":" q "cluster" q "," q \
			    "sparkVersion" q ":" q "3.5.0" q "," q "image" \
			    q ":" q "apache/spark:3.5.0" q "," q \
			    "mainApplicationFile" q ":" q "local:///x.jar" \
			    q "," q "driver" q ":{" q "cores" q ":1," q \
			    "memory" q ":" q "1g" q "}," q "executor" q \
			    ":{" q "instances" q ":1," q "cores" q ":1," q \
			    "memory" q ":" q "1g" q "}}}\"\n", c, i
			print "output = \"/dev/null\""
			print "cacert = \"" ca "\""
			print "header = \"Authorization: Bearer " tok "\""
			print "header = \"Content-Type: application/json\""
			print "write-out = \"%{http_code}\\n\""
		}
	}'
}

# Every cluster filled in parallel, then one operator step to SUBMITTED.
mon_fill() {
	note "monitor: creating $mon_total SparkApplications over 4 clusters"
	for c in $mon_letters; do
		mon_ctl "$c" /reset
		mon_ctl "$c" /operator '{"frozen":true,"outcome":"PENDING"}'
		mon_fill_cfg "$c" > "$work/mon-fill-$c.cfg"
	done
	pids=""
	for c in $mon_letters; do
		curl -s --parallel --parallel-max 4 -K "$work/mon-fill-$c.cfg" \
		    > "$work/mon-fill-$c.codes" 2> "$work/mon-fill-$c.err" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || true; done
	for c in $mon_letters; do
		n=$(grep -c '^201$' "$work/mon-fill-$c.codes") || true
		[ "$n" = "$mon_per" ] || die "monitor: cluster $c: $n of" \
		    "$mon_per created: $(grep -v '^201$' \
		    "$work/mon-fill-$c.codes" | sort | uniq -c | head -3)"
		rm -f "$work/mon-fill-$c.cfg"
		mon_ctl "$c" /tick '{"count":1}'
		last=$(printf 'cu-%s-%05d' "$c" $((mon_per - 1)))
		st=$(curl -sf "$BPG_KUBE_CONTROL/clusters/spark-cluster-$c/objects/sparkapplications/spark-applications/$last" |
		    jq -r .status.applicationState.state)
		[ "$st" = SUBMITTED ] || die "monitor: $last is $st after a tick"
	done
}

mon_start() {	# mon_start LOG
	"$top/$BUILD/bpg-monitor" -c "$mstack/config.yaml" -r 0 \
	    -m "127.0.0.1:$mon_port" > "$1" 2>&1 &
	echo $! > "$mstack/monitor.pid"
}

# mon_catchup NAME: start a monitor, wait until every cu- row reads
# SUBMITTED; records NAME.s, NAME.cpu_monitor, .cpu_kubesim, .cpu_mariadb
# (CPU seconds over that time).  The monitor keeps running.
mon_catchup() {
	k0=$(cpu_ticks $(tree_pids "$mstack/kubesim.pid"))
	d0=$(cpu_ticks $(tree_pids "$mstack/db/mariadbd.pid"))
	t0=$(date +%s.%N)
	mon_start "$work/mon-$1.log"
	mpid=$(cat "$mstack/monitor.pid")
	limit=$((300 + mon_total / 100))
	until [ "$(mon_sql "SELECT COUNT(*) FROM application_submission \
	    WHERE submission_id LIKE 'cu-%' AND status = 'SUBMITTED'")" = \
	    "$mon_total" ]; do
		kill -0 "$mpid" 2>/dev/null ||
		    die "monitor: it ended: $(tail -3 "$work/mon-$1.log")"
		awk -v a="$t0" -v b="$(date +%s.%N)" -v l="$limit" \
		    'BEGIN { exit !(b - a > l) }' &&
		    die "monitor: $1: not every row recorded in $limit s"
		sleep 0.1
	done
	t1=$(date +%s.%N)
	m=$(cpu_ticks "$mpid")
	k1=$(cpu_ticks $(tree_pids "$mstack/kubesim.pid"))
	d1=$(cpu_ticks $(tree_pids "$mstack/db/mariadbd.pid"))
	put "$1.s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
	put "$1.cpu_monitor" "$(awk -v t="$m" -v hz="$hz" \
	    'BEGIN { printf "%.2f", t / hz }')"
	put "$1.cpu_kubesim" "$(awk -v t=$((k1 - k0)) -v hz="$hz" \
	    'BEGIN { printf "%.2f", t / hz }')"
	put "$1.cpu_mariadb" "$(awk -v t=$((d1 - d0)) -v hz="$hz" \
	    'BEGIN { printf "%.2f", t / hz }')"
	n=$(mon_sql "SELECT COUNT(*) FROM application_submission")
	[ "$n" = "$mon_total" ] || die "monitor: $1: $n rows, not $mon_total"
}

mon_metrics() {	# mon_metrics FILE
	curl -sf "http://127.0.0.1:$mon_port/metrics" > "$1" ||
	    die "monitor: no metrics on $mon_port"
}

mon_hist_count() {	# mon_hist_count FILE
	awk 'index($0, "bpg_monitor_event_to_db_seconds_count") == 1 {
		v = $NF } END { print v + 0 }' "$1"
}

# mon_quantile BEFORE AFTER Q: the bucket bound (ms) under which the
# fraction Q of the events between the two scrapes fell.
mon_quantile() {
	awk -v q="$3" '
		/^bpg_monitor_event_to_db_seconds_bucket/ {
			le = $0; sub(/.*le="/, "", le); sub(/".*/, "", le)
			if (FILENAME == ARGV[1]) { c0[le] = $NF; next }
			b[++k] = le; c[k] = $NF - c0[le]
		}
		END {
			for (i = 1; i <= k; i++)
				if (c[k] > 0 && c[i] >= q * c[k]) {
					if (b[i] == "+Inf") print "+Inf"
					else printf "%g\n", b[i] * 1000
					exit
				}
			print "-"
		}' "$1" "$2"
}

# Until every cluster's watch runs (the stand-in counts them).
mon_wait_watch() {
	i=0
	for c in $mon_letters; do
		until [ "$(curl -sf \
		    "$BPG_KUBE_CONTROL/clusters/spark-cluster-$c/stats" |
		    jq .activeWatches)" = 1 ]; do
			i=$((i + 1))
			[ $i -lt 600 ] || die "monitor: no watch on cluster $c"
			sleep 0.1
		done
	done
}

# The probe's applications, mp-LETTER, one a cluster: created, made
# SUBMITTED as wrk's are patched, and waited for until their rows say so.
mon_probe_apps() {
	for c in $mon_letters; do
		u=$(mon_url "$c")$mon_path
		curl -sf -o /dev/null --cacert "$BPG_KUBE_CA" \
		    -H "Authorization: Bearer $BPG_KUBE_TOKEN" \
		    -H 'Content-Type: application/json' -d '{"apiVersion":
		    "sparkoperator.k8s.io/v1beta2","kind":"SparkApplication",
		    "metadata":{"name":"mp-'"$c"'","namespace":
		    "spark-applications"},"spec":{"type":"Scala","mode":
		    "cluster","sparkVersion":"3.5.0","image":
		    "apache/spark:3.5.0","mainApplicationFile":
		    "local:///x.jar","driver":{"cores":1,"memory":"1g"},
		    "executor":{"instances":1,"cores":1,"memory":"1g"}}}' \
		    "$u" || die "monitor: cannot create mp-$c"
		curl -sf -o /dev/null --cacert "$BPG_KUBE_CA" -X PATCH \
		    -H "Authorization: Bearer $BPG_KUBE_TOKEN" \
		    -H 'Content-Type: application/merge-patch+json' \
		    -d '{"status":{"applicationState":{"state":"SUBMITTED"},
		    "driverInfo":{}}}' "$u/mp-$c/status" ||
		    die "monitor: cannot patch mp-$c"
	done
	i=0
	until [ "$(mon_sql "SELECT COUNT(*) FROM application_submission \
	    WHERE submission_id LIKE 'mp-%' AND status = 'SUBMITTED'")" = 4 ]
	do
		i=$((i + 1))
		[ $i -lt 600 ] || die "monitor: the probe's rows not recorded"
		sleep 0.1
	done
}

mon_steady() {
	note "monitor: steady state, $MON_DUR s"
	mon_wait_watch
	mon_probe_apps
	mpid=$(cat "$mstack/monitor.pid")
	for c in $mon_letters; do
		curl -sf -o /dev/null -X DELETE \
		    "$BPG_KUBE_CONTROL/clusters/spark-cluster-$c/stats" ||
		    die "monitor: kubesim stats"
	done
	mon_metrics "$work/mon-m0"
	c0=$(cpu_ticks "$mpid")
	pids=""
	for c in $mon_letters; do
		BENCH_APPS=$mon_watched BENCH_DELAY_MS=$MON_DELAY_MS \
		    BENCH_PREFIX=cu-$c- BENCH_START=$((mon_watched - 1)) \
		    BENCH_STATES="SUBMITTED PENDING_RERUN UNKNOWN" \
		    wrk -t1 -c2 -d"${MON_DUR}s" \
		    -H "Authorization: Bearer $BPG_KUBE_TOKEN" \
		    -s "$BENCH_LUA/monwatch.lua" "$(mon_url "$c")$mon_path" \
		    > "$work/mon-watch-$c.wrk" 2>&1 &
		pids="$pids $!"
	done
	purls=""
	for c in $mon_letters; do
		purls="$purls $(mon_url "$c")$mon_path/mp-$c"
	done
	# shellcheck disable=SC2086
	"$BIN/monprobe" -P "$BPG_DB_PORT" -k "$BPG_KUBE_CA" -w 500 \
	    -i "$MON_PROBE_MS" -d $((MON_DUR > 1 ? MON_DUR - 1 : 1)) \
	    $purls > "$work/mon-probe.out" 2> "$work/mon-probe.err" &
	ppid=$!
	for p in $pids; do wait "$p" || die "monitor: wrk failed"; done
	wait "$ppid" || die "monitor: monprobe failed: $(cat "$work/mon-probe.err")"
	probe=$(sed -n 's/^probe //p' "$work/mon-probe.out")
	pp=$(kv patches "$probe")
	# The changes the stand-in made (wrk leaves out those in flight
	# at its end).
	sent=0
	for c in $mon_letters; do
		n=$(curl -sf \
		    "$BPG_KUBE_CONTROL/clusters/spark-cluster-$c/stats" |
		    jq '.methods.PATCH // 0') || die "monitor: kubesim stats"
		sent=$((sent + n))
	done
	wsent=$(awk '/requests in/ { s += $1 } END { print s + 0 }' \
	    "$work"/mon-watch-?.wrk)
	note "monitor: $sent patches made ($wsent by wrk's count, $pp by" \
	    "the probe: $probe)"
	bad=$(awk '/Non-2xx|Socket errors/ { print }' "$work"/mon-watch-?.wrk)
	[ -z "$bad" ] || note "monitor: some patches failed: $bad"
	# The last events' rows: until all are counted, or the count has
	# not moved for a second.
	n0=$(mon_hist_count "$work/mon-m0")
	prev=-1 still=0
	while :; do
		mon_metrics "$work/mon-m1"
		n=$(mon_hist_count "$work/mon-m1")
		[ $((n - n0)) -lt "$sent" ] || break
		if [ "$n" = "$prev" ]; then
			still=$((still + 1))
			[ $still -lt 4 ] || break
		else
			still=0
		fi
		prev=$n
		sleep 0.25
	done
	c1=$(cpu_ticks "$mpid")
	rows=$((n - n0))
	put mon_watch.sent "$sent"
	put mon_watch.rows "$rows"
	put mon_watch.sent_rate "$(awk -v s="$((sent - pp))" -v d="$MON_DUR" \
	    'BEGIN { printf "%.1f", s / d }')"
	put mon_e2e.n "$(kv seen "$probe")"
	put mon_e2e.lost "$(kv lost "$probe")"
	put mon_e2e.p50 "$(kv p50_ms "$probe")"
	put mon_e2e.p99 "$(kv p99_ms "$probe")"
	put mon_e2e.max "$(kv max_ms "$probe")"
	put mon_watch.rows_rate "$(awk -v s="$rows" -v d="$MON_DUR" \
	    'BEGIN { printf "%.1f", s / d }')"
	put mon_watch.p50 "$(mon_quantile "$work/mon-m0" "$work/mon-m1" 0.5)"
	put mon_watch.p99 "$(mon_quantile "$work/mon-m0" "$work/mon-m1" 0.99)"
	put mon_watch.mean "$(awk '
		index($0, "bpg_monitor_event_to_db_seconds_sum") == 1 {
			s[FILENAME] = $NF }
		index($0, "bpg_monitor_event_to_db_seconds_count") == 1 {
			n[FILENAME] = $NF }
		END { a = ARGV[1]; b = ARGV[2]
			if (n[b] > n[a])
				printf "%.3f\n", (s[b] - s[a]) * 1000 / (n[b] - n[a])
			else print "-" }' "$work/mon-m0" "$work/mon-m1")"
	[ "$rows" -gt 0 ] && put mon_watch.cpu "$(awk -v t=$((c1 - c0)) \
	    -v hz="$hz" -v n="$rows" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
	return 0
}

mon_reference() {
	note "monitor: the reference, monupsert ($mon_total rows, then $MON_DUR s)"
	line=$("$BIN/monupsert" -P "$BPG_DB_PORT" -x mu- -n "$mon_total" \
	    -d "$MON_DUR") || die "monitor: monupsert failed"
	page=$(echo "$line" | sed -n 's/^page //p')
	ev=$(echo "$line" | sed -n 's/^event //p')
	put mon_ref.page_s "$(kv seconds "$page")"
	put mon_ref.page_rate "$(kv rows_per_s "$page")"
	put mon_ref.event_rate "$(kv rows_per_s "$ev")"
	put mon_ref.event_p50 "$(kv p50_ms "$ev")"
	put mon_ref.event_p99 "$(kv p99_ms "$ev")"
	put mon_ref.event_mean "$(kv mean_ms "$ev")"
	mon_sql "DELETE FROM application_submission WHERE submission_id \
	    LIKE 'mu-%'" || die "monitor: cannot delete monupsert's rows"
}

monitor_section() {
	[ -x "$BIN/monupsert" ] || die "build first: make bench (no $BIN/monupsert)"
	sh tests/stack.sh stop "$stack" >/dev/null 2>&1 || true
	mon_cleanup
	rm -rf "$mstack"
	note "monitor: starting a stack with 4 clusters in $mstack"
	KUBE_CLUSTERS=4 KUBESIM_TICK_MS=600000 sh tests/stack.sh start \
	    "$mstack" "$BASE" 2 > "$work/monstack.out" 2>&1 ||
	    die "monitor: stack did not start: $(tail -5 "$work/monstack.out")"
	. "$mstack/env"
	curl -sf -o /dev/null -X POST -d '{"quiet":true}' \
	    "$BPG_KUBE_CONTROL/config" || die "kubesim control API not answering"
	mon_fill
	note "monitor: catch-up of $mon_total on an empty table"
	mon_catchup mon_catchup
	if [ "$MON_STALE" = 1 ]; then
		stop_pidfile "$mstack/monitor.pid"
		mon_sql "DELETE FROM application_submission WHERE \
		    CRC32(submission_id) % 4 = 0; UPDATE application_submission \
		    SET status = 'QUEUED' WHERE CRC32(submission_id) % 4 = 1" ||
		    die "monitor: cannot make the table stale"
		note "monitor: catch-up of $mon_total, a quarter of the rows" \
		    "missing, a quarter stale"
		mon_catchup mon_stale
	fi
	mon_steady
	stop_pidfile "$mstack/monitor.pid"
	mon_reference

	: > "$work/monitor-rows"
	table=$work/monitor-rows
	ref_s=$(median mon_ref.page_s)
	row mon_catchup_s "$(median mon_catchup.s)" s "$ref_s" "value<=30" \
	    "monupsert: the same $mon_total rows by pages, direct; 4 clusters, empty table"
	[ "$MON_STALE" = 1 ] && row mon_catchup_stale_s "$(median mon_stale.s)" \
	    s "$ref_s" "value<=30" "the same; 1/4 of the rows missing, 1/4 stale"
	row mon_catchup_rows_per_s "$(awk -v n="$mon_total" \
	    -v s="$(median mon_catchup.s)" 'BEGIN { printf "%.0f", n / s }')" \
	    rows/s "$(median mon_ref.page_rate)" - \
	    "monupsert: a page's read + multi-row upsert, one connection"
	for v in mon_catchup mon_stale; do
		[ $v = mon_catchup ] || [ "$MON_STALE" = 1 ] || continue
		row "${v}_cpu_s_monitor" "$(median "$v.cpu_monitor")" s - - \
		    "CPU of the monitor from its start to the last row"
		for p in kubesim mariadb; do
			row "${v}_cpu_s_$p" "$(median "$v.cpu_$p")" s - - \
			    "CPU of $p over the catch-up"
		done
	done
	row mon_watch_changes_per_s "$(median mon_watch.sent_rate)" changes/s \
	    - - "wrk's: 8 connections over 4 clusters, ${MON_DELAY_MS} ms apart"
	row mon_watch_rows "$(median mon_watch.rows)" rows \
	    "$(median mon_watch.sent)" "ratio>=1" \
	    "changes sent in $MON_DUR s, wrk's and the probe's"
	row mon_watch_rows_missing "$(($(median mon_watch.sent) - \
	    $(median mon_watch.rows)))" rows - "value<=0" \
	    "changes made but not recorded"
	row mon_watch_rows_per_s "$(median mon_watch.rows_rate)" rows/s \
	    "$(median mon_ref.event_rate)" - \
	    "monupsert: one upsert a change, direct, one connection"
	row mon_event_p50_ms "$(median mon_watch.p50)" ms \
	    "$(median mon_ref.event_p50)" - \
	    "monupsert's upsert; monitor: histogram bucket bound"
	row mon_event_mean_ms "$(median mon_watch.mean)" ms \
	    "$(median mon_ref.event_mean)" - \
	    "monupsert's upsert; monitor: histogram sum / count"
	row mon_event_p99_ms "$(median mon_watch.p99)" ms \
	    "$(median mon_ref.event_p99)" "value<=100" \
	    "monupsert's upsert; monitor: histogram bucket bound"
	row mon_e2e_p50_ms "$(median mon_e2e.p50)" ms \
	    "$(median mon_ref.event_p50)" - \
	    "monupsert's upsert; probe: change answered to row visible"
	row mon_e2e_p99_ms "$(median mon_e2e.p99)" ms \
	    "$(median mon_ref.event_p99)" "value<=100" \
	    "monupsert's upsert; probe: change answered to row visible"
	row mon_e2e_max_ms "$(median mon_e2e.max)" ms - - \
	    "probe: the slowest change of the run"
	row mon_e2e_changes "$(median mon_e2e.n)" changes - - \
	    "probe: changes seen, 4 apps, ${MON_PROBE_MS} ms apart"
	row mon_e2e_lost "$(median mon_e2e.lost)" changes - "value<=0" \
	    "probe: changes not seen within 10 s"
	row mon_watch_cpu_us "$(median mon_watch.cpu)" us/row - - \
	    "monitor's CPU per row written"
	mon_cleanup
}
