#include "room/chat_message.hpp"

namespace room {
namespace {

RoomError bad(std::string message) {
  return {code::kBadParameter, std::move(message)};
}

bool isString(const nlohmann::json& body, const char* key, bool required) {
  auto it = body.find(key);
  if (it == body.end()) return !required;
  return it->is_string();
}

// The fields of each type's body (docs/room-protocol.md); every type may also
// carry "cloudCustomData", the IM's per-message custom string.
struct BodyFields {
  std::string_view type;
  const char* fields[3];  // unused ones are null
};
constexpr const char* kCloudCustomData = "cloudCustomData";
const BodyFields kBodyFields[] = {
    {"text", {"text"}},
    {"system", {"text"}},
    {"custom", {"data", "desc", "ext"}},
    {"image", {"url", "width", "height"}},
    {"voice", {"url", "seconds"}},
    {"gift", {"gift", "count"}},
    {"like", {"count"}},
};

// NOTE: counts are bounded so that totals summed from them cannot overflow.
constexpr int64_t kMaxCount = 1000000;

bool isCount(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return true;
  if (it->is_number_unsigned()) return it->get<uint64_t>() <= static_cast<uint64_t>(kMaxCount);
  return it->is_number_integer() && it->get<int64_t>() >= 0 && it->get<int64_t>() <= kMaxCount;
}

}  // namespace

const char* roleName(MemberRole role) {
  switch (role) {
    case MemberRole::Owner:
      return "owner";
    case MemberRole::Admin:
      return "admin";
    case MemberRole::Member:
      return "member";
    case MemberRole::Guest:
      return "guest";
  }
  return "member";
}

std::optional<MemberRole> parseRole(std::string_view name) {
  if (name == "owner") return MemberRole::Owner;
  if (name == "admin") return MemberRole::Admin;
  if (name == "member") return MemberRole::Member;
  if (name == "guest") return MemberRole::Guest;
  return std::nullopt;
}

nlohmann::json Sender::toJson() const {
  return {
      {"id", id}, {"nick", nick}, {"avatar", avatar}, {"role", roleName(role)}, {"level", level}};
}

const char* priorityName(Priority priority) {
  switch (priority) {
    case Priority::High:
      return "High";
    case Priority::Normal:
      return "Normal";
    case Priority::Low:
      return "Low";
    case Priority::Lowest:
      return "Lowest";
  }
  return "Normal";
}

std::optional<Priority> parsePriority(std::string_view name) {
  if (name == "High") return Priority::High;
  if (name == "Normal") return Priority::Normal;
  if (name == "Low") return Priority::Low;
  if (name == "Lowest") return Priority::Lowest;
  return std::nullopt;
}

bool isMessageType(std::string_view type) {
  for (auto t : kMessageTypes)
    if (t == type) return true;
  return false;
}

Priority defaultPriority(std::string_view type) {
  if (type == "gift" || type == "system") return Priority::High;
  if (type == "like") return Priority::Low;
  return Priority::Normal;
}

RoomError checkMessageBody(std::string_view type, const nlohmann::json& body) {
  if (!body.is_object()) return bad("body must be a JSON object");
  const std::string t(type);
  if (type == "text" || type == "system") {
    if (!isString(body, "text", true)) return bad(t + " body needs a string \"text\"");
    if (body["text"].get_ref<const std::string&>().empty()) return bad(t + " text is empty");
  } else if (type == "custom") {
    if (!isString(body, "data", true) || !isString(body, "desc", false) ||
        !isString(body, "ext", false))
      return bad("custom body needs a string \"data\" (and string \"desc\", \"ext\")");
  } else if (type == "image" || type == "voice") {
    if (!isString(body, "url", true)) return bad(t + " body needs a string \"url\"");
    if (!isCount(body, "width") || !isCount(body, "height") || !isCount(body, "seconds"))
      return bad(t + " width/height/seconds must be non-negative integers");
  } else if (type == "gift") {
    if (!isString(body, "gift", true)) return bad("gift body needs a string \"gift\"");
    if (!isCount(body, "count")) return bad("gift count must be an integer 0..1000000");
  } else if (type == "like") {
    if (!isCount(body, "count")) return bad("like count must be an integer 0..1000000");
  } else {
    return bad("unknown message type \"" + t + "\" (text, custom, image, voice, gift, like)");
  }
  if (!isString(body, kCloudCustomData, false)) return bad("cloudCustomData must be a string");
  return {};
}

RoomError messageBody(std::string_view type, const nlohmann::json& in, nlohmann::json& out) {
  if (RoomError e = checkMessageBody(type, in); !e.ok()) return e;
  nlohmann::json body = nlohmann::json::object();
  for (const BodyFields& spec : kBodyFields) {
    if (spec.type != type) continue;
    for (const char* key : spec.fields)
      if (auto it = key ? in.find(key) : in.end(); it != in.end()) body[key] = *it;
  }
  if (auto it = in.find(kCloudCustomData); it != in.end()) body[kCloudCustomData] = *it;
  // The fields kept are strings and numbers: the dump is flat and short.
  if (const size_t size = core::dumpJson(body).size(); size > kMaxMessageBodyBytes)
    return bad(std::string(type) + " body of " + std::to_string(size) + " bytes: larger than " +
               std::to_string(kMaxMessageBodyBytes) + " bytes as JSON");
  out = std::move(body);
  return {};
}

int64_t msgSeqOf(const std::string& msgId) {
  // NOTE: message ids are "m<run>-<n>", n counting every message of this server:
  // the number is unique and increasing (the member-visible seq is only assigned
  // at delivery, after the rate limit).
  const size_t dash = msgId.rfind('-');
  if (dash == std::string::npos) return 0;
  int64_t n = 0;
  for (size_t i = dash + 1; i < msgId.size(); ++i) {
    if (msgId[i] < '0' || msgId[i] > '9' || n > INT64_MAX / 10 - 9) return 0;
    n = n * 10 + (msgId[i] - '0');
  }
  return n;
}

nlohmann::json elementsJson(const ChatMessage& message) {
  nlohmann::json out = nlohmann::json::array();
  out.push_back({{"type", message.type}, {"body", message.body}});
  for (const auto& e : message.rest) out.push_back({{"type", e.type}, {"body", e.body}});
  return out;
}

const char* originName(Origin origin) {
  switch (origin) {
    case Origin::Room:
      return "room";
    case Origin::WebSocket:
      return "websocket";
    case Origin::ApiV1:
      return "api/v1";
    case Origin::ImRest:
      return "v4";
    case Origin::DataChannel:
      return "datachannel";
  }
  return "room";
}

RoomError checkRoomId(std::string_view id) {
  auto invalid = [&](std::string why) {
    return RoomError{code::kBadRoomId,
                     "invalid room id \"" + std::string(id.substr(0, 64)) + "\": " + why};
  };
  if (id.empty() || id.size() > 48) return invalid("must be 1..48 bytes");
  int segments = 1;
  size_t segmentLength = 0;
  for (char c : id) {
    if (c == '/') {
      if (segmentLength == 0) return invalid("empty segment");
      ++segments;
      segmentLength = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return invalid("only [A-Za-z0-9_.-] and one '/'");
    ++segmentLength;
  }
  if (segments > 2) return invalid("at most two segments (app/name)");
  if (segmentLength == 0) return invalid("empty segment");
  if (id.front() == '.' || id.find("/.") != std::string_view::npos)
    return invalid("segments must not start with '.'");
  return {};
}

}  // namespace room
