#include "room/room_lottery.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/wall_clock.hpp"

namespace room {

RoomLottery::RoomLottery(RoomContext& ctx, RoomMembers& members, Announce announce)
    : ctx_(ctx),
      members_(members),
      announce_(std::move(announce)),
      timer_(ctx.loop, [this] { draw(); }) {}

RoomError RoomLottery::start(const std::string& keyword, int64_t seconds, size_t winners) {
  if (lottery_ && !lottery_->drawn())
    return {code::kBadParameter, "a lottery is already running in room " + ctx_.id};
  if (keyword.empty() || keyword.size() > 64)
    return {code::kBadParameter, "keyword must be 1..64 bytes"};
  if (seconds < 1 || seconds > 3600) return {code::kBadParameter, "seconds must be 1..3600"};
  if (winners < 1 || winners > 1000) return {code::kBadParameter, "winners must be 1..1000"};
  const int64_t now = core::wallClockMs();
  lottery_.emplace(keyword, now, now + seconds * 1000, winners);
  timer_.start(static_cast<uint64_t>(seconds * 1000));
  spdlog::info("room {}: lottery \"{}\" for {} s, {} winners", ctx_.id, keyword, seconds, winners);
  auto event = members_.eventHead("lottery");
  event["state"] = "open";
  event["keyword"] = keyword;
  event["ends"] = now + seconds * 1000;
  event["winners"] = winners;
  members_.emit(std::move(event), false);
  return {};
}

void RoomLottery::consider(const ChatMessage& message) {
  if (!lottery_ || message.type != "text") return;
  if (auto t = message.body.find("text"); t != message.body.end() && t->is_string())
    lottery_->consider(message.from, t->get_ref<const std::string&>(), core::wallClockMs());
}

void RoomLottery::draw() {
  if (!lottery_ || lottery_->drawn()) return;
  const auto& winners = lottery_->draw();
  nlohmann::json list = nlohmann::json::array();
  std::string names;
  for (const auto& w : winners) {
    list.push_back(w.toJson());
    names += (names.empty() ? "" : ", ") + w.nick;
  }
  spdlog::info("room {}: lottery \"{}\" drawn: {} of {} entrants win", ctx_.id, lottery_->keyword(),
               winners.size(), lottery_->entrants().size());
  auto event = members_.eventHead("lottery");
  event["state"] = "drawn";
  event["keyword"] = lottery_->keyword();
  event["entrants"] = lottery_->entrants().size();
  event["winners"] = list;
  members_.emit(std::move(event), false);
  const std::string text = winners.empty()
                               ? "Lottery \"" + lottery_->keyword() + "\": no entrants"
                               : "Lottery \"" + lottery_->keyword() + "\" winners: " + names;
  announce_({"system",
             Priority::High,
             {"administrator", "system", "", MemberRole::Admin},
             {{"text", text}, {"lottery", list}}});
}

}  // namespace room
