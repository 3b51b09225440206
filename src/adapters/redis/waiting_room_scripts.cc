#include "adapters/redis/waiting_room_scripts.h"

#include <string_view>

namespace bo::redis {
namespace {

// Shared by every script: keys, the room's state, and the rules.
constexpr std::string_view kPrelude = R"lua(
local U = 60000            -- bucket units per token (kBucketUnitsPerToken)
local TAU = 30.0           -- kReleaseRateTimeConstantSeconds
local RETAIN_MS = 600000   -- kEndedTokenRetentionMs
local M = 2147483647       -- the shuffle's generator: Park-Miller, modulus 2^31 - 1

local function k_rooms() return 'bo:wr:rooms' end
local function k_epoch() return 'bo:wr:epoch' end
local function k_room(c) return 'bo:wr:room:{' .. c .. '}' end
local function k_line(c) return 'bo:wr:line:{' .. c .. '}' end
local function k_pre(c) return 'bo:wr:pre:{' .. c .. '}' end
local function k_active(c) return 'bo:wr:active:{' .. c .. '}' end
local function k_holder(c) return 'bo:wr:holder:{' .. c .. '}' end
local function k_tok(t) return 'bo:wr:tok:' .. t end

local function fmt(x) return string.format('%.17g', x) end
-- An integral number (a time in ms, a seq, a count): no floating-point formatting.
local function int(x) return string.format('%d', x) end

local FIELDS = {'enabled', 'admit', 'max_active', 'ttl', 'opens_at', 'opened', 'opened_at',
                'credit', 'filled_at', 'last_seq', 'served_seq', 'rel_rate', 'rel_at'}
local NUMBERS = {'admit', 'max_active', 'ttl', 'opened_at', 'credit', 'filled_at', 'last_seq',
                 'served_seq', 'rel_rate', 'rel_at'}

-- The room's fields; each number also keeps the text it was loaded from (r.raw) and its value
-- then (r.loaded), so that an unchanged field is neither converted again nor written back.
local function load_room(c)
  local v = redis.call('HMGET', k_room(c), unpack(FIELDS))
  if not v[1] then return nil end
  local r = {raw = {}, loaded = {}}
  for i, f in ipairs(FIELDS) do r[f] = v[i]; r.raw[f] = v[i] end
  for _, f in ipairs(NUMBERS) do
    local x = tonumber(r[f])
    r[f] = x
    r.loaded[f] = x
  end
  return r
end

-- Field f of room r as stored: the loaded text while the value is unchanged.
local function text(r, f)
  local x = r[f]
  if type(x) ~= 'number' then return x end
  if r.loaded and r.loaded[f] == x then return r.raw[f] end
  return fmt(x)
end

-- Writes the fields that changed since load_room (every field of a new room).
local function save_room(c, r)
  local args = {}
  for _, f in ipairs(FIELDS) do
    local t = text(r, f)
    if not r.raw or r.raw[f] ~= t then
      args[#args + 1] = f
      args[#args + 1] = t
    end
  end
  if #args > 0 then redis.call('HSET', k_room(c), unpack(args)) end
end

-- FillBucket: admit a second, one second's worth at most.
local function fill(r, now)
  local pm = 60 * r.admit
  local cap = r.admit * U
  local at = math.max(now, r.filled_at)
  local missing = math.max(0, cap - r.credit)
  local to_full = math.floor((missing + pm - 1) / pm)
  local elapsed = math.min(at - r.filled_at, to_full)
  r.credit = math.min(cap, r.credit + elapsed * pm)
  r.filled_at = at
end

-- RecordReleases.
local function record(r, n, now)
  if now > r.rel_at then
    r.rel_rate = r.rel_rate * math.exp(-((now - r.rel_at) / 1000.0) / TAU)
    r.rel_at = now
  end
  r.rel_rate = r.rel_rate + n / TAU
end

local function end_token(c, t, ended_at)
  redis.call('ZREM', k_active(c), t)
  local user = redis.call('HGET', k_tok(t), 'user')
  redis.call('HSET', k_tok(t), 'status', 'E', 'expires_at', fmt(ended_at))
  redis.call('PEXPIRE', k_tok(t), RETAIN_MS)
  if user and redis.call('HGET', k_holder(c), user) == t then
    redis.call('HDEL', k_holder(c), user)
  end
end

-- Ends the ACTIVE tokens due at now; returns how many.
local function expire_due(c, r, now)
  local due = redis.call('ZRANGEBYSCORE', k_active(c), '-inf', int(now), 'WITHSCORES')
  local n = #due / 2
  if n == 0 then return 0 end
  for i = 1, #due, 2 do end_token(c, due[i], tonumber(due[i + 1])) end
  record(r, n, now)
  return n
end

-- A uniform integer in [0, n) from a Park-Miller sequence started at seed (1 .. M - 1).
local function generator(seed)
  local s = seed
  return function(n)
    local limit = math.floor((M - 1) / n) * n
    while true do
      s = (s * 48271) % M
      local x = s - 1
      if x < limit then return x % n end
    end
  end
end

-- Opens the sale when due: the pre-queue is shuffled once (Fisher-Yates) and placed in line.
-- Returns whether it opened.
local function open_if_due(c, r, now, seed)
  if r.opened == '1' then return false end
  if r.opens_at ~= '' and tonumber(r.opens_at) > now then return false end
  local pre = redis.call('LRANGE', k_pre(c), 0, -1)
  local below = generator(seed)
  for i = #pre, 2, -1 do
    local j = below(i) + 1
    pre[i], pre[j] = pre[j], pre[i]
  end
  for _, t in ipairs(pre) do
    r.last_seq = r.last_seq + 1
    redis.call('ZADD', k_line(c), fmt(r.last_seq), t)
    redis.call('HSET', k_tok(t), 'seq', fmt(r.last_seq))
  end
  redis.call('DEL', k_pre(c))
  r.opened = '1'
  if r.opens_at ~= '' then r.opened_at = tonumber(r.opens_at) else r.opened_at = now end
  r.credit = 0
  r.filled_at = r.opened_at
  return true
end

-- One admission round of a room; appends each admitted token's wait to `waited`.
local function admit(c, r, now, waited)
  if r.enabled ~= '1' or r.opened ~= '1' then return 0 end
  fill(r, now)
  local active = redis.call('ZCARD', k_active(c))
  local waiting = redis.call('ZCARD', k_line(c))
  local due = math.min(math.floor(r.credit / U), math.max(0, r.max_active - active), waiting)
  if due <= 0 then return 0 end
  local popped = redis.call('ZPOPMIN', k_line(c), due)
  local expires = now + r.ttl * 1000
  for i = 1, #popped, 2 do
    local t = popped[i]
    redis.call('ZADD', k_active(c), fmt(expires), t)
    local joined = tonumber(redis.call('HGET', k_tok(t), 'joined_at'))
    redis.call('HSET', k_tok(t), 'status', 'A', 'expires_at', fmt(expires))
    r.served_seq = tonumber(popped[i + 1])
    waited[#waited + 1] = math.max(0, now - math.max(joined, r.opened_at))
  end
  r.credit = r.credit - due * U
  return due
end

-- The fields of token t a view shows, in one read.
local function token_fields(t)
  return redis.call('HMGET', k_tok(t), 'concert', 'user', 'status', 'seq', 'expires_at')
end

-- Whether a token with fields f (token_fields) ended RETAIN_MS ago or more, by the caller's
-- clock (Redis forgets it by its own clock, PEXPIRE above; this keeps the two in step for a
-- caller with another clock).
local function forgotten(f, now)
  return f[3] == 'E' and tonumber(f[5]) + RETAIN_MS <= now
end

-- The length of room c's pre-queue, empty once the sale opened.
local function pre_size(c, r)
  if r.opened == '1' then return 0 end
  return redis.call('LLEN', k_pre(c))
end

-- The view of token t of room c (see kViewFields), from its fields f (token_fields) and, if
-- the caller knows it, the length of the room's pre-queue.
local function view(c, r, t, f, pre)
  return {t, f[1] or c, f[2] or '', f[3] or 'E', f[4] or '0', f[5] or '0',
          r.enabled, text(r, 'admit'), text(r, 'max_active'), text(r, 'ttl'), r.opens_at,
          r.opened, text(r, 'credit'), text(r, 'filled_at'), text(r, 'served_seq'),
          int(pre or pre_size(c, r)), int(redis.call('ZCARD', k_active(c))),
          text(r, 'rel_rate'), text(r, 'rel_at')}
end
)lua";

constexpr std::string_view kConfigure = R"lua(
local c, enabled, admit_, max_active, ttl, opens_at = ARGV[1], ARGV[2], tonumber(ARGV[3]),
    tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now, seed, rooms_max = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local r = load_room(c)
if not r then
  if redis.call('SCARD', k_rooms()) >= rooms_max then
    return redis.error_reply('BO_ROOMS_FULL')
  end
  r = {enabled = '0', admit = admit_, max_active = max_active, ttl = ttl, opens_at = '',
       opened = '0', opened_at = 0, credit = 0, filled_at = 0, last_seq = 0, served_seq = 0,
       rel_rate = max_active / ttl, rel_at = now}
  redis.call('SADD', k_rooms(), c)
  redis.call('SET', k_epoch(), fmt(seed), 'NX')
else
  expire_due(c, r, now)
end
r.enabled, r.admit, r.max_active, r.ttl, r.opens_at = enabled, admit_, max_active, ttl, opens_at
if opens_at ~= '' and tonumber(opens_at) > now then r.opened = '0' end
open_if_due(c, r, now, seed)
save_room(c, r)
return 'OK'
)lua";

// Joins of any rooms, in order: ARGV = now, seed, waiting_max, then (concert, user, candidate
// token id) per join. Every join of a batch takes effect at `now` (the latest of the callers'
// clocks), so the rooms are expired and opened once; a join that fails answers its error code
// in its own entry and the others go on. Returns {entries, rooms}: per join either 'BO_OFF',
// 'BO_FULL', 'BO_RETRY' (the candidate id is taken) or {created, token, status, seq,
// expires_at, pre-queue size, index of its room in rooms}; per room its snapshot (the fields of
// view() after the token's, with 0 for the pre-queue size), taken after the last join: joining
// changes nothing of it but the pre-queue size, which each entry carries.
constexpr std::string_view kJoin = R"lua(
local now, seed, waiting_max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rooms, order, out = {}, {}, {}
for i = 4, #ARGV, 3 do
  local c, user, candidate = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local room = rooms[c]
  if room == nil then
    local r = load_room(c)
    room = false
    if r and r.enabled == '1' then
      expire_due(c, r, now)
      open_if_due(c, r, now, seed)
      order[#order + 1] = c
      room = {r = r, index = #order, pre = pre_size(c, r)}
    end
    rooms[c] = room
  end
  if not room then
    out[#out + 1] = 'BO_OFF'
  else
    local r = room.r
    local held = redis.call('HGET', k_holder(c), user)
    if held then
      local f = redis.call('HMGET', k_tok(held), 'status', 'seq', 'expires_at')
      out[#out + 1] = {'0', held, f[1] or 'E', f[2] or '0', f[3] or '0', int(room.pre),
                       int(room.index)}
    -- The line holds exactly the places after served_seq up to last_seq.
    elseif r.last_seq - r.served_seq + room.pre >= waiting_max then
      out[#out + 1] = 'BO_FULL'
    elseif redis.call('EXISTS', k_tok(candidate)) == 1 then
      out[#out + 1] = 'BO_RETRY'
    else
      local seq = 0
      if r.opened == '1' then
        r.last_seq = r.last_seq + 1
        seq = r.last_seq
        redis.call('ZADD', k_line(c), int(seq), candidate)
      else
        room.pre = redis.call('RPUSH', k_pre(c), candidate)
      end
      redis.call('HSET', k_tok(candidate), 'concert', c, 'user', user, 'status', 'W', 'seq',
                 int(seq), 'joined_at', int(now), 'expires_at', '0')
      redis.call('HSET', k_holder(c), user, candidate)
      out[#out + 1] = {'1', candidate, 'W', int(seq), '0', int(room.pre), int(room.index)}
    end
  end
end
local snapshots = {}
for i, c in ipairs(order) do
  local r = rooms[c].r
  save_room(c, r)
  local v = view(c, r, '', {c, '', 'E', '0', '0'}, 0)
  snapshots[i] = {unpack(v, 7)}
end
return {out, snapshots}
)lua";

constexpr std::string_view kFind = R"lua(
local now, seed = tonumber(ARGV[1]), tonumber(ARGV[2])
local rooms, opened, out = {}, {}, {}
for i = 3, #ARGV do
  local t = ARGV[i]
  local f = token_fields(t)
  local c = f[1]
  local r = nil
  if c and not forgotten(f, now) then
    r = rooms[c]
    if r == nil then
      r = load_room(c) or false
      if r and open_if_due(c, r, now, seed) then
        opened[c] = r
        f = token_fields(t)  -- the opening gave t its place
      end
      rooms[c] = r
    end
  end
  if r then out[#out + 1] = view(c, r, t, f) else out[#out + 1] = false end
end
for c, r in pairs(opened) do save_room(c, r) end
return out
)lua";

constexpr std::string_view kPass = R"lua(
local c, user, t, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local r = load_room(c)
if not r or r.enabled ~= '1' then return 'OFF' end
if t == '' then return 'REQUIRED' end
local f = redis.call('HMGET', k_tok(t), 'concert', 'user', 'status', 'expires_at')
if f[1] ~= c or f[2] ~= user or f[3] ~= 'A' or tonumber(f[4]) <= now then
  return 'NOT_ACTIVE'
end
local expires = math.max(tonumber(f[4]), now + r.ttl * 1000)
redis.call('ZADD', k_active(c), fmt(expires), t)
redis.call('HSET', k_tok(t), 'expires_at', fmt(expires))
return 'PASSED'
)lua";

constexpr std::string_view kEnd = R"lua(
local c, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local r = load_room(c)
if not r then return 0 end
expire_due(c, r, now)
local t = redis.call('HGET', k_holder(c), user)
local ended = 0
if t and redis.call('HGET', k_tok(t), 'status') == 'A' then
  end_token(c, t, now)
  record(r, 1, now)
  ended = 1
end
save_room(c, r)
return ended
)lua";

constexpr std::string_view kLeave = R"lua(
local t, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local f = token_fields(t)
if not f[1] or f[2] ~= user or forgotten(f, now) then
  return redis.error_reply('BO_NOT_FOUND')
end
local c = f[1]
local r = load_room(c)
if not r then return redis.error_reply('BO_NOT_FOUND') end
expire_due(c, r, now)
local status = redis.call('HGET', k_tok(t), 'status')
if status == 'W' then
  save_room(c, r)
  return redis.error_reply('BO_WAITING')
end
if status == 'A' then
  end_token(c, t, now)
  record(r, 1, now)
end
save_room(c, r)
return view(c, r, t, token_fields(t))
)lua";

constexpr std::string_view kTick = R"lua(
local now, seed = tonumber(ARGV[1]), tonumber(ARGV[2])
local admitted, expired, waited = 0, 0, {}
for _, c in ipairs(redis.call('SMEMBERS', k_rooms())) do
  local r = load_room(c)
  if r then
    expired = expired + expire_due(c, r, now)
    if r.enabled == '1' then
      open_if_due(c, r, now, seed)
      admitted = admitted + admit(c, r, now, waited)
    end
    save_room(c, r)
  end
end
local out = {fmt(admitted), fmt(expired), redis.call('GET', k_epoch()) or ''}
for _, w in ipairs(waited) do out[#out + 1] = fmt(w) end
return out
)lua";

constexpr std::string_view kRooms = R"lua(
local out = {}
for _, c in ipairs(redis.call('SMEMBERS', k_rooms())) do
  local v = redis.call('HMGET', k_room(c), 'enabled', 'admit', 'max_active', 'ttl', 'opens_at')
  if v[1] then out[#out + 1] = {c, v[1], v[2], v[3], v[4], v[5]} end
end
return out
)lua";

constexpr std::string_view kStats = R"lua(
local enabled, waiting, active = 0, 0, 0
for _, c in ipairs(redis.call('SMEMBERS', k_rooms())) do
  if redis.call('HGET', k_room(c), 'enabled') == '1' then enabled = enabled + 1 end
  waiting = waiting + redis.call('ZCARD', k_line(c)) + redis.call('LLEN', k_pre(c))
  active = active + redis.call('ZCARD', k_active(c))
end
return {enabled, waiting, active}
)lua";

std::string WithPrelude(std::string_view body) {
  std::string text(kPrelude);
  text += body;
  return text;
}

}  // namespace

std::string ConfigureScript() { return WithPrelude(kConfigure); }
std::string JoinScript() { return WithPrelude(kJoin); }
std::string FindScript() { return WithPrelude(kFind); }
std::string PassScript() { return WithPrelude(kPass); }
std::string EndScript() { return WithPrelude(kEnd); }
std::string LeaveScript() { return WithPrelude(kLeave); }
std::string TickScript() { return WithPrelude(kTick); }
std::string StatsScript() { return WithPrelude(kStats); }
std::string RoomsScript() { return WithPrelude(kRooms); }

}  // namespace bo::redis
