// RoomHookGate: a room's messages waiting for the backend's before-send verdict
// (R14). Each is released with its verdict in submission order, so the room's seq
// order is the order of sending even when a later verdict comes first. Bounded in
// all and per sender. What a verdict means is the message path's business.
// Owned by a Room; loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "room/room_context.hpp"

namespace room {

class RoomHookGate {
 public:
  static constexpr size_t kMaxQueue = 10000;
  static constexpr size_t kMaxPerSender = 16;
  // A message's turn: the backend's verdict, or none when the room was deleted.
  using Release = std::function<void(std::optional<HookVerdict>)>;

  explicit RoomHookGate(RoomContext& ctx) : ctx_(ctx) {}

  // Whether the backend wants to see messages before they are sent.
  bool active() const { return ctx_.hooks && ctx_.hooks->hasBeforeSend(); }
  // Asks the backend about `message` (from the member connection
  // `senderToken`, 0: none); `release` runs once, never inside submit().
  // 10006 (the room's queue is full) or 10023 (the sender's is) and no release
  // when it cannot wait.
  RoomError submit(uint64_t senderToken, const ChatMessage& message, Release release);
  // The room is deleted: every waiting message is released without a verdict,
  // and verdicts that come later are ignored.
  void cancel();

 private:
  struct Waiting {
    uint64_t id;
    uint64_t senderToken;
    Release release;
    std::optional<HookVerdict> verdict;
  };
  void drain();

  RoomContext& ctx_;
  std::deque<Waiting> queue_;
  uint64_t nextId_ = 1;
  // NOTE: hook callbacks hold a weak_ptr to this: a room deleted while its
  // backend is thinking ignores the late verdict.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace room
