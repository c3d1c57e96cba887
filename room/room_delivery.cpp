#include "room/room_delivery.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/wall_clock.hpp"

namespace room {

RoomDelivery::RoomDelivery(RoomContext& ctx, RoomMembers& members, const RoomEngagement& engagement)
    : ctx_(ctx),
      members_(members),
      engagement_(engagement),
      limiter_(ctx.options.rateLimit),
      rng_(std::random_device{}()) {}

Accepted RoomDelivery::offer(uint64_t senderToken, ChatMessage message) {
  Pending p{ctx_.nextMessageId(), core::wallClockMs(), senderToken, std::move(message),
            members_.streamNow()};
  Accepted accepted{p.msgId, p.timeMs};
  ++ctx_.counters.accepted;
  p.message.from.role = ctx_.roleOf(p.message.from);
  p.message.from.level = engagement_.levelOf(p.message.from.id);
  const Priority priority = p.message.priority;
  if (auto lost = limiter_.offer(priority, std::move(p), ctx_.nowMs(), rng_)) {
    ++ctx_.counters.rateDropped;
    echoDropped(*lost);
  }
  return accepted;
}

void RoomDelivery::tick(int64_t nowMs) {
  auto result = limiter_.take(nowMs);
  for (auto& p : result.delivered) deliver(std::move(p));
  for (auto& p : result.dropped) {
    ++ctx_.counters.rateDropped;
    echoDropped(p);
  }
}

nlohmann::json RoomDelivery::messageJson(const Pending& p, int64_t seq) const {
  // NOTE: the stream time of acceptance, not of delivery: a message the rate
  // limit held back still belongs where it was sent in the show.
  auto event = members_.eventHead("message", seq, p.timeMs, p.streamTimeMs);
  event["msgId"] = p.msgId;
  event["msgType"] = p.message.type;
  event["priority"] = priorityName(p.message.priority);
  event["from"] = p.message.from.toJson();
  event["body"] = p.message.body;
  // NOTE: a message of several elements (the IM's MsgBody list) also lists them
  // all, the first one included; "msgType" and "body" stay the first one's.
  if (!p.message.rest.empty()) event["elements"] = elementsJson(p.message);
  return event;
}

RoomEventPtr RoomDelivery::messageEvent(const Pending& p, const nlohmann::json& object) const {
  return makeRoomEvent(object, object.value("seq", int64_t{0}), p.timeMs, true, p.message.type,
                       p.streamTimeMs);
}

void RoomDelivery::deliver(Pending p) {
  ++ctx_.counters.delivered;
  const int64_t seq = members_.nextSeq();
  nlohmann::json object = messageJson(p, seq);
  RoomEventPtr event = messageEvent(p, object);
  if (ctx_.hooks && !p.message.source.skipAfterSend)
    ctx_.hooks->afterSend(ctx_.id, p.message, p.msgId, seq, p.timeMs);
  members_.fanOut(event, object);
  if (ctx_.options.history > 0) {
    history_.emplace_back(p.timeMs, std::move(object));
    while (history_.size() > ctx_.options.history) history_.pop_front();
  }
}

void RoomDelivery::echoDropped(const Pending& p) {
  // NOTE: R6: a sender always sees its own message, even one the limit dropped;
  // it carries the room's last seq so a client's seq never goes backwards.
  if (Member* sender = members_.byToken(p.senderToken))
    sender->deliver(messageEvent(p, messageJson(p, members_.seq())));
}

bool RoomDelivery::revoke(const std::string& msgId) {
  const size_t before = history_.size();
  std::erase_if(history_, [&](const auto& entry) { return entry.second["msgId"] == msgId; });
  const bool found = history_.size() != before;
  auto event = members_.eventHead("revoke");
  event["msgId"] = msgId;
  members_.emit(std::move(event), false);
  spdlog::info("room {}: message {} revoked", ctx_.id, msgId);
  return found;
}

}  // namespace room
