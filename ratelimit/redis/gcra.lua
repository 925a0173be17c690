-- GCRA rate limit step (see package ratelimit). Atomic: Redis runs one script at a time.
-- KEYS[1]: the limited key. ARGV[1]: emission interval, ARGV[2]: burst (interval × limit), both
-- in microseconds. Returns {allowed (0|1), remaining, retry_after_microseconds}.
-- Times are microseconds of the server clock: ~1.7e15 today, exact in a Lua double (< 2^53).
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then
  tat = now
end
local next_tat = tat + interval
local allow_at = next_tat - burst
if allow_at > now then
  return {0, 0, allow_at - now}
end
-- Keep the key exactly as long as the bucket is not full; '%.0f' because tostring would round
-- to 14 digits.
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, math.floor((now + burst - next_tat) / interval), 0}
