// RoomHooks: what a room asks or tells a business backend (R14, R20): before a
// message is delivered and before a member joins (asynchronous verdicts), after a
// message was delivered, and members' and users' state changes. Implemented by
// protocols/room's webhooks (the seed IM's callback shapes); absent = no backend.
// Loop thread; a verdict's `done` runs exactly once and never inside the call.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "room/chat_message.hpp"
#include "room/member.hpp"

namespace room {

struct HookVerdict {
  enum class Action { Deliver, Reject, Drop };
  Action action = Action::Deliver;
  int code = 0;  // for Reject: the sender's error (10016, or the backend's own 10100..10200)
  std::string info;
  // For Deliver: the backend's replacement of the message's elements (checked
  // as a request's are; the message stays as it was if they fail).
  std::optional<std::vector<MessageElement>> elements;
};

class RoomHooks {
 public:
  virtual ~RoomHooks() = default;
  virtual bool hasBeforeSend() const = 0;
  virtual bool hasBeforeJoin() const = 0;
  // The sender's address, platform and the like are in message.source.
  virtual void beforeSend(const std::string& roomId, const ChatMessage& message,
                          std::function<void(HookVerdict)> done) = 0;
  virtual void beforeJoin(const std::string& roomId, const Sender& who, const ClientInfo& client,
                          std::function<void(HookVerdict)> done) = 0;
  // Not called for rate-dropped, rejected or silently dropped messages, nor for
  // those whose source skips it (MessageSource::skipAfterSend).
  virtual void afterSend(const std::string& roomId, const ChatMessage& message,
                         const std::string& msgId, int64_t seq, int64_t timeMs) = 0;
  // A member came online in / left a room: cause Join, Quit, Kicked, LinkClose.
  virtual void memberChanged(const std::string& roomId, const std::string& user, bool online,
                             const std::string& cause, const ClientInfo& client) = 0;
  // A user's connection: action Login / Logout / Disconnect, reason as the IM's.
  virtual void stateChanged(const std::string& user, const std::string& action,
                            const std::string& reason, const ClientInfo& client) = 0;
  virtual void streamChanged(const std::string& streamKey, bool published) = 0;
};

}  // namespace room
