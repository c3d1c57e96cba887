#include <cctype>
#include <variant>

#include "core/format/json_text.hpp"
#include "protocols/room/im_rest_call.hpp"
#include "protocols/room/json_fields.hpp"

namespace room::imrest {
namespace {

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

}  // namespace

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

}  // namespace room::imrest
