-- Create SparkApplications straight at a cluster of the Kubernetes API
-- stand-in: the body is $BENCH_CR, a CR the gateway built, with @NAME@
-- replaced by a name unique to this run ($BENCH_NONCE), thread and count.
-- The bearer token comes on wrk's command line (-H).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local f = assert(io.open(os.getenv("BENCH_CR"), "rb"))
local template = f:read("*a")
f:close()
local nonce = os.getenv("BENCH_NONCE") or "0"
tid = 0 -- set per thread by setup()
local n = 0
local count = 0

function setup(thread)
	count = count + 1
	thread:set("tid", count)
end

function init(args)
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	n = n + 1
	local name = string.format("b%s-%d-%d", nonce, tid, n)
	local body = template:gsub("@NAME@", name)
	return wrk.format("POST", nil, nil, body)
end
