#include <cctype>
#include <variant>

#include "core/format/json_text.hpp"
#include "protocols/room/im_rest_call.hpp"
#include "protocols/room/json_fields.hpp"
#include "protocols/room/msg_body.hpp"

namespace room::imrest {
namespace {

// The elements of the call's MsgBody (every one, in order: msg_body.hpp), the
// first one carrying CloudCustomData.
std::variant<std::vector<MessageElement>, RoomError> mapMsgBody(const json& body) {
  auto msgBody = body.find("MsgBody");
  if (msgBody == body.end())
    return RoomError{code::kBadParameter, "MsgBody must be an array of 1..20 elements"};
  auto elements = elementsOfMsgBody(*msgBody);
  if (auto* e = std::get_if<RoomError>(&elements)) return *e;
  const auto cloud = textField(body, "CloudCustomData");
  if (!cloud) return RoomError{code::kBadParameter, "CloudCustomData must be a string"};
  auto& list = std::get<std::vector<MessageElement>>(elements);
  if (!cloud->empty()) list.front().body["cloudCustomData"] = *cloud;
  return elements;
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
std::variant<SendRequest, RoomError> restRequest(const Call& c,
                                                 std::vector<MessageElement> elements,
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
  r.elements = std::move(elements);
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
  auto request = restRequest(c, std::get<std::vector<MessageElement>>(std::move(mapped)), random);
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
  auto& first = std::get<std::vector<MessageElement>>(mapped).front();
  if (first.type == "text") first.type = "system";
  auto request = restRequest(c, std::get<std::vector<MessageElement>>(std::move(mapped)), random);
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
