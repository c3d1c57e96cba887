// RoomLottery: a room's danmaku lottery (R16): an admin opens one with a keyword,
// a window and a number of winners; members' text messages holding the keyword
// enter; when the window ends the winners are drawn (Lottery), told to everyone as
// a "lottery" event and announced as a High system message. Owned by a Room; loop
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/loop/timer.hpp"
#include "room/lottery.hpp"
#include "room/room_context.hpp"
#include "room/room_members.hpp"

namespace room {

class RoomLottery {
 public:
  // Sends the winners' announcement into the room.
  using Announce = std::function<void(ChatMessage)>;
  RoomLottery(RoomContext& ctx, RoomMembers& members, Announce announce);

  // 10004 if one is running or a parameter is out of range.
  RoomError start(const std::string& keyword, int64_t seconds, size_t winners);
  // A member's text message: enters its sender if it holds the keyword in time.
  void consider(const ChatMessage& message);
  const Lottery* current() const { return lottery_ ? &*lottery_ : nullptr; }
  void stop() { timer_.stop(); }  // the room is deleted

 private:
  void draw();

  RoomContext& ctx_;
  RoomMembers& members_;
  Announce announce_;
  std::optional<Lottery> lottery_;
  core::Timer timer_;
};

}  // namespace room
