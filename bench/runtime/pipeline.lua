-- wrk script: every write carries 16 pipelined GETs of the URL's path, as
-- bench/pipeline.lua does for "/" (the same bytes there).
--   wrk -s bench/runtime/pipeline.lua http://127.0.0.1:PORT/api
local depth = 16
local batch

function init(args)
  local one = wrk.format("GET", wrk.path)
  batch = string.rep(one, depth)
end

function request()
  return batch
end
