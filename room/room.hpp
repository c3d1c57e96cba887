// Room: one live chat room (an "AVChatRoom", R3): members, status and info (R4,
// R5), messages through the priority rate limit (R6), history (R10), the online
// count push rule (R11), recent joiners (R15), counters (R19). Every event is
// encoded once and handed to every member (they share the bytes). Owned by the
// RoomRegistry; loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/loop/timer.hpp"
#include "room/chat_message.hpp"
#include "room/gift_streaks.hpp"
#include "room/lottery.hpp"
#include "room/member.hpp"
#include "room/online_count_pusher.hpp"
#include "room/priority_rate_limiter.hpp"
#include "room/room_hooks.hpp"
#include "room/room_info.hpp"
#include "room/user_level.hpp"

namespace core {
class EventLoop;
}

namespace room {

struct RoomOptions {
  double rateLimit = 40;  // deliveries per second
  size_t history = 0;     // 0 = off; else the last N messages younger than 24 h
  size_t recentMembers = 30;
  size_t enterLeaveMaxMembers = 500;  // above: no enter/leave events
  OnlineCountPusher::Options online;
  int64_t giftFlushEvery = 20;  // a running gift streak is flushed every N gifts...
  int64_t giftPauseMs = 1000;   // ...and after this pause (R7)
  int64_t likeWindowMs = 1000;  // likes are summed over this window (R8)
  LevelRule level;              // R9
  PopularityRule popularity;
  size_t maxUserStats = 100000;  // users a room keeps stats for (guests never)
};

struct RoomCounters {
  uint64_t accepted = 0;     // offered to the rate limit
  uint64_t delivered = 0;    // fanned out
  uint64_t rateDropped = 0;  // accepted, then dropped by the rate limit
  uint64_t rejected = 0;     // refused with an error
  uint64_t filtered = 0;     // masked or refused by the word filter
};

class Room {
 public:
  static constexpr int64_t kHistoryMaxAgeMs = 24 * 3600 * 1000;

  // `nextMessageId` gives server-unique message ids.
  Room(core::EventLoop& loop, std::string id, std::string owner, RoomOptions options,
       std::function<std::string()> nextMessageId);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& id() const { return id_; }
  const std::string& owner() const { return owner_; }
  const RoomInfo& info() const { return info_; }
  const RoomCounters& counters() const { return counters_; }
  size_t online() const { return index_.size(); }
  bool has(const Member& member) const { return index_.contains(const_cast<Member*>(&member)); }
  MemberRole roleOf(const Sender& who) const;

  // Adds `member` and returns the join reply's fields (status, announcement,
  // introduction, attributes, online, seq, history). Joining twice only replies.
  nlohmann::json join(Member& member);
  // `cause` for the backend's member-state hook: Quit, LinkClose, Kicked.
  void leave(Member& member, const char* cause = "Quit");

  // The backend's hooks (not owned; may be null).
  void setHooks(RoomHooks* hooks) { hooks_ = hooks; }
  RoomHooks* hooks() const { return hooks_; }

  struct Accepted {
    std::string msgId;
    int64_t timeMs = 0;
  };
  // Offers a checked message to the rate limit; `sender` (may be null: the
  // server API) sees it even if the limit drops it.
  Accepted send(Member* sender, ChatMessage message);

  // A member's message through the before-send hook when there is one (R14):
  // verdicts are applied in submission order, so the room's seq order is the
  // order of sending. `done` runs once, never inside submit() when a hook is
  // asked; error 10016 (or the backend's code) when refused; a silent drop
  // looks like success to the sender.
  struct Submitted {
    RoomError error;
    Accepted accepted;
  };
  static constexpr size_t kMaxHookQueue = 10000;
  static constexpr size_t kMaxHookPerSender = 16;
  void submit(Member* sender, ChatMessage message, const std::string& clientIp,
              std::function<void(Submitted)> done);
  void countRejected() { ++counters_.rejected; }
  void countFiltered() { ++counters_.filtered; }
  // Revokes a delivered message (R14: media allowed at once, checked later):
  // members get a "revoke" event to hide it, and it leaves the history.
  // Returns whether it was in the history.
  bool revoke(const std::string& msgId);

  // A gift the backend billed (R7): an explicit count is one High message at
  // once; `streak` clicks of (user, gift) merge (GiftStreaks). Totals count all.
  Accepted gift(const Sender& from, const std::string& gift, int64_t count, bool streak);
  // Likes (R8): counted at once (exact, before any rate limit), delivered as one
  // Low message per window with the sum. Returns the room's like total.
  int64_t like(const Sender& from, int64_t count);
  int64_t likes() const { return likeTotal_; }
  nlohmann::json giftsJson(size_t top) const;

  // A danmaku lottery (R16): 10004 if one is running. Members' text messages
  // holding `keyword` in the next `seconds` enter; winners are announced as a
  // High system message when it ends.
  RoomError startLottery(const std::string& keyword, int64_t seconds, size_t winners);
  nlohmann::json lotteryJson() const;

  // Levels and popularity (R9).
  int levelOf(const std::string& user) const;
  nlohmann::json userJson(const std::string& user) const;
  void setMembership(const std::string& user, bool member);
  int64_t popularity() const;

  // Changes reach members at once, never rate-limited.
  // Status 5 (replay) may name the recording to load (its id, see
  // docs/recording.md): members get it in the status event and the join reply.
  RoomError setStatus(int status, std::string_view reason, const std::string& replay = {});
  // Any of announcement, introduction, attributes ({key: value, "" removes});
  // all or nothing.
  RoomError updateInfo(const nlohmann::json& patch);
  void setRateLimit(double perSecond);
  double rateLimit() const { return limiter_.rate(); }

  // Moderation (R12, R13). Times are wall-clock ms; kForever never ends. A mute
  // or a ban is kept by user id, so it survives leaving and rejoining.
  static constexpr int64_t kForever = INT64_MAX;
  // seconds 0 lifts; >= 4294967295 (the IM's "forever") never ends.
  void mute(const std::string& user, int64_t seconds);
  void muteAll(bool on);
  bool mutedAll() const { return mutedAll_; }
  // 10017 when `who` may not send now (muted, or the room is and who is no admin).
  RoomError checkSend(const Sender& who) const;
  // Removes every connection of `user` (they get a "kicked" event) and bans it
  // for `banSeconds` (0: forever). Returns how many connections were removed.
  size_t kick(const std::string& user, const std::string& reason, int64_t banSeconds);
  bool unban(const std::string& user);
  // 10007 when `who` is banned (checked before join).
  RoomError checkJoin(const Sender& who) const;
  nlohmann::json mutes() const;
  nlohmann::json bans() const;

  // The clock of the stream of the same key (S1): every event gets a "streamTime"
  // while it gives one. Set by the RoomRegistry.
  using StreamClock = std::function<std::optional<int64_t>()>;
  void setStreamClock(StreamClock clock) { streamClock_ = std::move(clock); }
  // Sees every room event (seq > 0) as it is fanned out: the sidechannel's feed,
  // with the JSON object the event's text was written from.
  using EventTap = std::function<void(const RoomEventPtr&, const nlohmann::json& object)>;
  void setEventTap(EventTap tap) { eventTap_ = std::move(tap); }

  // The stream of the same key (R4, when the config lets the stream drive it).
  void streamPublished();
  void streamGone(int64_t endedAfterMs);

  nlohmann::json history() const;  // oldest first, younger than 24 h
  nlohmann::json members(std::optional<MemberRole> role, size_t limit) const;
  nlohmann::json describe() const;
  nlohmann::json countersJson() const;

  // The room is deleted: every member is told and removed.
  void dismiss();

 private:
  struct Pending {
    std::string msgId;
    int64_t timeMs;
    uint64_t senderToken;  // 0: no member sender
    ChatMessage message;
    std::optional<int64_t> streamTimeMs;  // when accepted
  };
  struct Slot {
    size_t position;
    uint64_t token;
  };
  struct Recent {
    Sender who;
    int64_t joinedMs;
  };

  std::optional<int64_t> streamNow() const;
  nlohmann::json replayJson() const;
  nlohmann::json eventHead(const char* event, int64_t seq, int64_t timeMs) const {
    return eventHead(event, seq, timeMs, streamNow());
  }
  // With the stream time already known (none: the member is left out).
  nlohmann::json eventHead(const char* event, int64_t seq, int64_t timeMs,
                           std::optional<int64_t> streamTime) const;
  nlohmann::json messageJson(const Pending& p, int64_t seq) const;
  RoomEventPtr messageEvent(const Pending& p, const nlohmann::json& object) const;
  void emit(nlohmann::json event, bool isMessage);
  void fanOut(const RoomEventPtr& event, const nlohmann::json& object);
  void deliverPending(Pending p);
  Accepted sendAs(uint64_t senderToken, bool fromMember, ChatMessage message);
  void drainHooks();
  void offer(Pending p);
  void flushMerged(int64_t nowMs);
  void echoDropped(const Pending& p);
  void onTick();
  void schedule(int64_t dueMs);
  void checkOnline();
  Member* memberByToken(uint64_t token) const;

  core::EventLoop& loop_;
  std::string id_;
  std::string owner_;
  RoomOptions options_;
  std::function<std::string()> nextMessageId_;
  RoomInfo info_;
  RoomCounters counters_;
  PriorityRateLimiter<Pending> limiter_;
  OnlineCountPusher pusher_;
  std::mt19937 rng_;
  int64_t seq_ = 0;
  int64_t createdMs_;
  size_t peakOnline_ = 0;
  uint64_t nextToken_ = 1;
  std::vector<Member*> list_;  // fan-out order; holes (nullptr) while fanning out
  std::unordered_map<Member*, Slot> index_;
  std::unordered_map<uint64_t, Member*> byToken_;
  bool fanningOut_ = false;
  bool holes_ = false;
  std::deque<std::pair<int64_t, nlohmann::json>> history_;  // (time, message event)
  std::deque<Recent> recent_;                               // newest first
  bool mutedAll_ = false;
  UserStats* statsFor(const Sender& who);
  std::unordered_map<std::string, UserStats> stats_;
  GiftStreaks streaks_;
  LikeWindow likeWindow_;
  int64_t likeTotal_ = 0;
  int64_t giftTotal_ = 0;
  std::map<std::string, int64_t> giftsById_;
  std::unordered_map<std::string, int64_t> givers_;  // user -> gifts given
  std::unordered_map<std::string, int64_t> muted_;   // user -> until (wall ms)
  std::unordered_map<std::string, int64_t> banned_;  // user -> until (wall ms)
  core::Timer tick_;
  int64_t tickDueMs_ = -1;
  core::Timer endTimer_;
  std::optional<Lottery> lottery_;
  RoomHooks* hooks_ = nullptr;
  std::string replay_;  // the recording of status 5
  StreamClock streamClock_;
  EventTap eventTap_;
  struct HookPending {
    uint64_t id;
    uint64_t senderToken;
    ChatMessage message;
    std::function<void(Submitted)> done;
    std::optional<HookVerdict> verdict;
  };
  std::deque<HookPending> hookQueue_;
  uint64_t nextHookId_ = 1;
  // NOTE: hook callbacks hold a weak_ptr to this: a room deleted while its
  // backend is thinking ignores the late verdict.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  core::Timer lotteryTimer_;
  void drawLottery();
};

}  // namespace room
