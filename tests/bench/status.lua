-- GET /spark/{id}/status for the submission IDs in $BENCH_IDS (one a
-- line), in turn, so that every worker keeps asking for the same few.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local paths = {}
local n = 0

function init(args)
	local prefix = wrk.path:gsub("/+$", "")
	for id in io.lines(os.getenv("BENCH_IDS")) do
		if id ~= "" then
			paths[#paths + 1] = prefix .. "/spark/" .. id .. "/status"
		end
	end
	assert(#paths > 0, "no submission IDs in " .. os.getenv("BENCH_IDS"))
end

function request()
	n = n % #paths + 1
	return wrk.format("GET", paths[n])
end
