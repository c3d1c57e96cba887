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
  room.setEventTap([this, id](const RoomEventPtr& event) { carry(id, event); });
}

namespace {

// The members of one JSON object as spans of its text. Valid JSON in, exact spans
// out; anything else ends next() with failed() set.
class MemberScanner {
 public:
  explicit MemberScanner(std::string_view text) : s_(text) {
    skipSpace();
    if (pos_ >= s_.size() || s_[pos_] != '{') {
      failed_ = true;
      return;
    }
    ++pos_;
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      done_ = true;
    }
  }

  // The next member: `key` is its raw text between the quotes (escapes kept),
  // `value` the value's text. False at the end or on failure.
  bool next(std::string_view& key, std::string_view& value) {
    if (failed_ || done_) return false;
    const size_t keyStart = pos_;
    if (pos_ >= s_.size() || s_[pos_] != '"' || !skipString()) return fail();
    key = s_.substr(keyStart + 1, pos_ - keyStart - 2);
    skipSpace();
    if (pos_ >= s_.size() || s_[pos_] != ':') return fail();
    ++pos_;
    skipSpace();
    const size_t valueStart = pos_;
    if (!skipValue()) return fail();
    value = s_.substr(valueStart, pos_ - valueStart);
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] == ',') {
      ++pos_;
      skipSpace();
    } else if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      done_ = true;
    } else {
      return fail();
    }
    return true;
  }
  // Every member read and nothing but space after the object.
  bool finished() {
    skipSpace();
    return !failed_ && done_ && pos_ == s_.size();
  }

 private:
  static bool space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  bool fail() {
    failed_ = true;
    return false;
  }
  void skipSpace() {
    while (pos_ < s_.size() && space(s_[pos_])) ++pos_;
  }
  bool skipString() {  // at the opening quote
    for (++pos_; pos_ < s_.size(); ++pos_) {
      if (s_[pos_] == '\\') {
        ++pos_;
      } else if (s_[pos_] == '"') {
        ++pos_;
        return true;
      }
    }
    return false;
  }
  bool skipValue() {
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '"') return skipString();
    if (c == '{' || c == '[') {
      int depth = 0;
      while (pos_ < s_.size()) {
        const char d = s_[pos_];
        if (d == '"') {
          if (!skipString()) return false;
          continue;
        }
        ++pos_;
        if (d == '{' || d == '[') ++depth;
        if ((d == '}' || d == ']') && --depth == 0) return true;
      }
      return false;
    }
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '}' && s_[pos_] != ']' &&
           !space(s_[pos_]))
      ++pos_;
    return pos_ > start;
  }

  std::string_view s_;
  size_t pos_ = 0;
  bool failed_ = false;
  bool done_ = false;
};

void appendMember(std::string& out, bool& first, std::string_view key, std::string_view value) {
  if (!first) out += ',';
  first = false;
  out.append(1, '"').append(key).append("\":").append(value);
}

// The sender object without its defaults; false if it cannot be followed.
bool appendCompactSender(std::string_view from, std::string& out) {
  std::string_view key, value, id;
  MemberScanner ids(from);
  while (ids.next(key, value))
    if (key == "id") id = value;
  if (!ids.finished()) return false;
  out += '{';
  bool first = true;
  MemberScanner members(from);
  while (members.next(key, value)) {
    // NOTE: compared as text: the room's one serializer writes equal values alike.
    if ((key == "avatar" && value == R"("")") || (key == "level" && value == "0") ||
        (key == "role" && value == R"("member")") || (key == "nick" && value == id))
      continue;
    appendMember(out, first, key, value);
  }
  out += '}';
  return true;
}

}  // namespace

std::string compactEventJson(std::string_view json) {
  // NOTE: by hand rather than parse, strip and dump: this runs for every carried
  // event, and the parse and dump were most of the sidechannel's own CPU (3.4 of
  // 4.4 us per event in the server). The parsed path is the reference and the
  // fallback.
  std::string out;
  out.reserve(json.size());
  out += '{';
  bool first = true;
  std::string_view key, value;
  MemberScanner members(json);
  while (members.next(key, value)) {
    if (key == "room" || key == "time" || key == "priority") continue;
    if (key == "from" && value.starts_with('{')) {
      const size_t mark = out.size();
      appendMember(out, first, key, "");
      if (appendCompactSender(value, out)) continue;
      out.resize(mark);
      first = mark == 1;
    }
    appendMember(out, first, key, value);
  }
  if (!members.finished()) return compactEventJsonParsed(json);
  out += '}';
  return out;
}

std::string compactEventJsonParsed(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
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

void Sidechannel::carry(const std::string& roomId, const RoomEventPtr& event) {
  if (!event->streamTimeMs || !options_.events.contains(event->kind)) return;
  std::string compact;
  if (options_.compact) compact = compactEventJson(event->json.view());
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
