-- POST /oauth2/token, grant_type=refresh_token, for the public client gatehouse-cli. Refresh
-- tokens are single use and a reused one revokes its whole family, so no token may ever be sent
-- twice: each wrk thread takes its share of the tokens in the file $REFRESH_TOKENS (one per line,
-- bench/oauth-setup.sh; thread i of $THREADS, default 2, takes lines i+1, i+1+THREADS, …), keeps
-- them in a pool, sends each pooled token once and pools the refresh_token of each answer in its
-- place. A connection sends its next request only after its answer (and with it the successor
-- token) arrived, so a thread with at least as many tokens as connections never runs dry, and
-- every chain advances one rotation at a time. wrk calls request() once more before the run to
-- check the script: seed one token per thread beyond the connections (66 for -c64 -t2). A token
-- whose answer is lost (a timeout) ends its chain; a request with no token left sends "none"
-- and shows as a non-2xx answer.
local nthreads = tonumber(os.getenv("THREADS") or "2")
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local pool = {}
function init(args)
  local n = 0
  for line in io.lines(os.getenv("REFRESH_TOKENS")) do
    if line ~= "" and line ~= "null" then
      if n % nthreads == id then
        table.insert(pool, line)
      end
      n = n + 1
    end
  end
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
function request()
  local t = table.remove(pool) or "none"
  return wrk.format("POST", "/oauth2/token", headers,
    "grant_type=refresh_token&client_id=gatehouse-cli&refresh_token=" .. t)
end

function response(status, headers, body)
  if status == 200 then
    local t = body:match('"refresh_token":"([^"]+)"')
    if t then
      table.insert(pool, t)
    end
  end
end
