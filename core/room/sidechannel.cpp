#include "core/room/sidechannel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"
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

void appendKey(std::string& out, Serializer& s, const std::string& key);

bool isString(const nlohmann::json& v, std::string_view text) {
  return v.is_string() && v.get_ref<const std::string&>() == text;
}

// True when the serializer would write `text` as it is between quotes: valid UTF-8
// (RFC 3629: no overlong form, no surrogate, nothing past U+10FFFF) without a
// control character, quote or backslash (it escapes those, and replaces invalid
// bytes).
// Appends `value` as dump() writes it. NOTE: the serializer validates and escapes
// strings byte by byte (~57 instructions a byte, most of carry()'s cost); strings it
// would not change are copied instead, integers written with to_chars, and
// anything else is left to it.
void appendValue(std::string& out, Serializer& s, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: {
      const auto& text = v.get_ref<const std::string&>();
      if (!jsonVerbatim(text)) break;
      out.push_back('"');
      out.append(text);
      out.push_back('"');
      return;
    }
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: {
      char digits[24];
      const auto [end, ec] = v.is_number_unsigned()
                                 ? std::to_chars(digits, digits + sizeof digits, v.get<uint64_t>())
                                 : std::to_chars(digits, digits + sizeof digits, v.get<int64_t>());
      out.append(digits, end);
      return;
    }
    case nlohmann::json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case nlohmann::json::value_t::null:
      out += "null";
      return;
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        appendKey(out, s, it.key());
        appendValue(out, s, it.value());
      }
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ',';
        first = false;
        appendValue(out, s, item);
      }
      out += ']';
      return;
    }
    default:  // floats, binary
      break;
  }
  s.dump(v, false, false, 0);
}

// Appends `"key":`.
void appendKey(std::string& out, Serializer& s, const std::string& key) {
  if (jsonVerbatim(key)) {
    out.push_back('"');
    out.append(key);
    out.append("\":", 2);
  } else {
    s.dump(nlohmann::json(key), false, false, 0);
    out.push_back(':');
  }
}

// The sender without its defaults.
void appendSender(std::string& out, Serializer& s, const nlohmann::json& from) {
  const auto id = from.find("id");
  out += '{';
  bool first = true;
  for (auto it = from.begin(); it != from.end(); ++it) {
    const std::string_view k = it.key();
    const nlohmann::json& v = it.value();
    if ((k == "avatar" && isString(v, "")) || (k == "level" && v.is_number() && v == 0) ||
        (k == "role" && isString(v, "member")) || (k == "nick" && id != from.end() && v == *id))
      continue;
    if (!first) out += ',';
    first = false;
    appendKey(out, s, it.key());
    appendValue(out, s, v);
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
  // `text` and `index`: the event's text and where its members are in it (an
  // index of another size than the object's is not used).
  std::string_view compact(const nlohmann::json& event, std::string_view text = {},
                           const JsonMemberIndex& index = {}) {
    // NOTE: runs for every carried event, right after the room wrote the event's
    // text from the same object: the members kept are copied from that text, the
    // sender is written again without its defaults. No parse and (the buffer and
    // the serializer being reused) no allocation.
    out_.clear();
    if (!event.is_object()) return {};
    const bool indexed = index.count == event.size() && !text.empty();
    out_ += '{';
    bool first = true;
    size_t i = 0;
    for (auto it = event.begin(); it != event.end(); ++it, ++i) {
      const std::string_view k = it.key();  // NOTE: compared by length first
      if (k == "room" || k == "time" || k == "priority") continue;
      if (!first) out_ += ',';
      first = false;
      if (k == "from" && it.value().is_object()) {
        appendKey(out_, serializer_, it.key());
        appendSender(out_, serializer_, it.value());
      } else if (indexed) {
        const auto& span = index.spans[i];
        out_.append(text.substr(span.begin, span.end - span.begin));
      } else {
        appendKey(out_, serializer_, it.key());
        appendValue(out_, serializer_, it.value());
      }
    }
    out_ += '}';
    return out_;
  }

 private:
  std::string out_;  // NOTE: declared before the serializer, which writes into it
  Serializer serializer_;
};

std::string compactEventJson(const nlohmann::json& event) {
  JsonMemberIndex index;
  const std::string text = dumpJsonIndexed(event, index);
  EventCompactor compactor;
  return std::string(compactor.compact(event, text, index));
}

std::string compactEventJsonUnindexed(const nlohmann::json& event) {
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
  if (options_.compact) compact = compactor_->compact(object, event->json.view(), event->members);
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
