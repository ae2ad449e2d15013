-- POST the request in $BENCH_BODY (JSON) to the URL given to wrk.  The
-- first submission IDs answered are written to $BENCH_IDS_OUT, if set.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()

local threads = {}
local report = done

function setup(thread)
	threads[#threads + 1] = thread
end

ids = ""
local kept = 0

function response(status, headers, body)
	if kept < 8 and status == 200 then
		local id = body:match('"submissionId"%s*:%s*"([^"]+)"')
		if id then
			ids = ids .. id .. "\n"
			kept = kept + 1
		end
	end
end

function done(summary, latency, requests)
	local path = os.getenv("BENCH_IDS_OUT")
	if path and path ~= "" then
		local out = assert(io.open(path, "w"))
		for _, t in ipairs(threads) do
			out:write(t:get("ids") or "")
		end
		out:close()
	end
	report(summary, latency, requests)
end
