#include "core/room/sidechannel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
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

void appendKey(std::string& out, Serializer& s, const std::string& key);

bool isString(const nlohmann::json& v, std::string_view text) {
  return v.is_string() && v.get_ref<const std::string&>() == text;
}

// True when the serializer would write `text` as it is between quotes: valid UTF-8
// (RFC 3629: no overlong form, no surrogate, nothing past U+10FFFF) without a
// control character, quote or backslash (it escapes those, and replaces invalid
// bytes).
constexpr auto kPlainAscii = [] {
  std::array<bool, 128> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

bool verbatim(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  auto continuation = [&](size_t n, unsigned char low, unsigned char high) {
    if (static_cast<size_t>(end - p) <= n || p[1] < low || p[1] > high) return false;
    for (size_t i = 2; i <= n; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += n + 1;
    return true;
  };
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if (!kPlainAscii[c]) return false;
      ++p;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!continuation(1, 0x80, 0xBF)) return false;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (!continuation(2, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF)) return false;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (!continuation(3, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF)) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Appends `value` as dump() writes it. NOTE: the serializer validates and escapes
// strings byte by byte (~57 instructions a byte, most of carry()'s cost); strings it
// would not change are copied instead, integers written with to_chars, and
// anything else is left to it.
void appendValue(std::string& out, Serializer& s, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: {
      const auto& text = v.get_ref<const std::string&>();
      if (!verbatim(text)) break;
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
  if (verbatim(key)) {
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
      const std::string_view k = it.key();  // NOTE: compared by length first
      if (k == "room" || k == "time" || k == "priority") continue;
      if (!first) out_ += ',';
      first = false;
      appendKey(out_, serializer_, it.key());
      if (k == "from" && it.value().is_object())
        appendSender(out_, serializer_, it.value());
      else
        appendValue(out_, serializer_, it.value());
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
