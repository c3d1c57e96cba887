#include <variant>

#include "protocols/room/im_rest_call.hpp"
#include "protocols/room/json_fields.hpp"

namespace room::imrest {
namespace {

// The IM's per-request limits (its REST pages): forbid_send_msg takes 500
// accounts, ban_group_member and unban_group_member 20.
constexpr size_t kMaxMuteAccounts = 500;
constexpr size_t kMaxBanAccounts = 20;

}  // namespace

json forbidSendMsg(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  auto ids = accounts(c.body, error, kMaxMuteAccounts);
  if (!ids) return error;
  const auto secs = intField(c.body, "ShutUpTime", 0, kMaxU32, std::nullopt);
  if (!secs)
    return failReply(code::kBadParameter,
                     "ShutUpTime (seconds 0..4294967295; 0 unmutes) is required");
  for (const auto& id : *ids) room->moderation().mute(id, *secs);
  return okReply();
}

json getGroupMutedAccount(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  const json mutes = room->views().mutes();
  json list = json::array();
  for (const auto& m : mutes["members"])
    list.push_back({{"Member_Account", m["id"]}, {"ShuttedUntil", untilSeconds(m["until"])}});
  return okReply({{"GroupId", room->id()}, {"ShuttedUinList", std::move(list)}});
}

namespace {

// The IM's group profile fields as a room info patch (RoomState::updateInfo):
// Name, FaceUrl, Notification, Introduction, AppDefinedData and the member limit
// (`maxKey`: MaxMemberCount in create_group, MaxMemberNum in modify_group_base_info).
std::variant<json, RoomError> profilePatch(const json& body, const char* maxKey) {
  json patch = json::object();
  for (auto [from, to] :
       {std::pair{"Name", "name"}, std::pair{"FaceUrl", "faceUrl"},
        std::pair{"Notification", "announcement"}, std::pair{"Introduction", "introduction"}}) {
    if (auto it = body.find(from); it != body.end()) patch[to] = *it;
  }
  if (auto it = body.find(maxKey); it != body.end()) {
    const auto max = intField(body, maxKey, 0, RoomInfo::kMaxMembers, 0);
    if (!max)
      return RoomError{code::kBadParameter, std::string(maxKey) + " must be an integer >= 0"};
    patch["maxMembers"] = *max;
  }
  if (auto data = body.find("AppDefinedData"); data != body.end()) {
    if (!data->is_array())
      return RoomError{code::kBadParameter, "AppDefinedData must be an array of {Key, Value}"};
    json attrs = json::object();
    for (const auto& kv : *data) {
      if (!kv.is_object() || !textField(kv, "Key") || textField(kv, "Key")->empty() ||
          !kv.contains("Value") || !kv["Value"].is_string())
        return RoomError{code::kBadParameter, "each AppDefinedData entry needs string Key, Value"};
      attrs[kv["Key"].get<std::string>()] = kv["Value"];
    }
    patch["attributes"] = std::move(attrs);
  }
  return patch;
}

}  // namespace

json modifyGroupBaseInfo(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  auto patched = profilePatch(c.body, "MaxMemberNum");
  if (auto* e = std::get_if<RoomError>(&patched)) return failReply(*e);
  const json& patch = std::get<json>(patched);
  std::optional<bool> muteAll;
  for (const char* key : {"ShutUpAllMember", "MuteAllMember"}) {
    auto it = c.body.find(key);
    if (it == c.body.end()) continue;
    if (*it != "On" && *it != "Off")
      return failReply(code::kBadParameter, std::string(key) + " must be \"On\" or \"Off\"");
    muteAll = *it == "On";
  }
  if (RoomError e = room->state().updateInfo(patch); !e.ok()) return failReply(e);
  if (muteAll) room->moderation().muteAll(*muteAll);
  return okReply();
}

namespace {

json groupInfo(const Room& room) {
  const json d = room.views().describe();
  json data = json::array();
  for (const auto& [k, v] : d["attributes"].items()) data.push_back({{"Key", k}, {"Value", v}});
  return {{"GroupId", room.id()},
          {"ErrorCode", 0},
          {"ErrorInfo", ""},
          {"Type", "AVChatRoom"},
          {"Name", d["name"].get_ref<const std::string&>().empty() ? json(room.id()) : d["name"]},
          {"Introduction", d["introduction"]},
          {"Notification", d["announcement"]},
          {"FaceUrl", d["faceUrl"]},
          {"Owner_Account", room.owner()},
          {"CreateTime", d["created"].get<int64_t>() / 1000},
          {"MemberNum", room.online()},
          {"MaxMemberNum", d["maxMembers"]},
          {"ShutUpAllMember", room.moderation().mutedAll() ? "On" : "Off"},
          {"ApplyJoinOption", "FreeAccess"},
          {"AppDefinedData", std::move(data)},
          {"MemberList", json::array()}};
}

}  // namespace

json getGroupInfo(const Call& c) {
  auto list = c.body.find("GroupIdList");
  if (list == c.body.end() || !list->is_array() || list->empty() || list->size() > 50)
    return failReply(code::kBadParameter, "GroupIdList must be an array of 1..50 group ids");
  json out = json::array();
  for (const auto& id : *list) {
    if (!id.is_string()) return failReply(code::kBadParameter, "GroupIdList holds strings");
    const Room* room = c.server.rooms().find(id.get<std::string>());
    if (room)
      out.push_back(groupInfo(*room));
    else
      out.push_back({{"GroupId", id},
                     {"ErrorCode", code::kNoSuchRoom},
                     {"ErrorInfo", "the group does not exist or was dismissed"}});
  }
  return okReply({{"GroupInfo", std::move(out)}});
}

json getOnlineMemberNum(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  return okReply({{"OnlineMemberNum", room->online()}});
}

json banGroupMember(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  auto ids = accounts(c.body, error, kMaxBanAccounts);
  if (!ids) return error;
  const auto secs = intField(c.body, "Duration", 1, kMaxU32, std::nullopt);
  if (!secs)
    return failReply(code::kBadParameter, "Duration (ban seconds 1..4294967295) is required");
  const auto reason = textField(c.body, "Description", "banned");
  if (!reason || reason->size() > 256)
    return failReply(code::kBadParameter, "Description must be a string of <= 256 bytes");
  for (const auto& id : *ids) room->kick(id, reason->empty() ? "banned" : *reason, *secs);
  return okReply();
}

json unbanGroupMember(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  auto ids = accounts(c.body, error, kMaxBanAccounts);
  if (!ids) return error;
  for (const auto& id : *ids) room->moderation().unban(id);
  return okReply();
}

json getGroupBanMember(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  const auto limit = intField(c.body, "Limit", 1, 100, 100);
  const auto offset = intField(c.body, "Offset", 0, INT32_MAX, 0);
  if (!limit || !offset)
    return failReply(code::kBadParameter, "Limit must be 1..100 and Offset >= 0");
  const json bans = room->views().bans()["members"];
  json list = json::array();
  for (size_t i = static_cast<size_t>(*offset);
       i < bans.size() && list.size() < static_cast<size_t>(*limit); ++i)
    list.push_back(
        {{"Member_Account", bans[i]["id"]}, {"BannedUntil", untilSeconds(bans[i]["until"])}});
  const size_t next = static_cast<size_t>(*offset) + list.size();
  return okReply(
      {{"BannedAccountList", std::move(list)}, {"NextOffset", next < bans.size() ? next : 0}});
}

json getMembers(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  if (!intField(c.body, "Timestamp", 0, INT64_MAX, 0))
    return failReply(code::kBadParameter, "Timestamp must be an integer >= 0");
  const json members = room->views().members(std::nullopt, 1000);
  json list = json::array();
  for (const auto& m : members["members"])
    list.push_back({{"Member_Account", m["id"]},
                    {"JoinTime", m["joined"].get<int64_t>() / 1000},
                    {"NickName", m["nick"]},
                    {"Avatar", m["avatar"]}});
  // Everything is answered at once: NextTimestamp is always 0.
  return okReply(
      {{"MemberList", std::move(list)}, {"NextTimestamp", 0}, {"MemberNum", room->online()}});
}

json createGroup(const Call& c) {
  const auto type = textField(c.body, "Type");
  if (!type || *type != "AVChatRoom")
    return failReply(code::kBadParameter,
                     "Type must be AVChatRoom: a roomcast room is the IM's audio-video group");
  const auto owner = textField(c.body, "Owner_Account");
  const auto name = textField(c.body, "Name");
  if (!owner || owner->size() > kMaxAccountBytes)
    return failReply(code::kBadParameter, "Owner_Account must be an account of <= 32 bytes");
  if (!name || name->empty())
    return failReply(code::kBadParameter, "Name (a string of 1..30 bytes) is required");
  // NOTE: the IM's create_group page: an AVChatRoom's creator cannot add
  // members ("error 10007 will be returned"); members join themselves.
  if (auto list = c.body.find("MemberList"); list != c.body.end() && !list->empty())
    return failReply(code::kNoPermission, "an AVChatRoom has no MemberList: members join");
  auto patched = profilePatch(c.body, "MaxMemberCount");
  if (auto* e = std::get_if<RoomError>(&patched)) return failReply(*e);
  auto custom = textField(c.body, "GroupId");
  if (!custom) return failReply(code::kBadParameter, "GroupId must be a string");
  // NOTE: without a GroupId the IM makes one ("@TGS#..."); a roomcast room id
  // is a stream key ([A-Za-z0-9_.-]), so ours is "g" and 16 hex digits.
  const std::string id = custom->empty() ? c.server.rooms().newRoomId() : *custom;
  RoomError e;
  bool exists = false;
  Room* room = c.server.rooms().create(id, *owner, e, &exists);
  if (!room) return failReply(exists ? code::kRoomExists : e.code, e.message);
  if (RoomError bad = room->state().updateInfo(std::get<json>(patched)); !bad.ok()) {
    c.server.rooms().remove(id);
    return failReply(bad);
  }
  return okReply({{"GroupId", id}});
}

json destroyGroup(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  c.server.rooms().remove(room->id());
  return okReply();
}

}  // namespace room::imrest
