#include "room/room_engagement.hpp"

#include <algorithm>

#include "core/format/json_text.hpp"
#include "core/loop/wall_clock.hpp"

namespace room {

RoomEngagement::RoomEngagement(RoomContext& ctx, RoomMembers& members)
    : ctx_(ctx),
      members_(members),
      streaks_(ctx.options.giftFlushEvery, ctx.options.giftPauseMs),
      likeWindow_(ctx.options.likeWindowMs) {}

void RoomEngagement::connected(const Sender& who) {
  if (UserStats* st = statsFor(who); st && st->connections++ == 0) st->onlineSinceMs = ctx_.nowMs();
}

bool RoomEngagement::disconnected(const Sender& who) {
  auto st = stats_.find(who.id);
  if (st == stats_.end() || st->second.connections <= 0) return true;
  if (--st->second.connections == 0) st->second.onlineMs += ctx_.nowMs() - st->second.onlineSinceMs;
  return st->second.connections == 0;
}

void RoomEngagement::countMessage(const Sender& from) {
  if (UserStats* st = statsFor(from)) ++st->messages;
}

std::optional<ChatMessage> RoomEngagement::gift(const Sender& from, const std::string& gift,
                                                int64_t count, bool streak) {
  giftTotal_ += count;
  giftsById_[gift] += count;
  givers_[from.id] += count;
  if (UserStats* st = statsFor(from)) st->gifts += count;
  if (!streak) return ChatMessage{"gift", Priority::High, from, {{"gift", gift}, {"count", count}}};
  previewClick(from, gift, count);
  if (auto full = streaks_.click(from, gift, count, ctx_.nowMs())) {
    return ChatMessage{"gift",
                       Priority::High,
                       full->from,
                       {{"gift", full->gift}, {"count", full->count}, {"streak", true}}};
  }
  ctx_.schedule(streaks_.nextDueMs());
  return std::nullopt;  // merged: the streak's message comes later
}

void RoomEngagement::previewClick(const Sender& from, const std::string& gift, int64_t count) {
  // NOTE: the giver sees each click at once (its connections only, with the
  // room's current seq); the room sees the merged streak.
  const int64_t seq = members_.seq();
  auto preview = members_.eventHead("message", seq, core::wallClockMs(), members_.streamNow());
  preview["msgId"] = "";
  preview["msgType"] = "gift";
  preview["priority"] = priorityName(Priority::High);
  Sender shown = from;
  shown.role = ctx_.roleOf(from);
  preview["from"] = shown.toJson();
  preview["body"] = {{"gift", gift}, {"count", count}, {"streak", true}, {"preview", true}};
  RoomEventPtr previewEvent;
  for (Member* m : members_.connectionsOf(from.id)) {
    if (!previewEvent)
      previewEvent = makeRoomEvent(core::dumpJson(preview), seq, core::wallClockMs());
    m->deliver(previewEvent);
  }
}

int64_t RoomEngagement::like(const Sender& from, int64_t count) {
  if (count <= 0) return likeTotal_;
  likeTotal_ += count;
  if (UserStats* st = statsFor(from)) st->likes += count;
  likeWindow_.add(from.id, count, ctx_.nowMs());
  ctx_.schedule(likeWindow_.nextDueMs());
  return likeTotal_;
}

std::vector<ChatMessage> RoomEngagement::takeDue(int64_t nowMs) {
  std::vector<ChatMessage> out;
  for (auto& f : streaks_.expire(nowMs))
    out.push_back(
        {"gift", Priority::High, f.from, {{"gift", f.gift}, {"count", f.count}, {"streak", true}}});
  if (auto likes = likeWindow_.take(nowMs)) {
    out.push_back({"like",
                   Priority::Low,
                   {"administrator", "system", "", MemberRole::Admin},
                   {{"count", likes->first}, {"users", likes->second}, {"total", likeTotal_}}});
  }
  return out;
}

int64_t RoomEngagement::nextDueMs() const {
  const int64_t gifts = streaks_.nextDueMs(), likes = likeWindow_.nextDueMs();
  if (gifts < 0) return likes;
  return likes < 0 ? gifts : std::min(gifts, likes);
}

std::vector<std::pair<std::string, int64_t>> RoomEngagement::topGivers(size_t top) const {
  std::vector<std::pair<std::string, int64_t>> givers(givers_.begin(), givers_.end());
  std::sort(givers.begin(), givers.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (givers.size() > top) givers.resize(top);
  return givers;
}

UserStats* RoomEngagement::statsFor(const Sender& who) {
  if (who.role == MemberRole::Guest || who.id.empty()) return nullptr;
  auto it = stats_.find(who.id);
  if (it != stats_.end()) return &it->second;
  if (stats_.size() >= ctx_.options.maxUserStats) return nullptr;  // bounded
  return &stats_[who.id];
}

int RoomEngagement::levelOf(const std::string& user) const {
  auto it = stats_.find(user);
  if (it == stats_.end()) return 0;
  return ctx_.options.level.level(ctx_.options.level.score(it->second, ctx_.nowMs()));
}

UserStats RoomEngagement::statsOf(const std::string& user) const {
  auto it = stats_.find(user);
  return it == stats_.end() ? UserStats{} : it->second;
}

void RoomEngagement::setMembership(const std::string& user, bool member) {
  if (auto it = stats_.find(user); it != stats_.end()) {
    it->second.member = member;
  } else if (member && stats_.size() < ctx_.options.maxUserStats) {
    stats_[user].member = true;
  }
}

int64_t RoomEngagement::popularity() const {
  return ctx_.options.popularity.score(static_cast<int64_t>(members_.size()),
                                       static_cast<int64_t>(ctx_.counters.delivered), likeTotal_,
                                       giftTotal_);
}

}  // namespace room
