# The long run (sourced by bench.sh when LONG=1): the resident memory of
# the supervisor and 8 workers after 100,000 requests, and whether it
# grows over 1,000,000 (mixed.lua: health checks, status reads, one
# submission in 50).  wrk runs by time, so each leg is sized from the rate
# of the one before and the checkpoint is the first count at or past each
# 100,000; a worker that died and was replaced would hide a leak, so the
# worker pids are checked at every checkpoint.

LONG_WORKERS=${LONG_WORKERS:-8}
LONG_TOTAL=${LONG_TOTAL:-1000000}
LONG_STEP=${LONG_STEP:-100000}

long_run() {
	WORKERS=$LONG_WORKERS
	start_stacks "$WORKERS" nohello
	start_timed gw "$stack" "$BASE" "$top/$BUILD/bpg-gateway" \
	    -c "$stack/config.yaml" -w "$WORKERS"
	gw_sup=$(cat "$stack/gateway.pid")
	seed
	curl -sf -X POST -d '{"tickMs":600000}' "$BPG_KUBE_CONTROL/config" \
	    >/dev/null || die "kubesim control API not answering"
	BENCH_IDS=$work/ids BENCH_BODY=$sparkpi
	export BENCH_IDS BENCH_BODY
	pids0=$(workers_of "$gw_sup")
	table=$work/table
	: > "$table"
	total=0 next=$LONG_STEP rate=0 first="" first_sum=""
	while [ "$total" -lt "$LONG_TOTAL" ]; do
		if [ "$rate" = 0 ]; then
			secs=5
		else
			secs=$(awk -v r="$rate" -v n=$((next - total)) \
			    'BEGIN { s = int(n / r + 1); print s < 1 ? 1 : s }')
		fi
		line=$(wrk -t1 -c"$CONC" -d"${secs}s" --latency \
		    -s "$BENCH_LUA/mixed.lua" -H "$basic" "$BPG_URL" 2>&1 |
		    grep '^wrk ') || die "wrk failed"
		req=$(kv requests "$line")
		bad=$(($(kv non2xx "$line") + $(kv errors "$line")))
		echo "long $bad" >> "$work/failures"
		[ "$bad" -eq 0 ] || note "long: $bad of $req requests failed"
		total=$((total + req))
		rate=$(kv rps "$line")
		[ "$total" -ge "$next" ] || continue
		set -- $(mem_kb "$gw_sup" $(workers_of "$gw_sup"))
		[ -n "$first" ] || first=$3
		[ -n "$first_sum" ] || first_sum=$1
		[ "$(workers_of "$gw_sup")" = "$pids0" ] ||
		    note "long: a worker was replaced before $total requests"
		note "long: $total requests, RSS $3 kB (sum $1 kB, PSS $2 kB)"
		if [ "$next" = "$LONG_STEP" ]; then
			row "rss_kb_after_$next" "$3" kB - "value<=40960" \
			    "supervisor+$WORKERS workers after $total requests, each page once"
			row "rss_sum_kb_after_$next" "$1" kB - "value<=40960" \
			    "sum of VmRSS"
		else
			row "rss_kb_after_$next" "$3" kB "$first" "ratio<=1.05" \
			    "after $total requests; reference: after $LONG_STEP"
			row "rss_sum_kb_after_$next" "$1" kB "$first_sum" \
			    "ratio<=1.05" "sum of VmRSS"
		fi
		row "pss_kb_after_$next" "$2" kB - - "sum of Pss"
		next=$((next + LONG_STEP))
	done
	row long_rps "$rate" req/s - - "mixed.lua, last leg"
	row long_p99_ms "$(kv p99_ms "$line")" ms - - "mixed.lua, last leg"
	ROUNDS=1
	print_table "$WEB-long"
}
