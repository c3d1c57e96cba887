#include "room/room_hook_gate.hpp"

#include <algorithm>

namespace room {

RoomError RoomHookGate::submit(uint64_t senderToken, const ChatMessage& message, Release release) {
  if (queue_.size() >= kMaxQueue)
    return {code::kTooFrequent, "room " + ctx_.id + " is waiting for its backend: retry later"};
  // NOTE: one slow verdict holds everything behind it; a sender may have only a
  // few messages waiting, so the queue's memory stays bounded per sender.
  if (senderToken != 0 &&
      std::count_if(queue_.begin(), queue_.end(), [senderToken](const Waiting& w) {
        return w.senderToken == senderToken;
      }) >= static_cast<std::ptrdiff_t>(kMaxPerSender))
    return {code::kTooFast, "too many messages waiting for the backend: slow down"};
  const uint64_t id = nextId_++;
  queue_.push_back({id, senderToken, std::move(release), std::nullopt});
  ctx_.hooks->beforeSend(ctx_.id, message,
                         [this, alive = std::weak_ptr<int>(alive_), id](HookVerdict verdict) {
                           if (alive.expired()) return;
                           for (auto& w : queue_) {
                             if (w.id == id) {
                               w.verdict = std::move(verdict);
                               break;
                             }
                           }
                           drain();
                         });
  return {};
}

void RoomHookGate::drain() {
  // NOTE: in submission order: a later message whose verdict came first waits
  // for the earlier ones, so every member sees the order the senders sent in.
  while (!queue_.empty() && queue_.front().verdict) {
    Waiting w = std::move(queue_.front());
    queue_.pop_front();
    if (w.release) w.release(std::move(w.verdict));
  }
}

void RoomHookGate::cancel() {
  alive_.reset();  // late backend verdicts are ignored
  auto waiting = std::move(queue_);
  queue_.clear();
  for (auto& w : waiting)
    if (w.release) w.release(std::nullopt);
}

}  // namespace room
