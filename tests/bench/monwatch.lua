-- Status changes of SparkApplications straight at a cluster of the
-- Kubernetes API stand-in, for the monitor's watch: a merge patch of the
-- status subresource of <$BENCH_PREFIX, default "w-"><n mod $BENCH_APPS,
-- five digits>, its state the next of $BENCH_STATES on each pass, paced
-- by $BENCH_DELAY_MS per connection.  $BENCH_START (default 0) is added
-- to the request count: BENCH_APPS - 1 starts at name 0 with the second
-- state, so that every patch of apps already in the first is a change.
-- $BENCH_STATES (default
-- "SUBMITTED PENDING_RERUN") lists the states passes go through in turn:
-- with three, a request wrk makes and drops (it asks for a connection's
-- first request again after the TLS handshake) leaves no later patch
-- without a change.  The bearer token comes on wrk's command line (-H).
local apps = tonumber(os.getenv("BENCH_APPS") or "250")
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "8")
local prefix = os.getenv("BENCH_PREFIX") or "w-"
local start = tonumber(os.getenv("BENCH_START") or "0")
local states = {}
for st in string.gmatch(os.getenv("BENCH_STATES") or
    "SUBMITTED PENDING_RERUN", "[%w_]+") do
	states[#states + 1] = st
end
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
	local k = base + n + start
	local name = string.format("%s%05d", prefix, k % apps)
	local state = states[math.floor(k / apps) % #states + 1]
	return wrk.format(nil, wrk.path .. "/" .. name .. "/status", nil,
	    '{"status":{"applicationState":{"state":"' .. state ..
	    '"},"driverInfo":{}}}')
end

function delay()
	return pace
end
