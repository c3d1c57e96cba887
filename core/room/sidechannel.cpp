#include "core/room/sidechannel.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

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
  room.setEventTap(
      [this, id](const RoomEventPtr& event, nlohmann::json& object) { carry(id, event, object); });
}

std::string compactEventJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  return compactEventJson(j);
}

std::string compactEventJson(nlohmann::json& j) {
  if (!j.is_object()) return {};
  j.erase("room");
  j.erase("time");
  j.erase("priority");
  if (auto from = j.find("from"); from != j.end() && from->is_object()) {
    auto drop = [&](const char* key, const nlohmann::json& value) {
      if (auto it = from->find(key); it != from->end() && *it == value) from->erase(it);
    };
    drop("avatar", "");
    drop("level", 0);
    drop("role", "member");
    if (auto id = from->find("id"); id != from->end()) drop("nick", *id);
  }
  return dumpJson(j);
}

void Sidechannel::carry(const std::string& roomId, const RoomEventPtr& event,
                        nlohmann::json& object) {
  if (!event->streamTimeMs || !options_.events.contains(event->kind)) return;
  std::string compact;
  if (options_.compact) compact = compactEventJson(object);
  auto packet =
      makeRoomEventPacket(compact.empty() ? event->json.view() : compact, *event->streamTimeMs);
  if (!packet) {
    ++counters_.refused;
    spdlog::warn(
        "room {}: {} event seq {} is {} bytes, over the {} an onTextData tag holds: not "
        "carried in the media (members still get it)",
        roomId, event->kind, event->seq, event->json.size(), kMaxRoomEventTextBytes);
    return;
  }
  if (streams_.injectData(roomId, std::move(*packet), event->kind == "status")) ++counters_.carried;
  if (options_.sei)
    streams_.queueSei(roomId, compact.empty() ? std::string(event->json.view()) : compact);
}

}  // namespace core
