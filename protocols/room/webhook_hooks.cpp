#include "protocols/room/webhook_hooks.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "core/format/json_text.hpp"
#include "core/loop/wall_clock.hpp"
#include "protocols/room/msg_body.hpp"

namespace room {
namespace {

using nlohmann::json;

constexpr const char* kRoomType = "AVChatRoom";

}  // namespace

HookVerdict verdictOf(const http::WebhookReply& reply, bool failOpen) {
  using Action = HookVerdict::Action;
  if (!reply.ok) {
    if (failOpen) return {};
    return {Action::Reject, code::kRejected, "the backend did not answer: " + reply.error,
            std::nullopt};
  }
  const int code = reply.errorCode;
  if (code == 0) {
    HookVerdict v;
    // The backend's MsgBody replaces the message's, every element of it.
    if (auto it = reply.body.find("MsgBody"); it != reply.body.end()) {
      auto elements = elementsOfMsgBody(*it);
      if (auto* list = std::get_if<std::vector<MessageElement>>(&elements))
        v.elements = std::move(*list);
    }
    return v;
  }
  if (code == 2) return {Action::Drop, 0, "", std::nullopt};
  if (code >= 10100 && code <= 10200)
    return {Action::Reject, code,
            reply.errorInfo.empty() ? "refused by the backend" : reply.errorInfo, std::nullopt};
  return {Action::Reject, code::kRejected,
          reply.errorInfo.empty() ? "refused by the backend" : reply.errorInfo, std::nullopt};
}

WebhookHooks::WebhookHooks(core::EventLoop& loop, WebhookHooksOptions options)
    : options_(std::move(options)), sender_(loop, options_.http) {
  random_ = std::random_device{}();
}

json WebhookHooks::messageBody(const char* command, const std::string& roomId,
                               const ChatMessage& m) {
  // NOTE: the message path gives every request's message its Random (the REST
  // call's own, or a fresh one), so before- and after-send carry the same; the
  // room's own messages (like sums, gift streaks) get one here.
  const uint32_t random = m.source.random ? *m.source.random : ++random_;
  const std::string& op = m.source.operatorAccount.empty() ? m.from.id : m.source.operatorAccount;
  return {{"CallbackCommand", command},
          {"GroupId", roomId},
          {"Type", kRoomType},
          {"From_Account", m.from.id},
          {"Operator_Account", op},
          {"Random", random},
          {"MsgBody", msgBodyOf(m)},
          {"CloudCustomData", m.body.value("cloudCustomData", std::string())},
          {"EventTime", core::wallClockMs()}};
}

void WebhookHooks::beforeSend(const std::string& roomId, const ChatMessage& message,
                              std::function<void(HookVerdict)> done) {
  json body = messageBody("Group.CallbackBeforeSendMsg", roomId, message);
  sender_.call(
      "Group.CallbackBeforeSendMsg", body, message.source.clientIp,
      [done = std::move(done), failOpen = options_.failOpen](http::WebhookReply reply) {
        done(verdictOf(reply, failOpen));
      },
      message.source.platform);
}

void WebhookHooks::beforeJoin(const std::string& roomId, const Sender& who,
                              const ClientInfo& client, std::function<void(HookVerdict)> done) {
  json body = {{"CallbackCommand", "Group.CallbackBeforeApplyJoinGroup"},
               {"GroupId", roomId},
               {"Type", kRoomType},
               {"Requestor_Account", who.id},
               {"EventTime", core::wallClockMs()}};
  sender_.call(
      "Group.CallbackBeforeApplyJoinGroup", body, client.ip,
      [done = std::move(done), failOpen = options_.failOpen](http::WebhookReply reply) {
        HookVerdict v = verdictOf(reply, failOpen);
        v.elements.reset();
        if (v.action == HookVerdict::Action::Drop)  // no "silently" for joins
          v = {HookVerdict::Action::Reject, code::kRejected, "refused by the backend",
               std::nullopt};
        done(v);
      },
      client.platform);
}

void WebhookHooks::afterSend(const std::string& roomId, const ChatMessage& message,
                             const std::string& msgId, int64_t seq, int64_t timeMs) {
  json body = messageBody("Group.CallbackAfterSendMsg", roomId, message);
  // NOTE: MsgSeq is the message's number as the REST reply gave it (msgSeqOf);
  // members' "seq" (`seq` here) counts deliveries and comes after the rate limit.
  (void)seq;
  body["MsgSeq"] = msgSeqOf(msgId);
  body["MsgTime"] = timeMs / 1000;
  body["MsgId"] = msgId;
  sender_.notify("Group.CallbackAfterSendMsg", std::move(body), message.source.clientIp,
                 message.source.platform);
}

void WebhookHooks::memberChanged(const std::string& roomId, const std::string& user, bool online,
                                 const std::string& cause, const ClientInfo& client) {
  // The IM's causes: Join, Quit, HeartbeatInterrupt; roomcast adds Kicked.
  const std::string eventCause = cause == "LinkClose" ? "HeartbeatInterrupt" : cause;
  sender_.notify("Group.CallbackOnMemberStateChange",
                 {{"CallbackCommand", "Group.CallbackOnMemberStateChange"},
                  {"GroupId", roomId},
                  {"Type", kRoomType},
                  {"EventType", online ? "Online" : "Offline"},
                  {"EventCause", eventCause},
                  {"MemberList", json::array({{{"Member_Account", user}}})},
                  {"EventTime", core::wallClockMs()}},
                 client.ip, client.platform);
}

void WebhookHooks::stateChanged(const std::string& user, const std::string& action,
                                const std::string& reason, const ClientInfo& client) {
  sender_.notify("State.StateChange",
                 {{"CallbackCommand", "State.StateChange"},
                  {"EventTime", core::wallClockMs()},
                  {"Info", {{"Action", action}, {"To_Account", user}, {"Reason", reason}}}},
                 client.ip, client.platform);
}

void WebhookHooks::streamChanged(const std::string& streamKey, bool published) {
  const char* command = published ? "Live.CallbackStreamPublish" : "Live.CallbackStreamUnpublish";
  sender_.notify(command,
                 {{"CallbackCommand", command},
                  {"StreamKey", streamKey},
                  {"GroupId", streamKey},
                  {"EventTime", core::wallClockMs()}},
                 "");
}

void WebhookHooks::recordingClosed(const std::string& streamKey, const nlohmann::json& info) {
  const char* command = "Live.CallbackRecordClose";
  sender_.notify(command,
                 {{"CallbackCommand", command},
                  {"StreamKey", streamKey},
                  {"GroupId", streamKey},
                  {"EventTime", core::wallClockMs()},
                  {"Recording", info}},
                 "");
}

}  // namespace room
