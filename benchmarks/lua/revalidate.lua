-- wrk script: browsers revalidating images they hold. Each request picks a random path from
-- PATHS_FILE (/media/<hash>.<ext>) and sends its hash as If-None-Match, so a shop answers 304.
local paths = {}

init = function(args)
  for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
  math.randomseed(os.time() + math.random(100000))
end

request = function()
  local path = paths[math.random(#paths)]
  local hash = path:match("/media/(%x+)%.")
  return wrk.format("GET", path, { ["If-None-Match"] = '"' .. hash .. '"' })
end
