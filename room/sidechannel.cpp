#include "room/sidechannel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <span>

#include "core/format/json_text.hpp"
#include "core/media/room_event_packet.hpp"
#include "core/media/stream_registry.hpp"
#include "room/room.hpp"

namespace room {

void Sidechannel::attach(Room& room) {
  const std::string id = room.id();
  room.members().setStreamClock([this, id]() -> std::optional<int64_t> {
    const core::Stream* stream = streams_.find(id);
    return stream ? stream->clockNowMs() : std::nullopt;
  });
  room.members().setEventTap([this, id](const RoomEventPtr& event, const nlohmann::json& object) {
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
      if (!core::jsonVerbatim(text)) break;
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
  if (core::jsonVerbatim(key)) {
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

// --- The same, read from the event's text (what dumpJson wrote: no whitespace) ---

constexpr size_t kNone = std::string_view::npos;

// NOTE: with the literal's length known, the compiler compares in a few loads
// instead of a call to memcmp (these run for every member of every carried event).
template <size_t N>
bool startsWith(std::string_view s, const char (&prefix)[N]) {
  return s.size() >= N - 1 && std::memcmp(s.data(), prefix, N - 1) == 0;
}
template <size_t N>
bool is(std::string_view s, const char (&literal)[N]) {
  return s.size() == N - 1 && std::memcmp(s.data(), literal, N - 1) == 0;
}

// The end of the JSON string that starts at text[i] (a quote), or kNone if it is
// cut. NOTE: memchr to each quote, then the backslashes before it: an odd run
// escapes it (measured: fewer instructions than a loop over the bytes).
inline size_t skipString(std::string_view text, size_t i) {
  const char* const data = text.data();
  for (size_t q = i + 1;; ++q) {
    const void* found = std::memchr(data + q, '"', text.size() - q);
    if (!found) return kNone;
    q = static_cast<size_t>(static_cast<const char*>(found) - data);
    size_t backslashes = 0;
    while (data[q - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return q + 1;
  }
}

// The end of the JSON value that starts at text[i], or kNone if it is cut.
size_t skipValue(std::string_view text, size_t i) {
  if (i >= text.size()) return kNone;
  const char first = text[i];
  if (first == '"') return skipString(text, i);
  if (first == '{' || first == '[') {
    int depth = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        i = skipString(text, i);
        if (i == kNone) return kNone;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return kNone;
  }
  while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']') ++i;
  return i;
}

// A member of an object's text, as offsets into it: trivially constructed, so an
// array of them costs nothing until filled.
struct TextMember {
  uint32_t begin;   // the key's opening quote
  uint32_t keyEnd;  // after the key's closing quote
  uint32_t end;     // after the value
};

// Splits the text of an object into its members; false if it is not one or has
// more than `out` holds.
bool splitObject(std::string_view text, std::span<TextMember> out, size_t& count) {
  count = 0;
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  if (text.size() == 2) return true;
  size_t i = 1;
  while (true) {
    if (count == out.size() || text[i] != '"') return false;
    const size_t keyEnd = skipString(text, i);
    if (keyEnd == kNone || keyEnd >= text.size() || text[keyEnd] != ':') return false;
    const size_t end = skipValue(text, keyEnd + 1);
    if (end == kNone || end >= text.size() || end == keyEnd + 1) return false;
    out[count++] = {static_cast<uint32_t>(i), static_cast<uint32_t>(keyEnd),
                    static_cast<uint32_t>(end)};
    if (end == text.size() - 1) return true;
    if (text[end] != ',') return false;
    i = end + 1;
  }
}

// Writes the sender's text without its defaults at `o` (room for value.size()
// bytes), as appendSender would; nullptr when the text cannot tell (nick and id
// both other than strings, or a string the serializer replaced bytes in: equal
// texts need not be equal values there), and the object must be used.
char* writeSenderText(char* o, std::string_view value) {
  std::array<TextMember, 16> members;
  size_t n = 0;
  if (!splitObject(value, members, n)) return nullptr;
  auto key = [&value](const TextMember& m) {  // as written: an escaped key is none of ours
    return value.substr(m.begin + 1, m.keyEnd - m.begin - 2);
  };
  auto text = [&value](const TextMember& m) {
    return value.substr(m.keyEnd + 1, m.end - m.keyEnd - 1);
  };
  std::string_view id;
  for (size_t i = 0; i < n; ++i)
    if (is(key(members[i]), "id")) id = text(members[i]);
  *o++ = '{';
  bool first = true;
  for (size_t i = 0; i < n; ++i) {
    const std::string_view k = key(members[i]), v = text(members[i]);
    if ((is(k, "avatar") && is(v, "\"\"")) || (is(k, "role") && is(v, "\"member\"")) ||
        (is(k, "level") && (is(v, "0") || is(v, "0.0") || is(v, "-0.0"))))
      continue;
    if (is(k, "nick") && !id.empty()) {
      const bool nickString = v.front() == '"', idString = id.front() == '"';
      if (!nickString && !idString) return nullptr;
      if (nickString && idString && v == id) {
        if (v.find("\xEF\xBF\xBD") != kNone) return nullptr;  // U+FFFD
        continue;
      }
    }
    if (!first) *o++ = ',';
    first = false;
    const size_t size = members[i].end - members[i].begin;
    std::memcpy(o, value.data() + members[i].begin, size);
    o += size;
  }
  *o++ = '}';
  return o;
}

// Writes the compact text cut from the event's text (see compactEventText) at
// `o`, which has room for text.size() + 2 bytes; returns its end, or nullptr when
// the text cannot tell.
char* cutCompactText(char* o, std::string_view text, const core::JsonMemberIndex& index) {
  if (index.count == 0 && text != "{}") return nullptr;
  *o++ = '{';
  bool first = true;
  for (size_t i = 0; i < index.count; ++i) {
    const auto& span = index.spans[i];
    const std::string_view member = text.substr(span.begin, span.end - span.begin);
    if (startsWith(member, "\"room\":") || startsWith(member, "\"time\":") ||
        startsWith(member, "\"priority\":"))
      continue;
    if (!first) *o++ = ',';
    first = false;
    if (startsWith(member, "\"from\":{")) {
      std::memcpy(o, member.data(), 7);
      o = writeSenderText(o + 7, member.substr(7));
      if (!o) return nullptr;
      continue;
    }
    std::memcpy(o, member.data(), member.size());
    o += member.size();
  }
  *o++ = '}';
  return o;
}

}  // namespace

class EventCompactor {
 public:
  EventCompactor()
      : serializer_(nlohmann::detail::output_adapter<char>(out_), ' ',
                    nlohmann::json::error_handler_t::replace) {
    out_.reserve(512);
  }

  // The RoomEvent packet of `event` with its compact text (its text as it is if it
  // is not an object); nullopt if that is too large for a tag. `text` and `index`
  // (dumpJsonIndexed's) as the room wrote them.
  // NOTE: runs for every carried event, right after the room wrote the event's
  // text from the same object: the compact text is cut from that text (members
  // found by the index, the sender's by a scan of its value) straight into the
  // packet's payload, after room for its AMF0 head; no walk of the object, no
  // serializer. The object is used only for a sender the text cannot decide on.
  std::optional<core::MediaPacket> packet(const nlohmann::json& event, std::string_view text,
                                          const core::JsonMemberIndex& index, int64_t dts) {
    if (!event.is_object()) return core::makeRoomEventPacket(text, dts);
    if (index.count == event.size() && !text.empty()) {
      std::vector<uint8_t> bytes(core::kRoomEventTextOffset + text.size() + 2);
      char* const at = reinterpret_cast<char*>(bytes.data() + core::kRoomEventTextOffset);
      if (char* end = cutCompactText(at, text, index)) {
        bytes.resize(core::kRoomEventTextOffset + static_cast<size_t>(end - at));
        return core::makeRoomEventPacketAround(std::move(bytes), dts);
      }
    }
    return core::makeRoomEventPacket(compactUnindexed(event), dts);
  }

  // The compact text of an object, written from it member by member; valid until
  // the next call.
  std::string_view compactUnindexed(const nlohmann::json& event) {
    out_.clear();
    out_ += '{';
    bool first = true;
    for (auto it = event.begin(); it != event.end(); ++it) {
      const std::string_view k = it.key();
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
  if (!event.is_object()) return {};
  core::JsonMemberIndex index;
  const std::string text = core::dumpJsonIndexed(event, index);
  EventCompactor compactor;
  const auto packet = compactor.packet(event, text, index, 0);
  return packet ? core::roomEventText(*packet).value_or("") : "";
}

std::optional<std::string> compactEventText(std::string_view text,
                                            const core::JsonMemberIndex& index) {
  std::string out(text.size() + 2, '\0');
  char* end = cutCompactText(out.data(), text, index);
  if (!end) return std::nullopt;
  out.resize(static_cast<size_t>(end - out.data()));
  return out;
}

std::string compactEventJsonUnindexed(const nlohmann::json& event) {
  if (!event.is_object()) return {};
  EventCompactor compactor;
  return std::string(compactor.compactUnindexed(event));
}

Sidechannel::Sidechannel(core::StreamRegistry& streams, SidechannelOptions options)
    : streams_(streams),
      options_(std::move(options)),
      compactor_(std::make_unique<EventCompactor>()) {}

Sidechannel::~Sidechannel() = default;

void Sidechannel::carry(const std::string& roomId, const RoomEventPtr& event,
                        const nlohmann::json& object) {
  if (!event->streamTimeMs || !options_.events.contains(event->kind)) return;
  const std::string_view text = event->json.view();
  auto packet = options_.compact
                    ? compactor_->packet(object, text, event->members, *event->streamTimeMs)
                    : core::makeRoomEventPacket(text, *event->streamTimeMs);
  if (!packet) {
    ++counters_.refused;
    spdlog::warn(
        "room {}: {} event seq {} is {} bytes, over the {} an onTextData tag holds: not "
        "carried in the media (members still get it)",
        roomId, event->kind, event->seq, event->json.size(), core::kMaxRoomEventTextBytes);
    return;
  }
  std::string sei;
  if (options_.sei)
    if (auto carried = core::roomEventJson(*packet)) sei = std::string(carried->view());
  if (streams_.injectData(roomId, std::move(*packet), event->kind == "status")) {
    ++counters_.carried;
    event->markCarriedInMedia();
  }
  if (options_.sei) streams_.queueSei(roomId, std::move(sei));
}

}  // namespace room
