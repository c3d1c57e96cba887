#include "room/room_members.hpp"

#include <algorithm>

#include "core/loop/wall_clock.hpp"

namespace room {

RoomMembers::RoomMembers(RoomContext& ctx) : ctx_(ctx), pusher_(ctx.options.online) {}

void RoomMembers::add(Member& member, Sender who) {
  if (index_.size() < ctx_.options.enterLeaveMaxMembers) {
    auto event = eventHead("enter");
    event["user"] = who.toJson();
    emit(std::move(event), false);  // before adding: the joiner gets its reply instead
  }
  const uint64_t token = nextToken_++;
  index_[&member] = {list_.size(), token};
  byToken_[token] = &member;
  list_.push_back(&member);
  peak_ = std::max(peak_, index_.size());
  std::erase_if(recent_, [&](const Recent& r) { return r.who.id == who.id; });
  recent_.push_front({std::move(who), core::wallClockMs()});
  if (recent_.size() > ctx_.options.recentMembers) recent_.pop_back();
}

void RoomMembers::remove(Member& member, bool lastConnection) {
  auto it = index_.find(&member);
  if (it == index_.end()) return;
  const Slot slot = it->second;
  index_.erase(it);
  byToken_.erase(slot.token);
  if (fanningOut_) {
    list_[slot.position] = nullptr;
    holes_ = true;
  } else {
    Member* last = list_.back();
    list_[slot.position] = last;
    list_.pop_back();
    if (last != &member) index_[last].position = slot.position;
  }
  const Sender& who = member.identity();
  if (lastConnection)  // another connection of the user keeps it in the list
    std::erase_if(recent_, [&](const Recent& r) { return r.who.id == who.id; });
  if (index_.size() < ctx_.options.enterLeaveMaxMembers) {
    auto event = eventHead("leave");
    Sender shown = who;
    shown.role = ctx_.roleOf(who);
    event["user"] = shown.toJson();
    emit(std::move(event), false);
  }
}

std::vector<Member*> RoomMembers::clear() {
  std::vector<Member*> all;
  for (Member* m : list_)
    if (m) all.push_back(m);
  list_.clear();
  index_.clear();
  byToken_.clear();
  return all;
}

uint64_t RoomMembers::tokenOf(const Member* member) const {
  if (!member) return 0;
  auto it = index_.find(const_cast<Member*>(member));
  return it == index_.end() ? 0 : it->second.token;
}

Member* RoomMembers::byToken(uint64_t token) const {
  if (token == 0) return nullptr;
  auto it = byToken_.find(token);
  return it == byToken_.end() ? nullptr : it->second;
}

std::vector<Member*> RoomMembers::connectionsOf(const std::string& user) const {
  std::vector<Member*> out;
  for (Member* m : list_)
    if (m && m->identity().id == user) out.push_back(m);
  return out;
}

std::optional<int64_t> RoomMembers::streamNow() const {
  return streamClock_ ? streamClock_() : std::nullopt;
}

nlohmann::json RoomMembers::eventHead(const char* event, int64_t seq, int64_t timeMs,
                                      std::optional<int64_t> streamTime) const {
  nlohmann::json head = {{"event", event}, {"room", ctx_.id}, {"seq", seq}, {"time", timeMs}};
  if (streamTime) head["streamTime"] = *streamTime;
  return head;
}

void RoomMembers::emit(nlohmann::json event, bool isMessage) {
  const int64_t seq = ++seq_;
  const int64_t now = core::wallClockMs();
  event["seq"] = seq;
  event["time"] = now;
  std::optional<int64_t> streamTime;
  if (auto it = event.find("streamTime"); it != event.end() && it->is_number_integer())
    streamTime = it->get<int64_t>();
  std::string kind = event.value("event", "");
  fanOut(makeRoomEvent(event, seq, now, isMessage, std::move(kind), streamTime), event);
}

void RoomMembers::fanOut(const RoomEventPtr& event, const nlohmann::json& object) {
  // NOTE: a member may leave while it is being delivered to (a slow consumer
  // dropping itself); remove() then leaves a hole that is closed afterwards.
  const bool outer = !fanningOut_;
  fanningOut_ = true;
  // NOTE: the tap (the Sidechannel) first: it marks what the media carries, which
  // a member fed by that media skips.
  if (eventTap_ && event->seq > 0) eventTap_(event, object);
  for (size_t i = 0; i < list_.size(); ++i) {
    if (Member* m = list_[i]) m->deliver(event);
  }
  if (!outer) return;
  fanningOut_ = false;
  if (holes_) {
    holes_ = false;
    std::erase(list_, nullptr);
    for (size_t i = 0; i < list_.size(); ++i) index_[list_[i]].position = i;
  }
}

void RoomMembers::pushOnlineCount(int64_t nowMs) {
  if (auto count = pusher_.update(static_cast<int64_t>(index_.size()), nowMs)) {
    auto event = eventHead("online");
    event["count"] = *count;
    emit(std::move(event), false);
  }
  // A change held back by the rule is looked at again: it goes out within the
  // minimum interval (noticeable) or the maximum one (a drift).
  if (pusher_.current() != pusher_.lastPushed())
    ctx_.schedule(nowMs + std::max<int64_t>(ctx_.options.online.minIntervalMs, 100));
}

}  // namespace room
