-- 4x overload: 64 connections, each sending a login every 170 ms (~370/s offered), rotating
-- over 128 accounts; counts nothing itself: read the statuses from the server log.
local n = 0
request = function()
  n = n + 1
  local body = '{"username":"bench' .. (n % 128) .. '","password":"correct horse battery staple"}'
  return wrk.format("POST", "/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
function delay()
  return 170
end
local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
