-- Status changes of SparkApplications straight at a cluster of the
-- Kubernetes API stand-in, for the monitor's watch: a merge patch of the
-- status subresource of w-<n mod $BENCH_APPS>, its state alternating
-- SUBMITTED / PENDING_RERUN on each pass, paced by $BENCH_DELAY_MS per
-- connection.  The bearer token comes on wrk's command line (-H).
local apps = tonumber(os.getenv("BENCH_APPS") or "250")
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "8")
local conns = 0
local base = 0

function setup(thread)
	conns = conns + 1
	thread:set("base", conns * 1000003)
end

function init(args)
	wrk.method = "PATCH"
	wrk.headers["Content-Type"] = "application/merge-patch+json"
end

local n = 0
function request()
	n = n + 1
	local k = base + n
	local name = string.format("w-%05d", k % apps)
	local state = (math.floor(k / apps) % 2 == 0) and "SUBMITTED"
	    or "PENDING_RERUN"
	return wrk.format(nil, wrk.path .. "/" .. name .. "/status", nil,
	    '{"status":{"applicationState":{"state":"' .. state ..
	    '"},"driverInfo":{}}}')
end

function delay()
	return pace
end
