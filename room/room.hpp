// Room: one live chat room (an "AVChatRoom", R3), the composition of its parts:
// members and fan-out (RoomMembers), status and info (RoomState), delivery
// through the rate limit with history (RoomDelivery), moderation
// (RoomModeration), engagement (RoomEngagement, RoomLottery), the before-send
// hook gate (RoomHookGate) and the JSON views (RoomViews). It does what takes
// several parts (join, leave, kick, dismiss) and runs the one tick they share.
// What a request may send is the MessagePath's to decide, before accept().
// Owned by the RoomRegistry; loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/loop/timer.hpp"
#include "room/member.hpp"
#include "room/room_context.hpp"
#include "room/room_delivery.hpp"
#include "room/room_engagement.hpp"
#include "room/room_hook_gate.hpp"
#include "room/room_lottery.hpp"
#include "room/room_members.hpp"
#include "room/room_moderation.hpp"
#include "room/room_state.hpp"
#include "room/room_views.hpp"

namespace room {

class Room {
 public:
  // `nextMessageId` gives server-unique message ids.
  Room(core::EventLoop& loop, std::string id, std::string owner, RoomOptions options,
       std::function<std::string()> nextMessageId);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& id() const { return ctx_.id; }
  const std::string& owner() const { return ctx_.owner; }
  const RoomOptions& options() const { return ctx_.options; }
  const RoomCounters& counters() const { return ctx_.counters; }
  RoomCounters& counters() { return ctx_.counters; }
  int64_t createdMs() const { return ctx_.createdMs; }
  int64_t nowMs() const { return ctx_.nowMs(); }  // loop time
  size_t online() const { return members_.size(); }
  // 10014 when the room's maxMembers (0: none) are online.
  RoomError checkCapacity() const;
  MemberRole roleOf(const Sender& who) const { return ctx_.roleOf(who); }
  std::string nextMessageId() { return ctx_.nextMessageId(); }  // server-unique
  // The backend's hooks (not owned; may be null).
  void setHooks(RoomHooks* hooks) { ctx_.hooks = hooks; }
  RoomHooks* hooks() const { return ctx_.hooks; }

  // The parts.
  RoomMembers& members() { return members_; }
  const RoomMembers& members() const { return members_; }
  RoomState& state() { return state_; }
  const RoomState& state() const { return state_; }
  RoomDelivery& delivery() { return delivery_; }
  const RoomDelivery& delivery() const { return delivery_; }
  RoomModeration& moderation() { return moderation_; }
  const RoomModeration& moderation() const { return moderation_; }
  RoomEngagement& engagement() { return engagement_; }
  const RoomEngagement& engagement() const { return engagement_; }
  RoomLottery& lottery() { return lottery_; }
  const RoomLottery& lottery() const { return lottery_; }
  RoomHookGate& gate() { return gate_; }
  RoomViews views() const { return RoomViews(*this); }

  // Adds `member` and returns the join reply's fields (RoomViews::joinReply).
  // Joining twice only replies.
  nlohmann::json join(Member& member);
  // `cause` for the backend's member-state hook: Quit, LinkClose, Kicked.
  void leave(Member& member, const char* cause = "Quit");

  // A message that may be sent, into the rate limit. A member's (`fromMember`;
  // `senderToken` its connection, 0 if it left) enters a running lottery and
  // counts toward its level; that connection sees it even if the limit drops it.
  Accepted accept(ChatMessage message, uint64_t senderToken, bool fromMember);
  // The same from `sender`'s connection (null: from the server).
  Accepted send(Member* sender, ChatMessage message) {
    return accept(std::move(message), members_.tokenOf(sender), sender != nullptr);
  }
  // A gift the backend billed (RoomEngagement::gift); a merged click has no msgId.
  Accepted gift(const Sender& from, const std::string& gift, int64_t count, bool streak);

  // Removes every connection of `user` (they get a "kicked" event) and bans it
  // for `banSeconds` (0: forever). Returns how many connections were removed.
  size_t kick(const std::string& user, const std::string& reason, int64_t banSeconds);

  // The room is deleted: every member is told and removed, every message waiting
  // for the backend is released without a verdict.
  void dismiss();

 private:
  void onTick();
  void schedule(int64_t dueMs);

  RoomContext ctx_;
  RoomMembers members_;
  RoomState state_;
  RoomEngagement engagement_;
  RoomDelivery delivery_;
  RoomModeration moderation_;
  RoomLottery lottery_;
  RoomHookGate gate_;
  core::Timer tick_;
  int64_t tickDueMs_ = -1;
};

}  // namespace room
