#include "room/room.hpp"

#include <algorithm>

#include "core/format/json_text.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"

namespace room {

Room::Room(core::EventLoop& loop, std::string id, std::string owner, RoomOptions options,
           std::function<std::string()> nextMessageId)
    : ctx_{loop,
           std::move(id),
           std::move(owner),
           options,
           std::move(nextMessageId),
           [this](int64_t dueMs) { schedule(dueMs); },
           nullptr,
           {},
           core::wallClockMs()},
      members_(ctx_),
      state_(ctx_, members_),
      engagement_(ctx_, members_),
      delivery_(ctx_, members_, engagement_),
      moderation_(ctx_, members_),
      lottery_(ctx_, members_, [this](ChatMessage m) { send(nullptr, std::move(m)); }),
      gate_(ctx_),
      tick_(loop, [this] { onTick(); }) {}

Room::~Room() = default;

RoomError Room::checkCapacity() const {
  const int64_t max = state_.info().maxMembers();
  if (max > 0 && online() >= static_cast<size_t>(max))
    return {code::kRoomFull, "room " + ctx_.id + " is full (" + std::to_string(max) + " online)"};
  return {};
}

nlohmann::json Room::join(Member& member) {
  if (!members_.has(member)) {
    Sender who = member.identity();
    who.role = roleOf(who);
    who.level = engagement_.levelOf(who.id);
    engagement_.connected(who);
    members_.add(member, std::move(who));
    schedule(ctx_.nowMs());  // the online count, after the reply
    if (ctx_.hooks && member.identity().role != MemberRole::Guest)
      ctx_.hooks->memberChanged(ctx_.id, member.identity().id, true, "Join", member.client());
  }
  return views().joinReply(member);
}

void Room::leave(Member& member, const char* cause) {
  if (!members_.has(member)) return;
  if (ctx_.hooks && member.identity().role != MemberRole::Guest)
    ctx_.hooks->memberChanged(ctx_.id, member.identity().id, false, cause, member.client());
  const bool lastConnection = engagement_.disconnected(member.identity());
  members_.remove(member, lastConnection);
  schedule(ctx_.nowMs());
}

Accepted Room::accept(ChatMessage message, uint64_t senderToken, bool fromMember) {
  if (fromMember) {
    lottery_.consider(message);
    if (message.type != "like") engagement_.countMessage(message.from);
  }
  Accepted accepted = delivery_.offer(senderToken, std::move(message));
  onTick();
  return accepted;
}

Accepted Room::gift(const Sender& from, const std::string& gift, int64_t count, bool streak) {
  if (auto message = engagement_.gift(from, gift, count, streak))
    return send(nullptr, std::move(*message));
  return {"", core::wallClockMs()};  // merged: the streak's message comes later
}

size_t Room::kick(const std::string& user, const std::string& reason, int64_t banSeconds) {
  const int64_t until = moderation_.ban(user, banSeconds);
  const std::vector<Member*> gone = members_.connectionsOf(user);
  for (Member* m : gone) leave(*m, "Kicked");
  moderation_.announceKick(user, reason, until, gone);
  return gone.size();
}

void Room::onTick() {
  const int64_t now = ctx_.nowMs();
  tickDueMs_ = -1;
  for (ChatMessage& m : engagement_.takeDue(now)) delivery_.offer(0, std::move(m));
  delivery_.tick(now);
  members_.pushOnlineCount(now);
  for (int64_t due : {delivery_.nextDueMs(now), engagement_.nextDueMs()})
    if (due >= 0) schedule(std::max(due, now + 1));
}

void Room::schedule(int64_t dueMs) {
  if (tickDueMs_ >= 0 && tickDueMs_ <= dueMs) return;
  tickDueMs_ = dueMs;
  tick_.start(static_cast<uint64_t>(std::max<int64_t>(0, dueMs - ctx_.nowMs())));
}

void Room::dismiss() {
  const int64_t seq = members_.nextSeq();
  auto event = members_.eventHead("dismissed");
  event["seq"] = seq;
  event["time"] = core::wallClockMs();
  RoomEventPtr dismissed = makeRoomEvent(core::dumpJson(event), seq, core::wallClockMs());
  for (Member* m : members_.clear()) {
    if (ctx_.hooks && m->identity().role != MemberRole::Guest)
      ctx_.hooks->memberChanged(ctx_.id, m->identity().id, false, "Quit", m->client());
    m->removedFrom(ctx_.id, dismissed);
  }
  gate_.cancel();
  tick_.stop();
  state_.stop();
  lottery_.stop();
}

}  // namespace room
