// SendRequest: a request to send a message into a room, as a transport read it
// from its wire form (a member's WebSocket, /api/v1, the IM REST /v4, a
// WebRTC data channel); SendResult: what became of it, for the transport to put
// in its reply. The MessagePath turns the one into the other. Values; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "room/chat_message.hpp"
#include "room/member.hpp"

namespace room {

struct SendRequest {
  MessageSource source;  // origin, platform, address, operator, Random, callback controls
  Sender from;           // as members will see it (the room sets its role and level)
  // The sender's own connection (a member's WebSocket or data channel): the
  // member policy applies (no guests, mutes, the word filter, no gifts, the
  // before-send hook), and it sees its message even if the rate limit drops it.
  // Null for the HTTP APIs, which speak for a user or for the system.
  Member* connection = nullptr;
  // The message's elements (the IM's MsgBody list), 1..kMaxMessageElements; the
  // first one's type is the message's type. A member's WebSocket sends one.
  std::vector<MessageElement> elements;
  // High, Normal, Low or Lowest as the client named it; none: the type's default.
  std::optional<std::string> priority;
  // A gift the backend billed (POST .../gifts, R7): counted in the room's totals,
  // `giftStreak` clicks merged. Any other gift request is an ordinary message.
  bool billedGift = false;
  bool giftStreak = false;
};

struct SendResult {
  RoomError error;         // code 0: sent (or merged, or dropped by the backend unseen)
  std::string msgId;       // "" when merged
  int64_t timeMs = 0;      // server wall time
  bool merged = false;     // a like or a gift streak's click: sent later within a sum
  int64_t likes = 0;       // after a like: the room's like total
  bool duplicate = false;  // the same Random again: the first one's msgId and time
  size_t rooms = 0;        // a broadcast: how many rooms got it
  bool ok() const { return error.ok(); }
};

}  // namespace room
