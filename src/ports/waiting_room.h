// The WaitingRoom port: the state of every concert's waiting room (domain/waiting_room.h has
// the rules). Two adapters implement it: in process (adapters/inprocess, the embedded shape)
// and Redis (adapters/redis, shared by every instance).
//
// Every call takes the time from the caller, so tests drive time with a manual clock.
// Adapters are thread-safe. Calls that reach another system may fail with kUnavailable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "domain/waiting_room.h"
#include "ports/random.h"

namespace bo {

struct JoinOutcome {
  QueueToken token;
  bool created = false;  // false: the user already held this token
};

// The verdict of the gate on a reservation or payment.
enum class GateVerdict {
  kRoomOff,         // the concert's waiting room is off (or it has none): no token needed
  kPassed,          // an ACTIVE token of the user and concert; it was extended
  kTokenRequired,   // the room is on and no token was given
  kTokenNotActive,  // the token is unknown, WAITING, EXPIRED, or of another user or concert
};

// What one admission round did.
struct AdmissionRound {
  std::int64_t admitted = 0;
  std::int64_t expired = 0;             // ACTIVE tokens that ran out unused
  std::vector<std::int64_t> waited_ms;  // for each admitted token, its wait (WaitedMs)
};

struct WaitingRoomStats {
  std::int64_t rooms_enabled = 0;
  std::int64_t waiting = 0;  // in line and in pre-queues
  std::int64_t active = 0;
};

// Receives the answer of an asynchronous call of the port, maybe on another thread, maybe
// before the call returns. It must be short: an adapter may run it on the thread that talks to
// its backend, where it delays the answers of other calls.
template <class T>
using WaitingRoomDone = std::function<void(Result<T>)>;

// A new queue token: "qt_" and 128 random bits in hex. Secret to its holder, like a session.
std::string NewQueueTokenId(Random& random);

class WaitingRoom {
 public:
  virtual ~WaitingRoom() = default;

  // Sets the room of a concert (created on first use; starts with an empty line). Moving
  // opens_at into the future pauses admission until then, and who joins meanwhile forms a
  // new pre-queue, placed after the line already formed.
  // REQUIRES: ValidateWaitingRoomSettings(s, now_ms) is ok; the concert exists.
  // kUnavailable: the adapter holds its most rooms, or its backend is down.
  virtual Result<WaitingRoomSettings> Configure(std::string_view concert_id,
                                                const WaitingRoomSettings& s, UnixMs now_ms) = 0;

  // The user's place in the concert's room: the token the user holds (WAITING or ACTIVE),
  // else a new WAITING token at the end of the line (in the pre-queue before the sale opens).
  // kInvalidState: the concert has no room or it is off. kUnavailable: the room holds its
  // most waiting tokens, or the backend is down.
  virtual Result<JoinOutcome> Join(std::string_view concert_id, std::string_view user_id,
                                   UnixMs now_ms) = 0;

  // Join, answered through `done`. The default answers at once with Join; an adapter on
  // another system answers later, so that the caller's thread never waits for it.
  virtual void JoinAsync(std::string concert_id, std::string user_id, UnixMs now_ms,
                         WaitingRoomDone<JoinOutcome> done) {
    done(Join(concert_id, user_id, now_ms));
  }

  // The token now; nullopt if it is unknown or was forgotten (kEndedTokenRetentionMs after it
  // ended). The caller checks that it is the caller's.
  virtual Result<std::optional<QueueToken>> Find(std::string_view token, UnixMs now_ms) = 0;

  // Find, answered through `done` (see JoinAsync).
  virtual void FindAsync(std::string token, UnixMs now_ms,
                         WaitingRoomDone<std::optional<QueueToken>> done) {
    done(Find(token, now_ms));
  }

  // Find for many tokens at once (one round trip), in order.
  virtual Result<std::vector<std::optional<QueueToken>>> FindMany(
      const std::vector<std::string>& tokens, UnixMs now_ms) = 0;

  // The gate of reservations and payments of a concert. See GateVerdict; on kPassed the
  // token's expiry moves to now + active_ttl_seconds.
  virtual Result<GateVerdict> Pass(std::string_view concert_id, std::string_view user_id,
                                   std::string_view token, UnixMs now_ms) = 0;

  // Pass, answered through `done` (see JoinAsync).
  virtual void PassAsync(std::string concert_id, std::string user_id, std::string token,
                         UnixMs now_ms, WaitingRoomDone<GateVerdict> done) {
    done(Pass(concert_id, user_id, token, now_ms));
  }

  // Ends the user's ACTIVE token for the concert (a reservation was paid) and frees its slot.
  // Returns whether a token ended: false if the user holds no ACTIVE token there.
  virtual Result<bool> End(std::string_view concert_id, std::string_view user_id,
                           UnixMs now_ms) = 0;

  // End, answered through `done` (see JoinAsync).
  virtual void EndAsync(std::string concert_id, std::string user_id, UnixMs now_ms,
                        WaitingRoomDone<bool> done) {
    done(End(concert_id, user_id, now_ms));
  }

  // The user gives up an ACTIVE token, freeing its slot; an EXPIRED one is returned as it is.
  // kNotFound: unknown or another user's token. kInvalidState: the token is WAITING (a place
  // in line is kept until admitted).
  virtual Result<QueueToken> Leave(std::string_view token, std::string_view user_id,
                                   UnixMs now_ms) = 0;

  // One admission round over every room, driven by a ticker: expires ACTIVE tokens unused for
  // active_ttl_seconds, opens rooms whose sale has opened (shuffling their pre-queue), then
  // admits what AdmissionsDue allows, in line order; forgets tokens ended long ago.
  virtual Result<AdmissionRound> Tick(UnixMs now_ms) = 0;

  virtual Result<WaitingRoomStats> Stats(UnixMs now_ms) = 0;

  // False only if no room is on anywhere, so that gated routes may skip looking up the
  // concert of a request. An adapter that cannot tell cheaply returns true.
  virtual bool MayGate() = 0;
};

}  // namespace bo
