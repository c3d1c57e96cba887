// RoomEvent: one thing a room tells its members (a message, a status change, the
// online count...), as JSON text built once. The wire form (a WebSocket frame) is
// built from it once, by the protocol that owns the format, and every member
// writes the same bytes. Immutable once shared; loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/buffer/shared_buffer.hpp"
#include "core/format/json_text.hpp"

namespace room {

struct RoomEvent {
  core::SharedBuffer json;
  int64_t seq = 0;       // the room's seq (0: not a room event, e.g. a reply)
  int64_t timeMs = 0;    // server wall time
  bool message = false;  // a chat message (kept in history)
  // What the sidechannel filters on: the msgType of a message ("text", "gift",
  // "like", ...), else the event name ("status", "info", ...).
  std::string kind;
  // The stream clock when the room accepted it (S1); none while the stream is off.
  std::optional<int64_t> streamTimeMs;
  // Where the members of the event's object are in `json` (count 0: unknown), so
  // the sidechannel copies the ones it keeps instead of writing them again.
  core::JsonMemberIndex members;

  // The cached wire form, built with `build(const RoomEvent&)` on first use.
  template <typename Builder>
  const core::SharedBuffer& wireForm(Builder&& build) const {
    if (wire_.empty()) wire_ = build(*this);
    return wire_;
  }

  // Set by the Sidechannel when the event went into its stream's media (before
  // the members get it), so a member whose media brings the stream's events (a
  // WHEP viewer's data channel) is not sent it twice.
  void markCarriedInMedia() const { carriedInMedia_ = true; }
  bool carriedInMedia() const { return carriedInMedia_; }

 private:
  mutable core::SharedBuffer wire_;
  mutable bool carriedInMedia_ = false;
};

using RoomEventPtr = std::shared_ptr<const RoomEvent>;

// Builds an event from JSON text; with `members`, the index of its object's members
// in that text.
inline RoomEventPtr makeRoomEvent(std::string_view json, int64_t seq, int64_t timeMs,
                                  bool message = false, std::string kind = {},
                                  std::optional<int64_t> streamTimeMs = std::nullopt,
                                  const core::JsonMemberIndex& members = {}) {
  auto event = std::make_shared<RoomEvent>();
  event->json = core::SharedBuffer::copyOf(json);
  event->seq = seq;
  event->timeMs = timeMs;
  event->message = message;
  event->kind = std::move(kind);
  event->streamTimeMs = streamTimeMs;
  event->members = members;
  return event;
}

// The event of a JSON object: its text (dumpJson) with the index of its members.
inline RoomEventPtr makeRoomEvent(const nlohmann::json& object, int64_t seq, int64_t timeMs,
                                  bool message, std::string kind,
                                  std::optional<int64_t> streamTimeMs) {
  core::JsonMemberIndex members;
  const std::string json = core::dumpJsonIndexed(object, members);
  return makeRoomEvent(json, seq, timeMs, message, std::move(kind), streamTimeMs, members);
}

}  // namespace room
