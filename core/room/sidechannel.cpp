#include "core/room/sidechannel.hpp"

#include <spdlog/spdlog.h>

#include "core/media/room_event_packet.hpp"
#include "core/media/stream_registry.hpp"
#include "core/room/room.hpp"

namespace core {

Sidechannel::Sidechannel(StreamRegistry& streams, SidechannelOptions options)
    : streams_(streams), options_(std::move(options)) {}

void Sidechannel::attach(Room& room) {
  const std::string id = room.id();
  room.setStreamClock([this, id]() -> std::optional<int64_t> {
    const Stream* stream = streams_.find(id);
    return stream ? stream->clockNowMs() : std::nullopt;
  });
  room.setEventTap([this, id](const RoomEventPtr& event) { carry(id, event); });
}

void Sidechannel::carry(const std::string& roomId, const RoomEventPtr& event) {
  if (!event->streamTimeMs || !options_.events.contains(event->kind)) return;
  auto packet = makeRoomEventPacket(event->json.view(), *event->streamTimeMs);
  if (!packet) {
    ++counters_.refused;
    spdlog::warn(
        "room {}: {} event seq {} is {} bytes, over the {} an onTextData tag holds: not "
        "carried in the media (members still get it)",
        roomId, event->kind, event->seq, event->json.size(), kMaxRoomEventTextBytes);
    return;
  }
  if (streams_.injectData(roomId, std::move(*packet), event->kind == "status")) ++counters_.carried;
}

}  // namespace core
