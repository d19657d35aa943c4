-- wrk script: every write carries 16 pipelined "GET /" requests.
--   wrk -s bench/pipeline.lua http://127.0.0.1:PORT/
local depth = 16
local batch

function init(args)
  local one = wrk.format("GET", "/")
  batch = string.rep(one, depth)
end

function request()
  return batch
end
