-- GET the URL given to wrk; only the report.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
