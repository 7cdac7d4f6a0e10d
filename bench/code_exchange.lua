-- SPDX-License-Identifier: MIT
-- wrk script: exchange authorization codes, each code once.
-- usage: wrk -tT ... -s code_exchange.lua -H "Authorization: Basic ..." URL -- CODES_FILE REDIRECT_URI_ENCODED T
-- CODES_FILE: one jtk_ code a line (oauth_codes.py). Thread k of T takes
-- lines k, k+T, k+2T...; within a thread one counter serves every
-- connection, so no code is sent twice. Once a thread has used all its
-- codes it sends "jtk_exhausted", which the server refuses (400): running out
-- shows as non-2xx, and done() prints "codes: used U of N" (U > N: they ran
-- out). wrk calls request() once on thread 0 before the run to check the
-- request: that code counts as used but is never sent.
local threads = {}
local nthreads = 0

function setup(thread)
	thread:set("index", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function init(args)
	codes, used, available = {}, 0, 0
	local path, redirect, stride = args[1], args[2], tonumber(args[3] or "1")
	local n = 0
	for line in io.lines(path) do
		if n % stride == index then
			codes[#codes + 1] = line
		end
		n = n + 1
	end
	available = #codes
	prefix, suffix = "grant_type=authorization_code&code=", "&redirect_uri=" .. redirect
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
	used = used + 1
	local code = codes[used] or "jtk_exhausted"
	return wrk.format(nil, nil, nil, prefix .. code .. suffix)
end

function done(summary, latency, requests)
	local u, a = 0, 0
	for _, t in ipairs(threads) do
		u = u + t:get("used")
		a = a + t:get("available")
	end
	io.write(string.format("codes: used %d of %d\n", u, a))
end
