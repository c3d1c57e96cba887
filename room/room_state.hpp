// RoomState: what a room shows every member about itself (R4, R5): its status
// (driven by the API or by the stream of the same key: publish -> live, publisher
// gone -> paused -> ended after a grace period), the replay recording of status 5,
// and its info (announcement, introduction, attributes). Changes reach members at
// once, never rate-limited. Owned by a Room; loop thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/loop/timer.hpp"
#include "room/room_context.hpp"
#include "room/room_info.hpp"
#include "room/room_members.hpp"

namespace room {

class RoomState {
 public:
  RoomState(RoomContext& ctx, RoomMembers& members);

  const RoomInfo& info() const { return info_; }
  // Status 5 (replay) may name the recording to load (its id, see
  // docs/recording.md): members get it in the status event and the join reply.
  RoomError setStatus(int status, std::string_view reason, const std::string& replay = {});
  // Any of name, faceUrl, maxMembers, announcement, introduction, attributes
  // ({key: value, "" removes});
  // all or nothing.
  RoomError updateInfo(const nlohmann::json& patch);
  // The stream of the same key (R4, when the config lets the stream drive it).
  void streamPublished();
  void streamGone(int64_t endedAfterMs);
  void stop() { endTimer_.stop(); }  // the room is deleted

  // The replay of status 5 as clients load it (null without one).
  nlohmann::json replayJson() const;
  nlohmann::json attributesJson() const;

 private:
  RoomContext& ctx_;
  RoomMembers& members_;
  RoomInfo info_;
  std::string replay_;  // the recording of status 5
  core::Timer endTimer_;
};

}  // namespace room
