-- Password logins rotating over 128 accounts bench0..bench127 (made by bench/setup.sh).
local n = 0
request = function()
  n = n + 1
  local body = '{"username":"bench' .. (n % 128) .. '","password":"correct horse battery staple"}'
  return wrk.format("POST", "/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
