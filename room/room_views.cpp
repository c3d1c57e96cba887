#include "room/room_views.hpp"

#include "core/loop/wall_clock.hpp"
#include "room/room.hpp"

namespace room {
namespace {

nlohmann::json untilList(const std::vector<std::pair<std::string, int64_t>>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [user, until] : entries)
    list.push_back({{"id", user}, {"until", untilJson(until)}});
  return list;
}

}  // namespace

nlohmann::json RoomViews::shown() const {
  const RoomInfo& info = room_.state().info();
  return {{"status", static_cast<int>(info.status())},
          {"name", info.name()},
          {"faceUrl", info.faceUrl()},
          {"maxMembers", info.maxMembers()},
          {"replay", room_.state().replayJson()},
          {"announcement", info.announcement()},
          {"introduction", info.introduction()},
          {"attributes", room_.state().attributesJson()},
          {"online", room_.online()},
          {"mutedAll", room_.moderation().mutedAll()}};
}

nlohmann::json RoomViews::joinReply(const Member& member) const {
  nlohmann::json out = shown();
  out["room"] = room_.id();
  out["seq"] = room_.members().seq();
  out["history"] = history();
  out["muted"] = room_.moderation().muted(member.identity().id);
  return out;
}

nlohmann::json RoomViews::describe() const {
  const RoomEngagement& engagement = room_.engagement();
  nlohmann::json out = shown();
  out["id"] = room_.id();
  out["owner"] = room_.owner();
  out["peakOnline"] = room_.members().peak();
  out["rateLimit"] = static_cast<int64_t>(room_.delivery().rate());
  out["messages"] = room_.counters().delivered;
  out["created"] = room_.createdMs();
  out["likes"] = engagement.likes();
  out["gifts"] = engagement.gifts();
  out["popularity"] = engagement.popularity();
  out["counters"] = counters();
  return out;
}

nlohmann::json RoomViews::counters() const {
  const RoomCounters& c = room_.counters();
  return {{"accepted", c.accepted},
          {"delivered", c.delivered},
          {"rateDropped", c.rateDropped},
          {"rejected", c.rejected},
          {"filtered", c.filtered}};
}

nlohmann::json RoomViews::members(std::optional<MemberRole> role, size_t limit) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : room_.members().recent()) {
    if (list.size() >= limit) break;
    if (role && r.who.role != *role) continue;
    auto m = r.who.toJson();
    m["joined"] = r.joinedMs;
    list.push_back(std::move(m));
  }
  return {{"room", room_.id()}, {"online", room_.online()}, {"members", std::move(list)}};
}

nlohmann::json RoomViews::history() const {
  nlohmann::json out = nlohmann::json::array();
  const int64_t oldest = core::wallClockMs() - RoomDelivery::kHistoryMaxAgeMs;
  for (const auto& [time, event] : room_.delivery().history())
    if (time >= oldest) out.push_back(event);
  return out;
}

nlohmann::json RoomViews::mutes() const {
  return {{"room", room_.id()},
          {"all", room_.moderation().mutedAll()},
          {"members", untilList(room_.moderation().mutes())}};
}

nlohmann::json RoomViews::bans() const {
  return {{"room", room_.id()}, {"members", untilList(room_.moderation().bans())}};
}

nlohmann::json RoomViews::gifts(size_t top) const {
  const RoomEngagement& engagement = room_.engagement();
  nlohmann::json topList = nlohmann::json::array();
  for (const auto& [id, count] : engagement.topGivers(top))
    topList.push_back({{"id", id}, {"count", count}});
  return {{"room", room_.id()},
          {"total", engagement.gifts()},
          {"byGift", engagement.giftsById()},
          {"topGivers", topList},
          {"likes", engagement.likes()}};
}

nlohmann::json RoomViews::lottery() const {
  const Lottery* lottery = room_.lottery().current();
  if (!lottery) return {{"room", room_.id()}, {"state", "none"}};
  nlohmann::json entrants = nlohmann::json::array(), winners = nlohmann::json::array();
  for (const auto& e : lottery->entrants()) entrants.push_back(e.id);
  for (const auto& w : lottery->winners()) winners.push_back(w.toJson());
  return {{"room", room_.id()},
          {"state", lottery->drawn() ? "drawn" : "open"},
          {"keyword", lottery->keyword()},
          {"ends", lottery->endMs()},
          {"winnerCount", lottery->winnerCount()},
          {"entrants", std::move(entrants)},
          {"winners", std::move(winners)}};
}

nlohmann::json RoomViews::user(const std::string& user) const {
  const UserStats s = room_.engagement().statsOf(user);
  const int64_t now = room_.nowMs();
  const LevelRule& rule = room_.options().level;
  const int64_t score = rule.score(s, now);
  return {{"room", room_.id()},
          {"id", user},
          {"onlineMs", s.onlineNowMs(now)},
          {"online", s.connections > 0},
          {"messages", s.messages},
          {"likes", s.likes},
          {"gifts", s.gifts},
          {"member", s.member},
          {"score", score},
          {"level", rule.level(score)}};
}

}  // namespace room
