-- wrk script of scripts/test-load: cycles through the paths in the file
-- given after "--", half of the requests asking for gzip and one in four
-- conditional (If-Modified-Since now, so unchanged files get a 304), and
-- counts every response by status code, all threads together.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	paths = {}
	for line in io.lines(args[1]) do
		if #line > 0 then table.insert(paths, line) end
	end
	counts = {}
	n = math.random(#paths)
end

function request()
	n = n + 1
	local headers = {}
	if n % 2 == 0 then headers["Accept-Encoding"] = "gzip" end
	if n % 4 == 1 then headers["If-Modified-Since"] = os.date("!%a, %d %b %Y %H:%M:%S GMT") end
	return wrk.format("GET", paths[n % #paths + 1], headers)
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for status, c in pairs(t:get("counts")) do
			total[status] = (total[status] or 0) + c
		end
	end
	local keys = {}
	for status in pairs(total) do table.insert(keys, status) end
	table.sort(keys)
	for _, status in ipairs(keys) do
		io.write(string.format("status %d: %d\n", status, total[status]))
	end
end
