// PlaylistShared: what the loop and a PlaylistPlayer's thread share: the stop flag,
// a PATCH waiting for the next item, the count of packets posted and not yet
// published (the bound on the mailbox), and the wake-up for the thread's waits.
// Held by shared_ptr by the Playlist and its thread; every member thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "mixer/playlist_spec.hpp"

namespace mixer {

class PlaylistShared {
 public:
  // Packets in the mailbox at most; the player waits (its own thread) past that.
  static constexpr size_t kMaxInFlight = 64;

  // Loop thread: the thread returns from any wait at once.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
  }
  bool stopped() const { return stop_.load(std::memory_order_acquire); }
  const std::atomic<bool>& stopFlag() const { return stop_; }

  // Loop thread: a new list for after the current item.
  void change(std::vector<PlaylistItem> items, bool loop) {
    {
      std::lock_guard lock(mutex_);
      change_ = std::make_pair(std::move(items), loop);
    }
    wake_.notify_all();
  }
  // Player thread: the change queued since the last call, if any.
  std::optional<std::pair<std::vector<PlaylistItem>, bool>> takeChange() {
    std::lock_guard lock(mutex_);
    return std::exchange(change_, std::nullopt);
  }

  // Player thread: sleeps until `deadline` (or a change comes, with
  // `wakeOnChange`); false when stopped.
  bool sleepUntil(std::chrono::steady_clock::time_point deadline, bool wakeOnChange = false) {
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, deadline,
                     [&] { return stopped() || (wakeOnChange && change_.has_value()); });
    return !stopped();
  }
  // Player thread: a change is waiting.
  bool changePending() {
    std::lock_guard lock(mutex_);
    return change_.has_value();
  }
  // Player thread: one more packet posted; waits while kMaxInFlight are; false
  // when stopped.
  bool reserve() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return stopped() || inFlight_ < kMaxInFlight; });
    if (stopped()) return false;
    ++inFlight_;
    return true;
  }
  // Loop thread: a posted packet was published (or dropped).
  void release() {
    {
      std::lock_guard lock(mutex_);
      if (inFlight_ > 0) --inFlight_;
    }
    wake_.notify_all();
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  size_t inFlight_ = 0;                                               // guarded by mutex_
  std::optional<std::pair<std::vector<PlaylistItem>, bool>> change_;  // guarded by mutex_
};

}  // namespace mixer
