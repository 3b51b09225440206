-- wrk script for bench/http_holds.sh.
--
--   wrk -s bench/wrk_hold.lua URL -- holds SEATS_FILE TOKENS_FILE OFFSET NTHREADS [DELAY_MS]
--   wrk -s bench/wrk_hold.lua URL -- healthz
--
-- holds: every request is POST /v1/reservations for one seat no request used before. SEATS_FILE
-- has one "scheduleId seatId" per line; lines OFFSET+1.. are used, split between wrk threads
-- (thread k takes every NTHREADS-th line). TOKENS_FILE has one user access token per line; the
-- requests take them in turn. With DELAY_MS, each connection waits that long between a response
-- and its next request (wrk's delay()), to offer less than the peak rate.
-- healthz: GET /healthz, through the same Lua request() path, for comparison.
--
-- done() prints one line for the caller to parse:
--   RESULT requests=N status_errors=N socket_errors=N duration_s=S rps=R ok_rps=R
--          p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..

-- Runs in wrk's main Lua state once per thread, before that thread's init().
local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

local mode
local bodies = {}
local headers = {}
local next_index = 0
local delay_ms = 0
local healthz_request

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  return lines
end

function init(args)
  mode = args[1]
  if mode == "healthz" then
    healthz_request = wrk.format("GET", "/healthz")
    return
  end
  assert(mode == "holds", "first script argument: holds or healthz")
  local seats_file, tokens_file = args[2], args[3]
  local offset, nthreads = tonumber(args[4]), tonumber(args[5])
  delay_ms = tonumber(args[6] or "0")
  if delay_ms > 0 then
    -- Defined only when asked for: wrk then waits delay() ms between response and request.
    function delay()
      return delay_ms
    end
  end
  for _, token in ipairs(read_lines(tokens_file)) do
    headers[#headers + 1] = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }
  end
  local i = 0
  for line in io.lines(seats_file) do
    if i >= offset and (i - offset) % nthreads == thread_id then
      local schedule, seat = line:match("^(%S+)%s+(%S+)$")
      bodies[#bodies + 1] = '{"scheduleId":"' .. schedule .. '","seatIds":["' .. seat .. '"]}'
    end
    i = i + 1
  end
  assert(#bodies > 0, "no seats left in " .. seats_file .. " after line " .. offset)
end

function request()
  if healthz_request then
    return healthz_request
  end
  next_index = next_index + 1
  -- Past the end, requests repeat seats (and are refused as 409): the caller makes sure the
  -- file is long enough for the run.
  local body = bodies[(next_index - 1) % #bodies + 1]
  return wrk.format("POST", "/v1/reservations", headers[(next_index - 1) % #headers + 1], body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT requests=%d status_errors=%d socket_errors=%d duration_s=%.3f rps=%.0f ok_rps=%.0f" ..
    " p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests, e.status, socket_errors, seconds, summary.requests / seconds,
    (summary.requests - e.status) / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
