-- wrk script: each request POSTs a random JSON body from the file named by BODIES_FILE
-- (one GraphQL request per line) to /graphql.
local bodies = {}
local headers = { ["Content-Type"] = "application/json" }

init = function(args)
  for line in io.lines(os.getenv("BODIES_FILE")) do
    bodies[#bodies + 1] = line
  end
  math.randomseed(os.time() + math.random(1000))
end

request = function()
  return wrk.format("POST", "/graphql", headers, bodies[math.random(#bodies)])
end
