// PlaylistEvent: what a PlaylistPlayer's thread tells the loop through the
// PlaylistSet's Mailbox: a packet to publish, an item starting, failing or
// ending, a wait for a start time, the end. Routed by playlist id. A plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "core/packet/media_packet.hpp"

namespace mixer {

struct PlaylistPacket {
  core::MediaPacket packet;  // dts/pts on the playlist's continuous clock
};
struct PlaylistItemStarted {
  size_t index = 0;
  std::string file;
  int64_t outStartMs = 0;  // the item's first dts on the playlist's clock
};
struct PlaylistItemFailed {
  size_t index = 0;
  std::string file;
  std::string reason;
};
struct PlaylistItemEnded {
  size_t index = 0;
};
struct PlaylistWaiting {
  size_t index = 0;
  int64_t untilUnixMs = 0;
};
struct PlaylistEnded {
  std::string reason;
};

struct PlaylistEvent {
  uint64_t id = 0;
  using Body = std::variant<PlaylistPacket, PlaylistItemStarted, PlaylistItemFailed,
                            PlaylistItemEnded, PlaylistWaiting, PlaylistEnded>;
  Body body;
};

}  // namespace mixer
