-- wrk script: each request takes a random path from the file named by PATHS_FILE.
-- THINK_MS: each connection pauses about that long between requests (0: flat out).
local paths = {}
local think = tonumber(os.getenv("THINK_MS") or "0")

init = function(args)
  for line in io.lines(os.getenv("PATHS_FILE")) do
    paths[#paths + 1] = line
  end
  math.randomseed(os.time() + math.random(1000))
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

delay = function()
  if think > 0 then return math.random(math.floor(think / 2), math.floor(think * 1.5)) end
  return 0
end
