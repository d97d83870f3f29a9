-- wrk script: each request takes a random path from the file named by PATHS_FILE.
local paths = {}

init = function(args)
  for line in io.lines(os.getenv("PATHS_FILE")) do
    paths[#paths + 1] = line
  end
  math.randomseed(os.time() + math.random(1000))
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
