-- Shared end-of-run report for the benchmark's wrk scripts: one line of
-- key=value pairs that tests/bench/bench.sh reads (latencies in ms).
function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		"wrk requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f " ..
		"p99_ms=%.3f non2xx=%d errors=%d\n",
		summary.requests, secs, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout))
end
