-- wrk script: shoppers add to and read their carts. Each request picks a random session
-- token (TOKENS_FILE) and, by MODE: "mixed" alternates add and get, "add" or "get" only.
-- THINK_MS: each connection pauses that long between requests, as a shopper does (0: flat out).
local tokens, skus = {}, {}
local mode = os.getenv("MODE") or "mixed"
local think = tonumber(os.getenv("THINK_MS") or "0")
local counter = 0

init = function(args)
  for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
  for line in io.lines(os.getenv("SKUS_FILE")) do skus[#skus + 1] = line end
  math.randomseed(os.time() + math.random(100000))
end

request = function()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
  local add = mode == "add" or (mode == "mixed" and counter % 2 == 0)
  if add then
    headers["Content-Type"] = "application/json"
    local body = '{"sku":"' .. skus[math.random(#skus)] .. '","quantity":1}'
    return wrk.format("POST", "/api/v1/cart/items", headers, body)
  end
  return wrk.format("GET", "/api/v1/cart", headers)
end

delay = function()
  if think > 0 then return math.random(math.floor(think / 2), math.floor(think * 1.5)) end
  return 0
end
