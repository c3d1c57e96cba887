// Room's gifts and likes (R7, R8), the danmaku lottery (R16), levels and
// popularity (R9): the parts of Room beside its messages and moderation.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"
#include "room/room.hpp"

namespace room {
Room::Accepted Room::gift(const Sender& from, const std::string& gift, int64_t count, bool streak) {
  giftTotal_ += count;
  giftsById_[gift] += count;
  givers_[from.id] += count;
  if (UserStats* st = statsFor(from)) st->gifts += count;
  if (!streak) {
    return send(nullptr, {"gift", Priority::High, from, {{"gift", gift}, {"count", count}}});
  }
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  // NOTE: the giver sees each click at once (its connections only, with the
  // room's current seq); the room sees the merged streak.
  auto preview = eventHead("message", seq_, core::wallClockMs());
  preview["msgId"] = "";
  preview["msgType"] = "gift";
  preview["priority"] = priorityName(Priority::High);
  Sender shown = from;
  shown.role = roleOf(from);
  preview["from"] = shown.toJson();
  preview["body"] = {{"gift", gift}, {"count", count}, {"streak", true}, {"preview", true}};
  RoomEventPtr previewEvent;
  for (Member* m : list_) {
    if (!m || m->identity().id != from.id) continue;
    if (!previewEvent)
      previewEvent = makeRoomEvent(core::dumpJson(preview), seq_, core::wallClockMs());
    m->deliver(previewEvent);
  }
  if (auto full = streaks_.click(from, gift, count, now)) {
    return send(nullptr, {"gift",
                          Priority::High,
                          full->from,
                          {{"gift", full->gift}, {"count", full->count}, {"streak", true}}});
  }
  schedule(streaks_.nextDueMs());
  return {"", core::wallClockMs()};  // merged: the streak's message comes later
}

int64_t Room::like(const Sender& from, int64_t count) {
  if (count <= 0) return likeTotal_;
  likeTotal_ += count;
  if (UserStats* st = statsFor(from)) st->likes += count;
  likeWindow_.add(from.id, count, static_cast<int64_t>(loop_.nowMs()));
  schedule(likeWindow_.nextDueMs());
  return likeTotal_;
}

void Room::flushMerged(int64_t nowMs) {
  for (auto& f : streaks_.expire(nowMs))
    offer(
        {nextMessageId_(),
         core::wallClockMs(),
         0,
         {"gift", Priority::High, f.from, {{"gift", f.gift}, {"count", f.count}, {"streak", true}}},
         streamNow()});
  if (auto likes = likeWindow_.take(nowMs)) {
    ChatMessage m{"like",
                  Priority::Low,
                  {"administrator", "system", "", MemberRole::Admin},
                  {{"count", likes->first}, {"users", likes->second}, {"total", likeTotal_}}};
    offer({nextMessageId_(), core::wallClockMs(), 0, std::move(m), streamNow()});
  }
}

RoomError Room::startLottery(const std::string& keyword, int64_t seconds, size_t winners) {
  if (lottery_ && !lottery_->drawn())
    return {code::kBadParameter, "a lottery is already running in room " + id_};
  if (keyword.empty() || keyword.size() > 64)
    return {code::kBadParameter, "keyword must be 1..64 bytes"};
  if (seconds < 1 || seconds > 3600) return {code::kBadParameter, "seconds must be 1..3600"};
  if (winners < 1 || winners > 1000) return {code::kBadParameter, "winners must be 1..1000"};
  const int64_t now = core::wallClockMs();
  lottery_.emplace(keyword, now, now + seconds * 1000, winners);
  lotteryTimer_.start(static_cast<uint64_t>(seconds * 1000));
  spdlog::info("room {}: lottery \"{}\" for {} s, {} winners", id_, keyword, seconds, winners);
  auto event = eventHead("lottery", 0, 0);
  event["state"] = "open";
  event["keyword"] = keyword;
  event["ends"] = now + seconds * 1000;
  event["winners"] = winners;
  emit(std::move(event), false);
  return {};
}

void Room::drawLottery() {
  if (!lottery_ || lottery_->drawn()) return;
  const auto& winners = lottery_->draw();
  nlohmann::json list = nlohmann::json::array();
  std::string names;
  for (const auto& w : winners) {
    list.push_back(w.toJson());
    names += (names.empty() ? "" : ", ") + w.nick;
  }
  spdlog::info("room {}: lottery \"{}\" drawn: {} of {} entrants win", id_, lottery_->keyword(),
               winners.size(), lottery_->entrants().size());
  auto event = eventHead("lottery", 0, 0);
  event["state"] = "drawn";
  event["keyword"] = lottery_->keyword();
  event["entrants"] = lottery_->entrants().size();
  event["winners"] = list;
  emit(std::move(event), false);
  const std::string text = winners.empty()
                               ? "Lottery \"" + lottery_->keyword() + "\": no entrants"
                               : "Lottery \"" + lottery_->keyword() + "\" winners: " + names;
  send(nullptr, {"system",
                 Priority::High,
                 {"administrator", "system", "", MemberRole::Admin},
                 {{"text", text}, {"lottery", list}}});
}

nlohmann::json Room::lotteryJson() const {
  if (!lottery_) return {{"room", id_}, {"state", "none"}};
  nlohmann::json entrants = nlohmann::json::array(), winners = nlohmann::json::array();
  for (const auto& e : lottery_->entrants()) entrants.push_back(e.id);
  for (const auto& w : lottery_->winners()) winners.push_back(w.toJson());
  return {{"room", id_},
          {"state", lottery_->drawn() ? "drawn" : "open"},
          {"keyword", lottery_->keyword()},
          {"ends", lottery_->endMs()},
          {"winnerCount", lottery_->winnerCount()},
          {"entrants", std::move(entrants)},
          {"winners", std::move(winners)}};
}

UserStats* Room::statsFor(const Sender& who) {
  if (who.role == MemberRole::Guest || who.id.empty()) return nullptr;
  auto it = stats_.find(who.id);
  if (it != stats_.end()) return &it->second;
  if (stats_.size() >= options_.maxUserStats) return nullptr;  // bounded
  return &stats_[who.id];
}

int Room::levelOf(const std::string& user) const {
  auto it = stats_.find(user);
  if (it == stats_.end()) return 0;
  return options_.level.level(
      options_.level.score(it->second, static_cast<int64_t>(loop_.nowMs())));
}

nlohmann::json Room::userJson(const std::string& user) const {
  UserStats s;
  if (auto it = stats_.find(user); it != stats_.end()) s = it->second;
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  const int64_t score = options_.level.score(s, now);
  return {{"room", id_},
          {"id", user},
          {"onlineMs", s.onlineNowMs(now)},
          {"online", s.connections > 0},
          {"messages", s.messages},
          {"likes", s.likes},
          {"gifts", s.gifts},
          {"member", s.member},
          {"score", score},
          {"level", options_.level.level(score)}};
}

void Room::setMembership(const std::string& user, bool member) {
  if (auto it = stats_.find(user); it != stats_.end()) {
    it->second.member = member;
  } else if (member && stats_.size() < options_.maxUserStats) {
    stats_[user].member = true;
  }
}

int64_t Room::popularity() const {
  return options_.popularity.score(static_cast<int64_t>(index_.size()),
                                   static_cast<int64_t>(counters_.delivered), likeTotal_,
                                   giftTotal_);
}

nlohmann::json Room::giftsJson(size_t top) const {
  std::vector<std::pair<std::string, int64_t>> givers(givers_.begin(), givers_.end());
  std::sort(givers.begin(), givers.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  nlohmann::json topList = nlohmann::json::array();
  for (size_t i = 0; i < givers.size() && i < top; ++i)
    topList.push_back({{"id", givers[i].first}, {"count", givers[i].second}});
  return {{"room", id_},
          {"total", giftTotal_},
          {"byGift", giftsById_},
          {"topGivers", topList},
          {"likes", likeTotal_}};
}

}  // namespace room
