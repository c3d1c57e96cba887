#include "protocols/room/im_rest_call.hpp"

#include "protocols/room/json_fields.hpp"

namespace room::imrest {

json okReply(json fields) {
  json out = {{"ActionStatus", "OK"}, {"ErrorCode", 0}, {"ErrorInfo", ""}};
  for (auto& [k, v] : fields.items()) out[k] = std::move(v);
  return out;
}

json failReply(int errorCode, const std::string& info) {
  return {{"ActionStatus", "FAIL"}, {"ErrorCode", errorCode}, {"ErrorInfo", info}};
}

json failReply(const RoomError& e) {
  return failReply(e.code, e.message);
}

std::optional<int64_t> intField(const json& j, const char* key, int64_t lo, int64_t hi,
                                std::optional<int64_t> fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(hi)) return std::nullopt;
    const auto s = static_cast<int64_t>(v);
    return s < lo ? std::nullopt : std::optional<int64_t>(s);
  }
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

// The room of "GroupId"; nullptr and `error` set (10004 missing, 10010 unknown).
Room* group(const Call& c, json& error) {
  auto id = c.body.find("GroupId");
  if (id == c.body.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    error = failReply(code::kBadParameter, "GroupId (a string) is required");
    return nullptr;
  }
  Room* room = c.server.rooms().find(id->get<std::string>());
  if (!room)
    error = failReply(code::kNoSuchRoom, "group " + id->get<std::string>().substr(0, 64) +
                                             " does not exist or was dismissed");
  return room;
}

std::optional<std::vector<std::string>> accounts(const json& body, json& error, size_t max) {
  auto it = body.find("Members_Account");
  if (it == body.end() || !it->is_array() || it->empty() || it->size() > max) {
    error = failReply(code::kBadParameter, "Members_Account must be an array of 1.." +
                                               std::to_string(max) + " accounts");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > kMaxAccountBytes) {
      error = failReply(code::kBadParameter, "each Members_Account entry must be 1..32 bytes");
      return std::nullopt;
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Wall-clock ms (or null: forever) to the IM's unix seconds (4294967295: forever).
int64_t untilSeconds(const json& until) {
  if (!until.is_number_integer()) return kMaxU32;
  return (until.get<int64_t>() + 999) / 1000;
}

}  // namespace room::imrest
