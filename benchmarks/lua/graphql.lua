-- wrk script: each request POSTs a random JSON body from the file named by BODIES_FILE
-- (one GraphQL request per line) to /graphql; with TOKEN set, as that session's bearer.
local bodies = {}
local headers = { ["Content-Type"] = "application/json" }
if os.getenv("TOKEN") then headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end

init = function(args)
  for line in io.lines(os.getenv("BODIES_FILE")) do
    bodies[#bodies + 1] = line
  end
  math.randomseed(os.time() + math.random(1000))
end

request = function()
  return wrk.format("POST", "/graphql", headers, bodies[math.random(#bodies)])
end
