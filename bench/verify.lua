-- POST /v1/verify checking the credential in $CHECK_TOKEN (a PAT or an API key), authenticated
-- with $CALLER_TOKEN (an API key holding gatehouse:verify). PACE_MS (optional) paces each
-- connection like bench/paced.lua.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CALLER_TOKEN")
wrk.body = '{"token":"' .. os.getenv("CHECK_TOKEN") .. '","scopes":["calls:read"],"ip":"10.1.2.3"}'
local pace = tonumber(os.getenv("PACE_MS") or "0")
if pace > 0 then
  function delay() return pace end
end
