#include "room/room_moderation.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "core/format/json_text.hpp"
#include "core/loop/wall_clock.hpp"

namespace room {
namespace {

int64_t untilFor(int64_t seconds, int64_t nowMs) {
  if (seconds >= 4294967295LL) return RoomModeration::kForever;
  return nowMs + seconds * 1000;
}

// A live entry of a user -> until map, dropping an expired one.
std::optional<int64_t> liveUntil(const std::unordered_map<std::string, int64_t>& map,
                                 const std::string& user, int64_t nowMs) {
  auto it = map.find(user);
  if (it == map.end() || it->second <= nowMs) return std::nullopt;
  return it->second;
}

// NOTE: mutes and bans are kept by user id; expired ones are dropped once the
// map grows, so an admin's long-past actions do not pile up.
void pruneExpired(std::unordered_map<std::string, int64_t>& map, int64_t nowMs) {
  if (map.size() < 4096) return;
  std::erase_if(map, [nowMs](const auto& entry) { return entry.second <= nowMs; });
}

std::string secondsLeft(int64_t until, int64_t nowMs) {
  if (until == RoomModeration::kForever) return "for good";
  return "for " + std::to_string((until - nowMs + 999) / 1000) + " more s";
}

std::vector<std::pair<std::string, int64_t>> live(
    const std::unordered_map<std::string, int64_t>& map) {
  const int64_t now = core::wallClockMs();
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& [user, until] : map)
    if (until > now) out.emplace_back(user, until);
  return out;
}

}  // namespace

nlohmann::json untilJson(int64_t until) {
  return until == RoomModeration::kForever ? nlohmann::json(nullptr) : nlohmann::json(until);
}

RoomModeration::RoomModeration(RoomContext& ctx, RoomMembers& members)
    : ctx_(ctx), members_(members) {}

void RoomModeration::mute(const std::string& user, int64_t seconds) {
  const int64_t now = core::wallClockMs();
  auto event = members_.eventHead("mute");
  event["user"] = user;
  event["all"] = false;
  if (seconds <= 0) {
    muted_.erase(user);
    event["until"] = 0;
    event["seconds"] = 0;
  } else {
    const int64_t until = untilFor(seconds, now);
    pruneExpired(muted_, now);
    muted_[user] = until;
    event["until"] = untilJson(until);
    event["seconds"] = seconds;
  }
  spdlog::info("room {}: {} {}", ctx_.id, user,
               seconds > 0 ? "muted for " + std::to_string(seconds) + " s" : "unmuted");
  members_.emit(std::move(event), false);
}

void RoomModeration::muteAll(bool on) {
  if (mutedAll_ == on) return;
  mutedAll_ = on;
  spdlog::info("room {}: whole room {}", ctx_.id, on ? "muted" : "unmuted");
  auto event = members_.eventHead("mute");
  event["user"] = nullptr;
  event["all"] = on;
  members_.emit(std::move(event), false);
}

bool RoomModeration::muted(const std::string& user) const {
  return liveUntil(muted_, user, core::wallClockMs()).has_value();
}

RoomError RoomModeration::checkSend(const Sender& who) const {
  const int64_t now = core::wallClockMs();
  if (auto until = liveUntil(muted_, who.id, now))
    return {code::kMuted, "you are muted in room " + ctx_.id + " " + secondsLeft(*until, now)};
  const MemberRole role = ctx_.roleOf(who);
  if (mutedAll_ && role != MemberRole::Admin && role != MemberRole::Owner)
    return {code::kMuted, "room " + ctx_.id + " is muted: only its owner and admins may speak"};
  return {};
}

RoomError RoomModeration::checkJoin(const Sender& who) const {
  const int64_t now = core::wallClockMs();
  if (auto until = liveUntil(banned_, who.id, now))
    return {code::kNoPermission,
            "you were kicked from room " + ctx_.id + " and are banned " + secondsLeft(*until, now)};
  return {};
}

int64_t RoomModeration::ban(const std::string& user, int64_t banSeconds) {
  const int64_t now = core::wallClockMs();
  const int64_t until = banSeconds <= 0 ? kForever : untilFor(banSeconds, now);
  pruneExpired(banned_, now);
  banned_[user] = until;
  return until;
}

void RoomModeration::announceKick(const std::string& user, const std::string& reason, int64_t until,
                                  const std::vector<Member*>& gone) {
  const int64_t now = core::wallClockMs();
  // NOTE: built after the leaves, with the room's current seq, so a kicked
  // connection never sees a seq lower than one it already had; the rest of the
  // room then gets it as a room event of its own.
  const int64_t seq = members_.seq();
  auto event = members_.eventHead("kicked", seq, now, members_.streamNow());
  event["user"] = user;
  event["reason"] = reason;
  event["until"] = untilJson(until);
  RoomEventPtr kicked = makeRoomEvent(core::dumpJson(event), seq, now);
  for (Member* m : gone) m->removedFrom(ctx_.id, kicked);
  spdlog::info("room {}: {} kicked ({} connections, banned {}): {}", ctx_.id, user, gone.size(),
               secondsLeft(until, now), reason);
  members_.emit(std::move(event), false);
}

bool RoomModeration::unban(const std::string& user) {
  return banned_.erase(user) > 0;
}

std::vector<std::pair<std::string, int64_t>> RoomModeration::mutes() const {
  return live(muted_);
}

std::vector<std::pair<std::string, int64_t>> RoomModeration::bans() const {
  return live(banned_);
}

}  // namespace room
