#include "core/room/sidechannel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/media/room_event_packet.hpp"
#include "core/media/stream_registry.hpp"
#include "core/room/room.hpp"

namespace core {

void Sidechannel::attach(Room& room) {
  const std::string id = room.id();
  room.setStreamClock([this, id]() -> std::optional<int64_t> {
    const Stream* stream = streams_.find(id);
    return stream ? stream->clockNowMs() : std::nullopt;
  });
  room.setEventTap([this, id](const RoomEventPtr& event, const nlohmann::json& object) {
    carry(id, event, object);
  });
}

namespace {

// NOTE: nlohmann's own serializer (a detail class, stable in Debian 12's 3.11.2) so
// each member's value is written straight into the output, as dump() would.
using Serializer = nlohmann::detail::serializer<nlohmann::json>;

bool isString(const nlohmann::json& v, std::string_view text) {
  return v.is_string() && v.get_ref<const std::string&>() == text;
}

// Appends `"key":` (the room's keys need no escaping; any other key goes through
// the serializer).
void appendKey(std::string& out, Serializer& s, const std::string& key) {
  const bool plain = std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
  });
  if (plain)
    out.append(1, '"').append(key).append(1, '"');
  else
    s.dump(nlohmann::json(key), false, false, 0);
  out += ':';
}

// The sender without its defaults.
void appendSender(std::string& out, Serializer& s, const nlohmann::json& from) {
  const auto id = from.find("id");
  out += '{';
  bool first = true;
  for (auto it = from.begin(); it != from.end(); ++it) {
    const std::string& k = it.key();
    const nlohmann::json& v = it.value();
    if ((k == "avatar" && isString(v, "")) || (k == "level" && v.is_number() && v == 0) ||
        (k == "role" && isString(v, "member")) || (k == "nick" && id != from.end() && v == *id))
      continue;
    if (!first) out += ',';
    first = false;
    appendKey(out, s, k);
    s.dump(v, false, false, 0);
  }
  out += '}';
}

}  // namespace

class EventCompactor {
 public:
  EventCompactor()
      : serializer_(nlohmann::detail::output_adapter<char>(out_), ' ',
                    nlohmann::json::error_handler_t::replace) {
    out_.reserve(512);
  }

  // The compact text of `event`, valid until the next call ("" if not an object).
  std::string_view compact(const nlohmann::json& event) {
    // NOTE: written member by member from the room's own object, right after the
    // room wrote its full text from it: no parse, no copy, no erase, and (the
    // buffer and the serializer being reused) no allocation. This runs for every
    // carried event.
    out_.clear();
    if (!event.is_object()) return {};
    out_ += '{';
    bool first = true;
    for (auto it = event.begin(); it != event.end(); ++it) {
      const std::string& k = it.key();
      if (k == "room" || k == "time" || k == "priority") continue;
      if (!first) out_ += ',';
      first = false;
      appendKey(out_, serializer_, k);
      if (k == "from" && it.value().is_object())
        appendSender(out_, serializer_, it.value());
      else
        serializer_.dump(it.value(), false, false, 0);
    }
    out_ += '}';
    return out_;
  }

 private:
  std::string out_;  // NOTE: declared before the serializer, which writes into it
  Serializer serializer_;
};

std::string compactEventJson(const nlohmann::json& event) {
  EventCompactor compactor;
  return std::string(compactor.compact(event));
}

Sidechannel::Sidechannel(StreamRegistry& streams, SidechannelOptions options)
    : streams_(streams),
      options_(std::move(options)),
      compactor_(std::make_unique<EventCompactor>()) {}

Sidechannel::~Sidechannel() = default;

void Sidechannel::carry(const std::string& roomId, const RoomEventPtr& event,
                        const nlohmann::json& object) {
  if (!event->streamTimeMs || !options_.events.contains(event->kind)) return;
  std::string_view compact;
  if (options_.compact) compact = compactor_->compact(object);
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
    streams_.queueSei(roomId, std::string(compact.empty() ? event->json.view() : compact));
}

}  // namespace core
