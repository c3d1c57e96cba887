// WebhookHooks: the room's backend hooks (R14, R20) as the seed IM's webhooks, so
// a callback handler written for the IM works unchanged: Group.CallbackBeforeSendMsg
// (0 deliver, a MsgBody in the reply replaces the message; 1 reject -> 10016; 2 drop
// silently; 10100..10200 passed to the sender), Group.CallbackAfterSendMsg,
// Group.CallbackBeforeApplyJoinGroup, Group.CallbackOnMemberStateChange,
// State.StateChange, and stream publish/unpublish in the same style. Before-* hooks
// have a deadline and a fail-open or fail-closed default; the others are queued
// and retried and never delay delivery. Owned by main(); loop thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "protocols/http/webhook_sender.hpp"
#include "room/room_hooks.hpp"

namespace room {

struct WebhookHooksOptions {
  http::WebhookOptions http;  // url, app id, secret, timeout (the before-* deadline)...
  bool failOpen = true;       // a before-* hook that did not answer in time: let it through
  bool beforeSend = true;
  bool beforeJoin = true;
};

// A before-send reply as a verdict (failOpen for a reply that is not usable).
HookVerdict verdictOf(const http::WebhookReply& reply, bool failOpen);

class WebhookHooks : public RoomHooks {
 public:
  WebhookHooks(core::EventLoop& loop, WebhookHooksOptions options);

  bool hasBeforeSend() const override { return options_.beforeSend; }
  bool hasBeforeJoin() const override { return options_.beforeJoin; }
  void beforeSend(const std::string& roomId, const ChatMessage& message,
                  std::function<void(HookVerdict)> done) override;
  void beforeJoin(const std::string& roomId, const Sender& who, const ClientInfo& client,
                  std::function<void(HookVerdict)> done) override;
  void afterSend(const std::string& roomId, const ChatMessage& message, const std::string& msgId,
                 int64_t seq, int64_t timeMs) override;
  void memberChanged(const std::string& roomId, const std::string& user, bool online,
                     const std::string& cause, const ClientInfo& client) override;
  void stateChanged(const std::string& user, const std::string& action, const std::string& reason,
                    const ClientInfo& client) override;
  void streamChanged(const std::string& streamKey, bool published) override;
  // A recording's file was closed (Live.CallbackRecordClose): `info` is the
  // recordings API's JSON of it.
  void recordingClosed(const std::string& streamKey, const nlohmann::json& info);

  const http::WebhookStats& stats() const { return sender_.stats(); }

 private:
  nlohmann::json messageBody(const char* command, const std::string& roomId,
                             const ChatMessage& message);

  WebhookHooksOptions options_;
  http::WebhookSender sender_;
  uint32_t random_ = 0;  // the Random of the room's own messages
};

}  // namespace room
