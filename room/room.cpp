#include "room/room.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"

namespace room {
namespace {

const char* statusReasonName(RoomStatus s) {
  switch (s) {
    case RoomStatus::Waiting:
      return "waiting";
    case RoomStatus::Live:
      return "live";
    case RoomStatus::Paused:
      return "paused";
    case RoomStatus::Ended:
      return "ended";
    case RoomStatus::Replay:
      return "replay";
  }
  return "waiting";
}

nlohmann::json attributesJson(const RoomInfo& info) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : info.attributes()) out[k] = v;
  return out;
}

int64_t untilFor(int64_t seconds, int64_t nowMs) {
  if (seconds >= 4294967295LL) return Room::kForever;
  return nowMs + seconds * 1000;
}

nlohmann::json untilJson(int64_t until) {
  return until == Room::kForever ? nlohmann::json(nullptr) : nlohmann::json(until);
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
  if (until == Room::kForever) return "for good";
  return "for " + std::to_string((until - nowMs + 999) / 1000) + " more s";
}

}  // namespace

Room::Room(core::EventLoop& loop, std::string id, std::string owner, RoomOptions options,
           std::function<std::string()> nextMessageId)
    : loop_(loop),
      id_(std::move(id)),
      owner_(std::move(owner)),
      options_(options),
      nextMessageId_(std::move(nextMessageId)),
      limiter_(options.rateLimit),
      pusher_(options.online),
      rng_(std::random_device{}()),
      createdMs_(core::wallClockMs()),
      streaks_(options.giftFlushEvery, options.giftPauseMs),
      likeWindow_(options.likeWindowMs),
      tick_(loop, [this] { onTick(); }),
      endTimer_(loop,
                [this] {
                  if (info_.status() == RoomStatus::Paused) setStatus(4, "stream ended");
                }),
      lotteryTimer_(loop, [this] { drawLottery(); }) {}

Room::~Room() = default;

MemberRole Room::roleOf(const Sender& who) const {
  if (!owner_.empty() && who.id == owner_ && who.role != MemberRole::Guest)
    return MemberRole::Owner;
  return who.role;
}

nlohmann::json Room::join(Member& member) {
  if (!index_.contains(&member)) {
    Sender who = member.identity();
    who.role = roleOf(who);
    who.level = levelOf(who.id);
    if (index_.size() < options_.enterLeaveMaxMembers) {
      auto event = eventHead("enter", 0, 0);
      event["user"] = who.toJson();
      emit(std::move(event), false);  // before adding: the joiner gets its reply instead
    }
    if (UserStats* st = statsFor(who); st && st->connections++ == 0)
      st->onlineSinceMs = static_cast<int64_t>(loop_.nowMs());
    const uint64_t token = nextToken_++;
    index_[&member] = {list_.size(), token};
    byToken_[token] = &member;
    list_.push_back(&member);
    peakOnline_ = std::max(peakOnline_, index_.size());
    std::erase_if(recent_, [&](const Recent& r) { return r.who.id == who.id; });
    recent_.push_front({std::move(who), core::wallClockMs()});
    if (recent_.size() > options_.recentMembers) recent_.pop_back();
    schedule(static_cast<int64_t>(loop_.nowMs()));  // the online count, after the reply
    if (hooks_ && member.identity().role != MemberRole::Guest)
      hooks_->memberChanged(id_, member.identity().id, true, "Join");
  }
  return {{"room", id_},
          {"status", static_cast<int>(info_.status())},
          {"replay", replayJson()},
          {"announcement", info_.announcement()},
          {"introduction", info_.introduction()},
          {"attributes", attributesJson(info_)},
          {"online", index_.size()},
          {"seq", seq_},
          {"history", history()},
          {"mutedAll", mutedAll_},
          {"muted", liveUntil(muted_, member.identity().id, core::wallClockMs()).has_value()}};
}

void Room::leave(Member& member, const char* cause) {
  auto it = index_.find(&member);
  if (it == index_.end()) return;
  if (hooks_ && member.identity().role != MemberRole::Guest)
    hooks_->memberChanged(id_, member.identity().id, false, cause);
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
  bool lastConnection = true;
  if (auto st = stats_.find(who.id); st != stats_.end() && st->second.connections > 0) {
    if (--st->second.connections == 0)
      st->second.onlineMs += static_cast<int64_t>(loop_.nowMs()) - st->second.onlineSinceMs;
    lastConnection = st->second.connections == 0;
  }
  if (lastConnection)  // another connection of the user keeps it in the list
    std::erase_if(recent_, [&](const Recent& r) { return r.who.id == who.id; });
  if (index_.size() < options_.enterLeaveMaxMembers) {
    auto event = eventHead("leave", 0, 0);
    Sender shown = who;
    shown.role = roleOf(who);
    event["user"] = shown.toJson();
    emit(std::move(event), false);
  }
  schedule(static_cast<int64_t>(loop_.nowMs()));
}

Room::Accepted Room::send(Member* sender, ChatMessage message) {
  uint64_t token = 0;
  if (sender) {
    auto it = index_.find(sender);
    if (it != index_.end()) token = it->second.token;
  }
  return sendAs(token, sender != nullptr, std::move(message));
}

Room::Accepted Room::sendAs(uint64_t senderToken, bool fromMember, ChatMessage message) {
  if (lottery_ && fromMember && message.type == "text") {
    if (auto t = message.body.find("text"); t != message.body.end() && t->is_string())
      lottery_->consider(message.from, t->get_ref<const std::string&>(), core::wallClockMs());
  }
  if (fromMember && message.type != "like") {
    if (UserStats* st = statsFor(message.from)) ++st->messages;
  }
  Pending p{nextMessageId_(), core::wallClockMs(), senderToken, std::move(message), streamNow()};
  Accepted accepted{p.msgId, p.timeMs};
  offer(std::move(p));
  onTick();
  return accepted;
}

void Room::submit(Member* sender, ChatMessage message, const std::string& clientIp,
                  std::function<void(Submitted)> done) {
  if (!hooks_ || !hooks_->hasBeforeSend()) {
    done({{}, send(sender, std::move(message))});
    return;
  }
  if (hookQueue_.size() >= kMaxHookQueue) {
    ++counters_.rejected;
    done({{code::kTooFrequent, "room " + id_ + " is waiting for its backend: retry later"}, {}});
    return;
  }
  uint64_t token = 0;
  if (sender) {
    auto it = index_.find(sender);
    if (it != index_.end()) token = it->second.token;
  }
  // NOTE: one slow verdict holds everything behind it; a sender may have only a
  // few messages waiting, so the queue's memory stays bounded per sender.
  if (token != 0 && std::count_if(hookQueue_.begin(), hookQueue_.end(), [token](const auto& h) {
                      return h.senderToken == token;
                    }) >= static_cast<std::ptrdiff_t>(kMaxHookPerSender)) {
    ++counters_.rejected;
    done({{code::kTooFast, "too many messages waiting for the backend: slow down"}, {}});
    return;
  }
  const uint64_t id = nextHookId_++;
  hookQueue_.push_back({id, token, message, std::move(done), std::nullopt});
  hooks_->beforeSend(id_, message, clientIp,
                     [this, alive = std::weak_ptr<int>(alive_), id](HookVerdict verdict) {
                       if (alive.expired()) return;
                       for (auto& h : hookQueue_) {
                         if (h.id == id) {
                           h.verdict = std::move(verdict);
                           break;
                         }
                       }
                       drainHooks();
                     });
}

void Room::drainHooks() {
  // NOTE: in submission order: a later message whose verdict came first waits
  // for the earlier ones, so every member sees the order the senders sent in.
  while (!hookQueue_.empty() && hookQueue_.front().verdict) {
    HookPending h = std::move(hookQueue_.front());
    hookQueue_.pop_front();
    const HookVerdict& v = *h.verdict;
    Submitted result;
    if (v.action == HookVerdict::Action::Reject) {
      ++counters_.rejected;
      result.error = {v.code != 0 ? v.code : code::kRejected,
                      v.info.empty() ? "refused by the backend" : v.info};
    } else if (v.action == HookVerdict::Action::Drop) {
      ++counters_.filtered;  // the sender is told success; nobody sees it
      result.accepted = {nextMessageId_(), core::wallClockMs()};
    } else if (RoomError late = checkJoin(h.message.from); !late.ok()) {
      ++counters_.rejected;  // kicked while the backend was deciding
      result.error = late;
    } else if (RoomError muted = checkSend(h.message.from); !muted.ok()) {
      ++counters_.rejected;  // muted while the backend was deciding
      result.error = muted;
    } else {
      // The backend's body passes the rule a member's does (or the member's stays).
      if (v.body) (void)messageBody(h.message.type, *v.body, h.message.body);
      result.accepted = sendAs(h.senderToken, true, std::move(h.message));
    }
    if (h.done) h.done(std::move(result));
  }
}

void Room::offer(Pending p) {
  ++counters_.accepted;
  p.message.from.role = roleOf(p.message.from);
  p.message.from.level = levelOf(p.message.from.id);
  const Priority priority = p.message.priority;
  if (auto lost =
          limiter_.offer(priority, std::move(p), static_cast<int64_t>(loop_.nowMs()), rng_)) {
    ++counters_.rateDropped;
    echoDropped(*lost);
  }
}

void Room::onTick() {
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  tickDueMs_ = -1;
  flushMerged(now);
  auto result = limiter_.take(now);
  for (auto& p : result.delivered) deliverPending(std::move(p));
  for (auto& p : result.dropped) {
    ++counters_.rateDropped;
    echoDropped(p);
  }
  checkOnline();
  for (int64_t due : {limiter_.nextDueMs(now), streaks_.nextDueMs(), likeWindow_.nextDueMs()})
    if (due >= 0) schedule(std::max(due, now + 1));
}

void Room::checkOnline() {
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  if (auto count = pusher_.update(static_cast<int64_t>(index_.size()), now)) {
    auto event = eventHead("online", 0, 0);
    event["count"] = *count;
    emit(std::move(event), false);
  }
  // A change held back by the rule is looked at again: it goes out within the
  // minimum interval (noticeable) or the maximum one (a drift).
  if (pusher_.current() != pusher_.lastPushed())
    schedule(now + std::max<int64_t>(options_.online.minIntervalMs, 100));
}

void Room::schedule(int64_t dueMs) {
  if (tickDueMs_ >= 0 && tickDueMs_ <= dueMs) return;
  tickDueMs_ = dueMs;
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  tick_.start(static_cast<uint64_t>(std::max<int64_t>(0, dueMs - now)));
}

std::optional<int64_t> Room::streamNow() const {
  return streamClock_ ? streamClock_() : std::nullopt;
}

nlohmann::json Room::eventHead(const char* event, int64_t seq, int64_t timeMs,
                               std::optional<int64_t> streamTime) const {
  nlohmann::json head = {{"event", event}, {"room", id_}, {"seq", seq}, {"time", timeMs}};
  if (streamTime) head["streamTime"] = *streamTime;
  return head;
}

nlohmann::json Room::messageJson(const Pending& p, int64_t seq) const {
  // NOTE: the stream time of acceptance, not of delivery: a message the rate
  // limit held back still belongs where it was sent in the show.
  auto event = eventHead("message", seq, p.timeMs, p.streamTimeMs);
  event["msgId"] = p.msgId;
  event["msgType"] = p.message.type;
  event["priority"] = priorityName(p.message.priority);
  event["from"] = p.message.from.toJson();
  event["body"] = p.message.body;
  return event;
}

RoomEventPtr Room::messageEvent(const Pending& p, const nlohmann::json& object) const {
  return makeRoomEvent(object, object.value("seq", int64_t{0}), p.timeMs, true, p.message.type,
                       p.streamTimeMs);
}

void Room::deliverPending(Pending p) {
  ++counters_.delivered;
  const int64_t seq = ++seq_;
  nlohmann::json object = messageJson(p, seq);
  RoomEventPtr event = messageEvent(p, object);
  if (hooks_) hooks_->afterSend(id_, p.message, p.msgId, seq, p.timeMs);
  fanOut(event, object);
  if (options_.history > 0) {
    history_.emplace_back(p.timeMs, std::move(object));
    while (history_.size() > options_.history) history_.pop_front();
  }
}

void Room::echoDropped(const Pending& p) {
  // NOTE: R6: a sender always sees its own message, even one the limit dropped;
  // it carries the room's last seq so a client's seq never goes backwards.
  if (Member* sender = memberByToken(p.senderToken))
    sender->deliver(messageEvent(p, messageJson(p, seq_)));
}

Member* Room::memberByToken(uint64_t token) const {
  if (token == 0) return nullptr;
  auto it = byToken_.find(token);
  return it == byToken_.end() ? nullptr : it->second;
}

void Room::emit(nlohmann::json event, bool isMessage) {
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

void Room::fanOut(const RoomEventPtr& event, const nlohmann::json& object) {
  // NOTE: a member may leave while it is being delivered to (a slow consumer
  // dropping itself); leave() then leaves a hole that is closed afterwards.
  const bool outer = !fanningOut_;
  fanningOut_ = true;
  for (size_t i = 0; i < list_.size(); ++i) {
    if (Member* m = list_[i]) m->deliver(event);
  }
  if (eventTap_ && event->seq > 0) eventTap_(event, object);
  if (!outer) return;
  fanningOut_ = false;
  if (holes_) {
    holes_ = false;
    std::erase(list_, nullptr);
    for (size_t i = 0; i < list_.size(); ++i) index_[list_[i]].position = i;
  }
}

RoomError Room::setStatus(int status, std::string_view reason, const std::string& replay) {
  if (!replay.empty() && status != static_cast<int>(RoomStatus::Replay))
    return {code::kBadParameter, "a replay recording goes with status 5 (replay)"};
  const RoomStatus before = info_.status();
  const std::string replayBefore = replay_;
  if (RoomError e = info_.setStatus(status); !e.ok()) return e;
  if (info_.status() != RoomStatus::Paused) endTimer_.stop();
  replay_ = info_.status() == RoomStatus::Replay ? replay : std::string();
  if (info_.status() == before && replay_ == replayBefore) return {};
  spdlog::info("room {}: status {} -> {} ({}{})", id_, statusReasonName(before),
               statusReasonName(info_.status()), reason,
               replay_.empty() ? "" : ", replay " + replay_);
  auto event = eventHead("status", 0, 0);
  event["status"] = status;
  event["reason"] = std::string(reason);
  if (!replay_.empty()) event["replay"] = replayJson();
  emit(std::move(event), false);
  return {};
}

nlohmann::json Room::replayJson() const {
  if (replay_.empty()) return nullptr;
  // NOTE: what a client loads: the recording as HLS VOD with the chat inside, and
  // the event log for clients that draw the danmaku themselves.
  return {{"id", replay_},
          {"url", "/replay/" + replay_ + ".m3u8"},
          {"events", "/replay/" + replay_ + "/events.json"}};
}

RoomError Room::updateInfo(const nlohmann::json& patch) {
  if (!patch.is_object()) return {code::kBadParameter, "expected a JSON object"};
  RoomInfo next = info_;
  nlohmann::json changed = nlohmann::json::object();
  auto text = [&](const char* key, auto setter) -> RoomError {
    auto it = patch.find(key);
    if (it == patch.end()) return {};
    if (!it->is_string()) return {code::kBadParameter, std::string(key) + " must be a string"};
    if (RoomError e = (next.*setter)(it->template get<std::string>()); !e.ok()) return e;
    changed[key] = *it;
    return {};
  };
  if (RoomError e = text("announcement", &RoomInfo::setAnnouncement); !e.ok()) return e;
  if (RoomError e = text("introduction", &RoomInfo::setIntroduction); !e.ok()) return e;
  if (auto it = patch.find("attributes"); it != patch.end()) {
    if (!it->is_object()) return {code::kBadParameter, "attributes must be an object of strings"};
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return {code::kBadParameter, "attribute " + k + " must be a string"};
      if (RoomError e = next.setAttribute(k, v.get<std::string>()); !e.ok()) return e;
    }
    changed["attributes"] = attributesJson(next);
  }
  if (changed.empty()) return {};
  info_ = std::move(next);
  auto event = eventHead("info", 0, 0);
  for (auto& [k, v] : changed.items()) event[k] = v;
  emit(std::move(event), false);
  return {};
}

void Room::setRateLimit(double perSecond) {
  limiter_.setRate(perSecond);
}

void Room::mute(const std::string& user, int64_t seconds) {
  const int64_t now = core::wallClockMs();
  auto event = eventHead("mute", 0, 0);
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
  spdlog::info("room {}: {} {}", id_, user,
               seconds > 0 ? "muted for " + std::to_string(seconds) + " s" : "unmuted");
  emit(std::move(event), false);
}

void Room::muteAll(bool on) {
  if (mutedAll_ == on) return;
  mutedAll_ = on;
  spdlog::info("room {}: whole room {}", id_, on ? "muted" : "unmuted");
  auto event = eventHead("mute", 0, 0);
  event["user"] = nullptr;
  event["all"] = on;
  emit(std::move(event), false);
}

RoomError Room::checkSend(const Sender& who) const {
  const int64_t now = core::wallClockMs();
  if (auto until = liveUntil(muted_, who.id, now))
    return {code::kMuted, "you are muted in room " + id_ + " " + secondsLeft(*until, now)};
  const MemberRole role = roleOf(who);
  if (mutedAll_ && role != MemberRole::Admin && role != MemberRole::Owner)
    return {code::kMuted, "room " + id_ + " is muted: only its owner and admins may speak"};
  return {};
}

size_t Room::kick(const std::string& user, const std::string& reason, int64_t banSeconds) {
  const int64_t now = core::wallClockMs();
  const int64_t until = banSeconds <= 0 ? kForever : untilFor(banSeconds, now);
  pruneExpired(banned_, now);
  banned_[user] = until;
  std::vector<Member*> gone;
  for (Member* m : list_)
    if (m && m->identity().id == user) gone.push_back(m);
  for (Member* m : gone) leave(*m, "Kicked");
  // NOTE: built after the leaves, with the room's current seq, so a kicked
  // connection never sees a seq lower than one it already had; the rest of the
  // room then gets it as a room event of its own.
  auto event = eventHead("kicked", seq_, now);
  event["user"] = user;
  event["reason"] = reason;
  event["until"] = untilJson(until);
  RoomEventPtr kicked = makeRoomEvent(core::dumpJson(event), seq_, now);
  for (Member* m : gone) m->removedFrom(id_, kicked);
  spdlog::info("room {}: {} kicked ({} connections, banned {}): {}", id_, user, gone.size(),
               secondsLeft(until, now), reason);
  emit(std::move(event), false);
  return gone.size();
}

bool Room::unban(const std::string& user) {
  return banned_.erase(user) > 0;
}

RoomError Room::checkJoin(const Sender& who) const {
  const int64_t now = core::wallClockMs();
  if (auto until = liveUntil(banned_, who.id, now))
    return {code::kNoPermission,
            "you were kicked from room " + id_ + " and are banned " + secondsLeft(*until, now)};
  return {};
}

nlohmann::json Room::mutes() const {
  const int64_t now = core::wallClockMs();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [user, until] : muted_)
    if (until > now) list.push_back({{"id", user}, {"until", untilJson(until)}});
  return {{"room", id_}, {"all", mutedAll_}, {"members", std::move(list)}};
}

nlohmann::json Room::bans() const {
  const int64_t now = core::wallClockMs();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [user, until] : banned_)
    if (until > now) list.push_back({{"id", user}, {"until", untilJson(until)}});
  return {{"room", id_}, {"members", std::move(list)}};
}

void Room::streamPublished() {
  endTimer_.stop();
  setStatus(static_cast<int>(RoomStatus::Live), "stream published");
}

void Room::streamGone(int64_t endedAfterMs) {
  if (info_.status() != RoomStatus::Live) return;
  setStatus(static_cast<int>(RoomStatus::Paused), "publisher gone");
  endTimer_.start(static_cast<uint64_t>(std::max<int64_t>(0, endedAfterMs)));
}

bool Room::revoke(const std::string& msgId) {
  const size_t before = history_.size();
  std::erase_if(history_, [&](const auto& entry) { return entry.second["msgId"] == msgId; });
  const bool found = history_.size() != before;
  auto event = eventHead("revoke", 0, 0);
  event["msgId"] = msgId;
  emit(std::move(event), false);
  spdlog::info("room {}: message {} revoked", id_, msgId);
  return found;
}

nlohmann::json Room::history() const {
  nlohmann::json out = nlohmann::json::array();
  const int64_t oldest = core::wallClockMs() - kHistoryMaxAgeMs;
  for (const auto& [time, event] : history_)
    if (time >= oldest) out.push_back(event);
  return out;
}

nlohmann::json Room::members(std::optional<MemberRole> role, size_t limit) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : recent_) {
    if (list.size() >= limit) break;
    if (role && r.who.role != *role) continue;
    auto m = r.who.toJson();
    m["joined"] = r.joinedMs;
    list.push_back(std::move(m));
  }
  return {{"room", id_}, {"online", index_.size()}, {"members", std::move(list)}};
}

nlohmann::json Room::countersJson() const {
  return {{"accepted", counters_.accepted},
          {"delivered", counters_.delivered},
          {"rateDropped", counters_.rateDropped},
          {"rejected", counters_.rejected},
          {"filtered", counters_.filtered}};
}

nlohmann::json Room::describe() const {
  return {{"id", id_},
          {"owner", owner_},
          {"status", static_cast<int>(info_.status())},
          {"replay", replayJson()},
          {"announcement", info_.announcement()},
          {"introduction", info_.introduction()},
          {"attributes", attributesJson(info_)},
          {"online", index_.size()},
          {"peakOnline", peakOnline_},
          {"rateLimit", static_cast<int64_t>(limiter_.rate())},
          {"messages", counters_.delivered},
          {"created", createdMs_},
          {"mutedAll", mutedAll_},
          {"likes", likeTotal_},
          {"gifts", giftTotal_},
          {"popularity", popularity()},
          {"counters", countersJson()}};
}

void Room::dismiss() {
  alive_.reset();  // late backend verdicts are ignored
  auto event = eventHead("dismissed", 0, 0);
  event["seq"] = ++seq_;
  event["time"] = core::wallClockMs();
  RoomEventPtr dismissed = makeRoomEvent(core::dumpJson(event), seq_, core::wallClockMs());
  std::vector<Member*> all;
  for (Member* m : list_)
    if (m) all.push_back(m);
  list_.clear();
  index_.clear();
  byToken_.clear();
  for (Member* m : all) {
    if (hooks_ && m->identity().role != MemberRole::Guest)
      hooks_->memberChanged(id_, m->identity().id, false, "Quit");
    m->removedFrom(id_, dismissed);
  }
  auto waiting = std::move(hookQueue_);
  hookQueue_.clear();
  for (auto& h : waiting)
    if (h.done) h.done({{code::kNoSuchRoom, "room " + id_ + " was deleted"}, {}});
  tick_.stop();
  endTimer_.stop();
  lotteryTimer_.stop();
}

}  // namespace room
