-- POST /oauth2/introspect of the token in $CHECK_TOKEN (a JWT access token or a PAT). The caller
-- is the confidential client of bench/oauth-setup.sh with client_secret_basic ($BASIC =
-- base64(client_id:client_secret)), or, when $CALLER is "key", its API key holding
-- gatehouse:verify ($CALLER_TOKEN) as a bearer. Answers that are not {"active":true,...} are
-- counted per thread and printed when the run ends, so that a run of inactive answers is noticed.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
if os.getenv("CALLER") == "key" then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("CALLER_TOKEN")
else
  wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")
end
wrk.body = "token=" .. os.getenv("CHECK_TOKEN")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

inactive = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"active":true', 1, true) then
    inactive = inactive + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do
    n = n + (t:get("inactive") or 0)
  end
  io.write(string.format("answers other than active:true: %d\n", n))
end
