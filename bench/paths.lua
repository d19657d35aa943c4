-- wrk script: GET each path of a file in turn, one request per write.
--   wrk -s bench/paths.lua http://127.0.0.1:PORT/ -- PATHS_FILE
-- The file holds one path per line (bench/routes/troute.py writes them); a
-- file of one line sends that path every time. All requests are formatted
-- once, in init, so the cost per request in wrk is the same for one path or
-- many.
local requests = {}
local n = 0
local i = 0

function init(args)
  local file = args[1]
  if not file then
    error("paths.lua: no paths file (wrk ... -- FILE)")
  end
  for line in io.lines(file) do
    if line ~= "" then
      n = n + 1
      requests[n] = wrk.format("GET", line)
    end
  end
  if n == 0 then
    error("paths.lua: " .. file .. " holds no path")
  end
end

function request()
  i = i % n + 1
  return requests[i]
end
