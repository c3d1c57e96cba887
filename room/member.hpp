// Member: one client in a room, whatever carries it (a WebSocket or a WebRTC
// data channel). The room calls deliver() for every event; the member owns
// buffering and may drop itself if it falls too far behind (never slowing the
// room). Implemented by the protocol sessions; loop thread.
#pragma once

#include <string>
#include <string_view>

#include "room/chat_message.hpp"
#include "room/room_event.hpp"

namespace room {

// Where a client connects from, as the backend's callbacks tell it (the IM's
// ClientIP and OptPlatform: Web, Android, iOS, Windows, Mac, iPad, Unknown...).
struct ClientInfo {
  std::string platform;
  std::string ip;
};

class Member {
 public:
  virtual ~Member() = default;
  // The sender as others see it; MemberRole is the global role (Admin, Member or
  // Guest); a room makes its owner Owner.
  virtual const Sender& identity() const = 0;
  virtual void deliver(const RoomEventPtr& event) = 0;
  // The client's platform and address ("" when unknown).
  virtual ClientInfo client() const { return {}; }
  // The room removed this member (deleted room); `event` tells the client.
  virtual void removedFrom(const std::string& roomId, const RoomEventPtr& event) = 0;
};

}  // namespace room
