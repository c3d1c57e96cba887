// MessagePath: the one place where a request to send (a SendRequest from any
// transport: a member's WebSocket, /api/v1, the IM REST /v4, a WebRTC data
// channel) becomes a room message, with the send policy applied in one order:
// who may send (no guests, no muted members), what (type, priority, the body's
// documented fields: messageBody), the word filter, gifts and likes, duplicate
// Randoms, the backend's before-send hook (asynchronous, in submission order
// through the room's RoomHookGate), then the room's rate limit, history and
// after-send hook (RoomDelivery). Transports only translate their wire form into
// a SendRequest and the SendResult into their reply. Owned by main(); outlives
// the rooms; loop thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "room/random_window.hpp"
#include "room/room.hpp"
#include "room/room_registry.hpp"
#include "room/send_request.hpp"
#include "room/word_filter.hpp"

namespace room {

struct MessagePathOptions {
  bool filterRejects = false;  // the word filter rejects (10016) instead of masking
};

class MessagePath {
 public:
  using Done = std::function<void(SendResult)>;

  MessagePath(core::EventLoop& loop, RoomRegistry& rooms, MessagePathOptions options);

  // The built-in word filter (R14) on members' text; replaced whole on reload.
  void setWordFilter(std::shared_ptr<const WordFilter> filter) { filter_ = std::move(filter); }
  const WordFilter* wordFilter() const { return filter_.get(); }

  // Sends `request` into `room`. `done` runs exactly once: at once, or when the
  // backend's before-send verdict comes (then never inside send()); a refusal
  // is counted in the room's counters.
  void send(Room& room, SendRequest request, Done done);
  // The same message to every room (R17): the APIs' announcements, with no
  // member policy and no hooks.
  SendResult broadcast(SendRequest request);
  // A request its transport could not read: refused like the path refuses one
  // (counted in `room`).
  static SendResult refused(Room& room, RoomError error);

 private:
  // The checks and the message of a request, before any state changes (but the
  // word filter's count).
  std::variant<ChatMessage, RoomError> admit(Room& room, const SendRequest& request) const;
  std::variant<ChatMessage, RoomError> compose(const SendRequest& request) const;
  // Sets `message`'s type, body and rest from checked `elements` (all or nothing).
  static RoomError setElements(ChatMessage& message, const std::vector<MessageElement>& elements);
  RoomError filterWords(Room& room, ChatMessage& message) const;
  // Likes and billed gifts: counted by the room's engagement, maybe merged.
  SendResult engage(Room& room, const SendRequest& request, const ChatMessage& message);
  void submit(Room& room, uint64_t senderToken, bool fromMember, ChatMessage message, Done done);
  static SendResult release(Room& room, std::optional<HookVerdict> verdict, uint64_t senderToken,
                            bool fromMember, ChatMessage message);
  // The duplicate-detection key of a request with a Random ("" without one).
  static std::string randomKey(const std::string& scope, const SendRequest& request);

  core::EventLoop& loop_;
  RoomRegistry& rooms_;
  MessagePathOptions options_;
  std::shared_ptr<const WordFilter> filter_;
  RandomWindow randoms_;
  uint32_t nextRandom_;  // the Random of a message whose request had none
};

}  // namespace room
