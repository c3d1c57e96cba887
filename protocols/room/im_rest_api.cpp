#include "protocols/room/im_rest_api.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <variant>

#include "core/auth/query_string.hpp"
#include "core/format/json_text.hpp"
#include "protocols/room/deferred_answer.hpp"
#include "protocols/room/json_fields.hpp"

namespace room {
namespace {

using nlohmann::json;

const std::string kGroupService = "/v4/group_open_http_svc/";
const std::string kAvChatRoomService = "/v4/group_open_avchatroom_http_svc/";

// The IM's REST-level codes (its public error code list).
constexpr int kHttpParseError = 60002;  // the URL or the request is malformed
constexpr int kJsonParseError = 60003;  // the body is not JSON
constexpr int kBadAccount = 60004;      // identifier or usersig missing
constexpr int kBadAppId = 60006;        // sdkappid is not this app's
constexpr int kNeedsAdmin = 60010;      // the identifier is no app admin
constexpr int kNoAppId = 60012;         // sdkappid missing

constexpr int64_t kMaxU32 = 4294967295LL;  // Random's range; as seconds, the IM's "forever"
constexpr size_t kMaxAccounts = 500;
constexpr size_t kMaxAccountBytes = 32;
constexpr size_t kMaxMsgBodyBytes = 12 * 1024;  // the IM's message size limit
constexpr size_t kMaxMsgElements = 20;

json okReply(json fields = json::object()) {
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

// One call: the request, the server, the calling admin account and the parsed body.
struct Call {
  const http::HttpRequest& req;
  RoomServer& server;
  const std::string& admin;  // the identifier the query authenticated
  const json& body;
};

// Answers a call, now or later (a send waits for the message path).
using Reply = std::function<void(json)>;

// An integer field within [lo, hi]: `fallback` when absent, nullopt when not an
// integer or out of range (never throws, whatever the JSON holds).
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

// "Members_Account": 1..500 user ids.
std::optional<std::vector<std::string>> accounts(const json& body, json& error) {
  auto it = body.find("Members_Account");
  if (it == body.end() || !it->is_array() || it->empty() || it->size() > kMaxAccounts) {
    error = failReply(code::kBadParameter, "Members_Account must be an array of 1..500 accounts");
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

// ---------------------------------------------------------------- MsgBody

struct Mapped {
  std::string type;
  json body;
};

RoomError badBody(std::string why) {
  return {code::kBadParameter, "MsgBody: " + std::move(why)};
}

bool optionalStrings(const json& content, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = content.find(k);
    if (it != content.end() && !it->is_string()) return false;
  }
  return true;
}

// Checks one element; the image's (url, width, height) for a TIMImageElem.
std::optional<RoomError> checkElement(const json& e, size_t i, json* image) {
  const std::string at = "element " + std::to_string(i) + ": ";
  if (!e.is_object()) return badBody(at + "not an object");
  const auto type = textField(e, "MsgType");
  auto content = e.find("MsgContent");
  if (!type || type->empty() || content == e.end() || !content->is_object())
    return badBody(at + "needs a string MsgType and an object MsgContent");
  if (*type == "TIMTextElem") {
    auto text = content->find("Text");
    if (text == content->end() || !text->is_string() || text->get_ref<const std::string&>().empty())
      return badBody(at + "TIMTextElem needs a non-empty string Text");
  } else if (*type == "TIMCustomElem") {
    if (!optionalStrings(*content, {"Data", "Desc", "Ext", "Sound"}))
      return badBody(at + "TIMCustomElem Data, Desc, Ext and Sound must be strings");
  } else if (*type == "TIMFaceElem") {
    if (!intField(*content, "Index", INT32_MIN, INT32_MAX, 0) ||
        !optionalStrings(*content, {"Data"}))
      return badBody(at + "TIMFaceElem needs an integer Index and a string Data");
  } else if (*type == "TIMImageElem") {
    auto infos = content->find("ImageInfoArray");
    if (infos == content->end() || !infos->is_array() || infos->empty())
      return badBody(at + "TIMImageElem needs a non-empty ImageInfoArray");
    const json* best = nullptr;
    for (const auto& info : *infos) {
      if (!info.is_object() || !textField(info, "URL") || textField(info, "URL")->empty() ||
          !intField(info, "Width", 0, INT32_MAX, 0) || !intField(info, "Height", 0, INT32_MAX, 0))
        return badBody(at + "each ImageInfoArray entry needs a URL and integer Width/Height");
      if (!best || info.value("Type", json(0)) == json(1)) best = &info;  // 1: the original
    }
    if (image)
      *image = {{"url", (*best)["URL"]},
                {"width", best->value("Width", json(0))},
                {"height", best->value("Height", json(0))}};
  } else if (*type != "TIMSoundElem" && *type != "TIMLocationElem" && *type != "TIMFileElem" &&
             *type != "TIMVideoFileElem") {
    return badBody(at + "unknown MsgType \"" + type->substr(0, 32) + "\"");
  }
  return std::nullopt;
}

// MsgBody -> one room message: a lone TIMTextElem is "text" {text}, a lone
// TIMCustomElem "custom" {data, desc, ext}, a lone TIMImageElem "image" {url,
// width, height}; anything else one "custom" {data: the MsgBody JSON, desc:
// "TIMMsgBody"}.
std::variant<Mapped, RoomError> mapMsgBody(const json& body) {
  auto msgBody = body.find("MsgBody");
  if (msgBody == body.end() || !msgBody->is_array() || msgBody->empty() ||
      msgBody->size() > kMaxMsgElements)
    return badBody("must be an array of 1..20 elements");
  const std::string raw = core::dumpJson(*msgBody);  // never throws
  if (raw.size() > kMaxMsgBodyBytes) return badBody("larger than 12 KB");
  json image;
  for (size_t i = 0; i < msgBody->size(); ++i)
    if (auto e = checkElement((*msgBody)[i], i, msgBody->size() == 1 ? &image : nullptr)) return *e;
  Mapped m;
  const json& first = (*msgBody)[0];
  const std::string& type = first["MsgType"].get_ref<const std::string&>();
  const json& content = first["MsgContent"];
  if (msgBody->size() == 1 && type == "TIMTextElem") {
    m = {"text", {{"text", content["Text"]}}};
  } else if (msgBody->size() == 1 && type == "TIMCustomElem") {
    m = {"custom", {{"data", content.value("Data", json(""))}}};
    if (content.contains("Desc")) m.body["desc"] = content["Desc"];
    if (content.contains("Ext")) m.body["ext"] = content["Ext"];
  } else if (msgBody->size() == 1 && type == "TIMImageElem") {
    m = {"image", image};
  } else {
    m = {"custom", {{"data", raw}, {"desc", "TIMMsgBody"}}};
  }
  const auto cloud = textField(body, "CloudCustomData");
  if (!cloud) return RoomError{code::kBadParameter, "CloudCustomData must be a string"};
  if (!cloud->empty()) m.body["cloudCustomData"] = *cloud;
  return m;
}

// Where a REST call's message comes from: this call, its admin, its Random.
MessageSource restSource(const Call& c, std::optional<int64_t> random) {
  MessageSource source;
  source.origin = Origin::ImRest;
  source.platform = "RESTAPI";
  source.clientIp = RoomServer::clientIp(c.req.peer);
  source.operatorAccount = c.admin;
  if (random) source.random = static_cast<uint32_t>(*random);
  return source;
}

// ForbidCallbackControl and SendMsgControl (arrays of strings): the callbacks
// this one message skips. Other controls of the IM (NoLastMsg, NoUnread...) are
// about conversations this room type does not keep: accepted, no effect.
RoomError callbackControls(const json& body, MessageSource& source) {
  for (const char* key : {"ForbidCallbackControl", "SendMsgControl"}) {
    auto it = body.find(key);
    if (it == body.end()) continue;
    if (!it->is_array())
      return {code::kBadParameter, std::string(key) + " must be an array of strings"};
    for (const auto& v : *it) {
      if (!v.is_string()) return {code::kBadParameter, std::string(key) + " holds strings"};
      if (v == "ForbidBeforeSendMsgCallback") source.skipBeforeSend = true;
      if (v == "ForbidAfterSendMsgCallback") source.skipAfterSend = true;
    }
  }
  return {};
}

// A REST message as the message path takes it: the sender (From_Account, default
// the system's "administrator"), the priority (MsgPriority, any case; none: the
// type's default) and its source.
std::variant<SendRequest, RoomError> restRequest(const Call& c, Mapped mapped,
                                                 std::optional<int64_t> random) {
  const auto from = textField(c.body, "From_Account");
  if (!from || from->size() > kMaxAccountBytes)
    return RoomError{code::kBadParameter, "From_Account must be an account of <= 32 bytes"};
  SendRequest r;
  if (auto p = c.body.find("MsgPriority"); p != c.body.end()) {
    std::string name = p->is_string() ? p->get<std::string>() : "";
    for (size_t i = 0; i < name.size(); ++i) {  // "high" and "HIGH" are High too
      const auto ch = static_cast<unsigned char>(name[i]);
      name[i] = static_cast<char>(i ? std::tolower(ch) : std::toupper(ch));
    }
    if (!parsePriority(name))
      return RoomError{code::kBadParameter, "MsgPriority must be High, Normal, Low or Lowest"};
    r.priority = name;
  }
  if (from->empty() || *from == "administrator")
    r.from = {"administrator", "system", "", MemberRole::Admin};
  else
    r.from = {*from, *from, "", c.server.isAdmin(*from) ? MemberRole::Admin : MemberRole::Member};
  r.source = restSource(c, random);
  if (RoomError e = callbackControls(c.body, r.source); !e.ok()) return e;
  r.elements.push_back({std::move(mapped.type), std::move(mapped.body)});
  return r;
}

std::optional<int64_t> randomOf(const Call& c, json& error) {
  auto r = intField(c.body, "Random", 0, kMaxU32, std::nullopt);
  if (!r) error = failReply(code::kBadParameter, "Random (an integer 0..4294967295) is required");
  return r;
}

// ---------------------------------------------------------------- commands

void sendGroupMsg(const Call& c, const Reply& reply) {
  json error;
  Room* room = group(c, error);
  if (!room) return reply(error);
  const auto random = randomOf(c, error);
  if (!random) return reply(error);
  auto mapped = mapMsgBody(c.body);
  if (auto* e = std::get_if<RoomError>(&mapped))
    return reply(failReply(MessagePath::refused(*room, *e).error));
  auto request = restRequest(c, std::get<Mapped>(std::move(mapped)), random);
  if (auto* e = std::get_if<RoomError>(&request))
    return reply(failReply(MessagePath::refused(*room, *e).error));
  c.server.messages().send(*room, std::get<SendRequest>(std::move(request)), [reply](SendResult r) {
    if (!r.ok()) return reply(failReply(r.error));
    json fields = {{"MsgTime", r.timeMs / 1000}, {"MsgSeq", msgSeqOf(r.msgId)}};
    if (r.duplicate)
      fields["Duplicate"] = true;
    else
      fields["MsgId"] = r.msgId;
    reply(okReply(std::move(fields)));
  });
}

json sendBroadcastMsg(const Call& c) {
  json error;
  const auto random = randomOf(c, error);
  if (!random) return error;
  auto mapped = mapMsgBody(c.body);
  if (auto* e = std::get_if<RoomError>(&mapped)) return failReply(*e);
  // NOTE: R17: a broadcast is a system announcement: a plain text becomes a
  // "system" message; every broadcast defaults to High.
  if (std::get<Mapped>(mapped).type == "text") std::get<Mapped>(mapped).type = "system";
  auto request = restRequest(c, std::get<Mapped>(std::move(mapped)), random);
  if (auto* e = std::get_if<RoomError>(&request)) return failReply(*e);
  SendRequest& r = std::get<SendRequest>(request);
  if (!r.priority) r.priority = "High";
  const SendResult sent = c.server.messages().broadcast(std::move(r));
  if (!sent.ok()) return failReply(sent.error);
  if (sent.duplicate) return okReply({{"MsgTime", sent.timeMs / 1000}, {"Duplicate", true}});
  return okReply({{"MsgTime", sent.timeMs / 1000}, {"GroupNum", sent.rooms}});
}

void sendSystemNotification(const Call& c, const Reply& reply) {
  json error;
  Room* room = group(c, error);
  if (!room) return reply(error);
  const auto content = textField(c.body, "Content");
  if (!content || content->empty() || content->size() > kMaxMsgBodyBytes)
    return reply(failReply(code::kBadParameter, "Content must be a non-empty string of <= 12 KB"));
  auto to = c.body.find("ToMembers_Account");
  if (to != c.body.end() && (!to->is_array() || !to->empty()))
    return reply(failReply(code::kBadParameter,
                           "an AVChatRoom's system notification goes to every member: "
                           "ToMembers_Account must be empty"));
  SendRequest r;
  r.source = restSource(c, std::nullopt);
  r.from = {"administrator", "system", "", MemberRole::Admin};
  r.elements.push_back({"system", {{"text", *content}}});
  r.priority = "High";
  c.server.messages().send(*room, std::move(r), [reply](SendResult sent) {
    reply(sent.ok() ? okReply() : failReply(sent.error));
  });
}

json forbidSendMsg(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  auto ids = accounts(c.body, error);
  if (!ids) return error;
  const auto secs = intField(c.body, "ShutUpTime", 0, kMaxU32, std::nullopt);
  if (!secs)
    return failReply(code::kBadParameter,
                     "ShutUpTime (seconds 0..4294967295; 0 unmutes) is required");
  for (const auto& id : *ids) room->moderation().mute(id, *secs);
  return okReply();
}

json getGroupShuttedUin(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  const json mutes = room->views().mutes();
  json list = json::array();
  for (const auto& m : mutes["members"])
    list.push_back({{"Member_Account", m["id"]}, {"ShuttedUntil", untilSeconds(m["until"])}});
  return okReply({{"GroupId", room->id()}, {"ShuttedUinList", std::move(list)}});
}

json modifyGroupBaseInfo(const Call& c) {
  json error;
  Room* room = group(c, error);
  if (!room) return error;
  json patch = json::object();
  for (auto [from, to] :
       {std::pair{"Notification", "announcement"}, std::pair{"Introduction", "introduction"}}) {
    if (auto it = c.body.find(from); it != c.body.end()) patch[to] = *it;
  }
  if (auto data = c.body.find("AppDefinedData"); data != c.body.end()) {
    if (!data->is_array())
      return failReply(code::kBadParameter, "AppDefinedData must be an array of {Key, Value}");
    json attrs = json::object();
    for (const auto& kv : *data) {
      if (!kv.is_object() || !textField(kv, "Key") || textField(kv, "Key")->empty() ||
          !kv.contains("Value") || !kv["Value"].is_string())
        return failReply(code::kBadParameter, "each AppDefinedData entry needs string Key, Value");
      attrs[kv["Key"].get<std::string>()] = kv["Value"];
    }
    patch["attributes"] = std::move(attrs);
  }
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

json groupInfo(const Room& room) {
  const json d = room.views().describe();
  json data = json::array();
  for (const auto& [k, v] : d["attributes"].items()) data.push_back({{"Key", k}, {"Value", v}});
  return {{"GroupId", room.id()},
          {"ErrorCode", 0},
          {"ErrorInfo", ""},
          {"Type", "AVChatRoom"},
          {"Name", room.id()},
          {"Introduction", d["introduction"]},
          {"Notification", d["announcement"]},
          {"FaceUrl", ""},
          {"Owner_Account", room.owner()},
          {"CreateTime", d["created"].get<int64_t>() / 1000},
          {"MemberNum", room.online()},
          {"MaxMemberNum", 0},
          {"ShutUpAllMember", room.moderation().mutedAll() ? "On" : "Off"},
          {"ApplyJoinOption", "FreeAccess"},
          {"AppDefinedData", std::move(data)},
          {"MemberList", json::array()}};
}

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
  auto ids = accounts(c.body, error);
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
  auto ids = accounts(c.body, error);
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

// A command answers through `reply`, at once or later (a send waits for the
// message path); most answer at once and are written as json(const Call&).
using Command = std::function<void(const Call&, const Reply&)>;

Command now(json (*command)(const Call&)) {
  return [command](const Call& c, const Reply& reply) { reply(command(c)); };
}

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table = {
      {kGroupService + "send_group_msg", sendGroupMsg},
      {kGroupService + "send_group_system_notification", sendSystemNotification},
      {kGroupService + "send_broadcast_msg", now(sendBroadcastMsg)},
      {kGroupService + "forbid_send_msg", now(forbidSendMsg)},
      {kGroupService + "get_group_shutted_uin", now(getGroupShuttedUin)},
      {kGroupService + "modify_group_base_info", now(modifyGroupBaseInfo)},
      {kGroupService + "get_group_info", now(getGroupInfo)},
      {kGroupService + "get_online_member_num", now(getOnlineMemberNum)},
      {kGroupService + "ban_group_member", now(banGroupMember)},
      {kGroupService + "unban_group_member", now(unbanGroupMember)},
      {kGroupService + "get_group_ban_member", now(getGroupBanMember)},
      {kAvChatRoomService + "get_members", now(getMembers)},
  };
  return table;
}

// The IM's query authentication: sdkappid, an admin identifier and its usersig;
// `admin` gets the identifier.
std::optional<json> authenticate(const http::HttpRequest& req, RoomServer& server,
                                 std::string& admin) {
  const auto query = core::QueryString::parse(req.query);
  if (!query.ok()) return failReply(kHttpParseError, "bad query: " + query.error());
  const std::string* appId = query.find("sdkappid");
  const std::string* id = query.find("identifier");
  const std::string* sig = query.find("usersig");
  if (!appId || appId->empty()) return failReply(kNoAppId, "sdkappid is required in the query");
  if (query.count("sdkappid") > 1 || query.count("identifier") > 1 || query.count("usersig") > 1)
    return failReply(kHttpParseError, "sdkappid, identifier and usersig must appear once");
  if (*appId != std::to_string(server.options().appId))
    return failReply(kBadAppId, "sdkappid " + appId->substr(0, 20) + " is not this server's app");
  if (!id || !sig || id->empty() || sig->empty())
    return failReply(kBadAccount, "identifier and usersig are required in the query");
  if (const std::string* type = query.find("contenttype"); type && *type != "json")
    return failReply(kHttpParseError, "contenttype must be json");
  if (!server.isAdmin(*id))
    return failReply(kNeedsAdmin, id->substr(0, 32) + " is not an app admin account");
  const core::UserSigCheck check = server.verify(*id, *sig);
  if (!check.ok()) return failReply(check.code, "usersig refused: " + check.reason);
  admin = *id;
  return std::nullopt;
}

void handle(const http::HttpRequest& req, RoomServer& server, const Reply& reply) {
  if (req.method != "POST") return reply(failReply(kHttpParseError, "use POST"));
  std::string admin;
  if (auto denied = authenticate(req, server, admin)) return reply(*denied);
  const auto& table = commands();
  auto command = table.find(req.path);
  if (command == table.end())
    return reply(failReply(code::kBadCommand, "unknown command " + req.path.substr(0, 100)));
  const core::JsonRead read = core::readJson(req.body, http::kMaxJsonBodyBytes);
  if (!read.ok()) return reply(failReply(kJsonParseError, "the body is " + read.error));
  if (!read.value.is_object())
    return reply(failReply(code::kBadParameter, "the body must be a JSON object"));
  command->second({req, server, admin, read.value}, reply);
}

}  // namespace

void registerImRestApi(http::HttpServer& http, RoomServer& server) {
  http.route(
      [](const http::HttpRequest& req) {
        return req.path.starts_with(kGroupService) || req.path.starts_with(kAvChatRoomService);
      },
      [&server](const http::HttpRequest& req, http::HttpExchange& exchange) {
        return DeferredAnswer::run(exchange, [&](DeferredAnswer::Answer respond) {
          handle(req, server, [peer = req.peer, path = req.path, respond](json reply) {
            if (reply["ActionStatus"] != "OK")
              spdlog::info("im rest {} {}: {} {}", peer, path, reply["ErrorCode"].dump(),
                           reply["ErrorInfo"].get<std::string>());
            respond(http::HttpResponse::json(200, core::dumpJson(reply) + "\n"));
          });
        });
      });
}

}  // namespace room
