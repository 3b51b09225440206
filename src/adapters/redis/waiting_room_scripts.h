// The Lua scripts of the Redis waiting room. Each runs atomically in Redis, so instances that
// share a Redis never admit one place twice nor pass max_active: every read-modify-write of a
// room happens inside one script. They apply the rules of domain/waiting_room.h (the token
// bucket in units of 1/60,000, the release rate, the shuffle) in Lua, with the caller's time.
//
// Keys (standalone Redis; one room's keys share the hash tag {<concert>}):
//   bo:wr:rooms               SET    concerts that have a room (never removed)
//   bo:wr:epoch               STRING set with the first room: a Redis that lost its data has
//                                    none or another, and the instances restore their rooms
//   bo:wr:room:{c}            HASH   settings and state: enabled admit max_active ttl opens_at
//                                    opened opened_at credit filled_at last_seq served_seq
//                                    rel_rate rel_at
//   bo:wr:line:{c}            ZSET   WAITING tokens placed in line, scored by seq
//   bo:wr:pre:{c}             LIST   WAITING tokens of the pre-queue, in arrival order
//   bo:wr:active:{c}          ZSET   ACTIVE tokens, scored by expiry (ms)
//   bo:wr:holder:{c}          HASH   user -> the user's WAITING or ACTIVE token
//   bo:wr:tok:<token>         HASH   concert user status(W|A|E) seq joined_at expires_at;
//                                    an ended token expires from Redis after the retention
//
// A token's view is returned as 19 strings (see kViewFields in waiting_room.cc): the token's
// fields, then its room's, from which the adapter computes position and ETA in C++.
#pragma once

#include <string>

namespace bo::redis {

// ARGV: concert enabled(0|1) admit max_active ttl opens_at('' | ms) now seed rooms_max.
// Returns OK; error BO_ROOMS_FULL.
std::string ConfigureScript();
// A batch of joins, all at `now`. ARGV: now seed waiting_max, then per join concert user
// candidate_token. Returns [entries, rooms]: per join BO_OFF | BO_FULL | BO_RETRY (candidate
// taken) or [created(0|1) token status seq expires_at pre_queue_size room_index(1-based)];
// per room its 13 view fields (pre_queue_size 0; each entry has its own).
std::string JoinScript();
// ARGV: now seed token... Returns, per token, its view or nil.
std::string FindScript();
// ARGV: concert user token now. Returns OFF | PASSED | REQUIRED | NOT_ACTIVE.
std::string PassScript();
// ARGV: concert user now. Returns 1 if a token ended, else 0.
std::string EndScript();
// ARGV: token user now. Returns the view; errors BO_NOT_FOUND, BO_WAITING.
std::string LeaveScript();
// ARGV: now seed. Returns [admitted, expired, epoch ('' if none), waited_ms...].
std::string TickScript();
// Returns [rooms_enabled, waiting, active].
std::string StatsScript();
// Returns, per room, [concert, enabled, admit, max_active, ttl, opens_at].
std::string RoomsScript();

}  // namespace bo::redis
