// Sidechannel: ties each room to the stream of the same key (S1). Every room event
// is stamped with the stream clock while the stream is live, and the kinds the
// config names ride inside the media as RoomEvent Data packets (the status as the
// stream's sticky one), which each output carries in its own form. Owned by
// main(); loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "room/room_event.hpp"

namespace core {
class StreamRegistry;
}

namespace room {

class Room;

struct SidechannelOptions {
  // Kinds carried inside the media: a message's msgType ("text", "gift", "like",
  // ...) or an event name ("status", "info", ...). Empty: nothing is.
  std::set<std::string> events{"text", "gift", "like", "status"};
  // The media copies leave out what a player does not need to place and draw an
  // event (see compactEventJson): a few % of a 2.5 Mbit/s stream at 40 events/s.
  bool compact = true;
  // Also as H.264 SEI user_data_unregistered in the next video frame (off by
  // default: some hardware decoders choke on private SEI).
  bool sei = false;
};

// The event's JSON without "room" (the stream's own), "time" (wall clock; the media
// has streamTime) and "priority", and with its sender's defaults left out (avatar
// "", level 0, role "member", a nick equal to the id): the text the sidechannel
// carries (the event's text cut with compactEventText, or written from the object
// where that cannot tell). "" if it is not an object.
std::string compactEventJson(const nlohmann::json& event);
// The same, always written member by member from the object (the sidechannel's
// way for an event whose text cannot tell).
std::string compactEventJsonUnindexed(const nlohmann::json& event);
// The same, cut from the event's text and its member index alone (what the
// sidechannel does for each event): nullopt when the text cannot tell (a sender
// whose nick and id are neither strings, or hold bytes the serializer replaced; an
// index that does not cover the object), and the object must be used.
std::optional<std::string> compactEventText(std::string_view text,
                                            const core::JsonMemberIndex& index);

// Builds the RoomEvent packets of compact events, reusing one buffer and one
// serializer.
class EventCompactor;

struct SidechannelCounters {
  uint64_t carried = 0;  // events handed to a live stream
  uint64_t refused = 0;  // too large for one tag
};

class Sidechannel {
 public:
  Sidechannel(core::StreamRegistry& streams, SidechannelOptions options);
  ~Sidechannel();

  // Gives `room` the clock of its stream and its event tap.
  void attach(Room& room);
  const SidechannelCounters& counters() const { return counters_; }
  const SidechannelOptions& options() const { return options_; }

 private:
  void carry(const std::string& roomId, const RoomEventPtr& event, const nlohmann::json& object);

  core::StreamRegistry& streams_;
  SidechannelOptions options_;
  SidechannelCounters counters_;
  std::unique_ptr<EventCompactor> compactor_;
};

}  // namespace room
