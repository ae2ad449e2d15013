-- A mix for the long run: of every 50 requests one SparkPi submission
-- ($BENCH_BODY), the others health checks and status reads of the
-- submission IDs in $BENCH_IDS, in turn.  wrk's URL is the API prefix.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
local body = f:read("*a")
f:close()
local prefix = wrk.path:gsub("/+$", "")
local status = {}
local post_headers = {}
local n = 0

function init(args)
	-- wrk.format() takes the headers given instead of wrk.headers (the
	-- credentials from -H), not on top of them.
	for k, v in pairs(wrk.headers) do
		post_headers[k] = v
	end
	post_headers["Content-Type"] = "application/json"
	for id in io.lines(os.getenv("BENCH_IDS")) do
		if id ~= "" then
			status[#status + 1] = prefix .. "/spark/" .. id .. "/status"
		end
	end
	assert(#status > 0, "no submission IDs in " .. os.getenv("BENCH_IDS"))
end

function request()
	n = n + 1
	if n % 50 == 0 then
		return wrk.format("POST", prefix .. "/spark", post_headers, body)
	elseif n % 2 == 0 then
		return wrk.format("GET", prefix .. "/healthcheck/status")
	end
	return wrk.format("GET", status[n % #status + 1])
end
