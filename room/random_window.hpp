// RandomWindow: the IM REST's duplicate detection (its "Random"): the same key
// (room, sender, Random) within 5 minutes is the same message, answered again
// and never delivered twice. Bounded in entries. Owned by the MessagePath; loop
// thread; pure (the caller passes the time).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

#include "room/room_context.hpp"

namespace room {

class RandomWindow {
 public:
  static constexpr int64_t kWindowMs = 5 * 60 * 1000;
  static constexpr size_t kMaxEntries = 100000;

  // The message first sent under `key`, if within the window.
  const Accepted* find(const std::string& key, int64_t nowMs) {
    expire(nowMs);
    auto it = sent_.find(key);
    return it == sent_.end() ? nullptr : &it->second;
  }

  void add(const std::string& key, int64_t nowMs, Accepted sent) {
    expire(nowMs);
    if (!sent_.emplace(key, std::move(sent)).second) return;
    order_.emplace_back(nowMs + kWindowMs, key);
    while (order_.size() > kMaxEntries) pop();
  }

 private:
  void expire(int64_t nowMs) {
    while (!order_.empty() && order_.front().first <= nowMs) pop();
  }
  void pop() {
    sent_.erase(order_.front().second);
    order_.pop_front();
  }

  std::unordered_map<std::string, Accepted> sent_;
  std::deque<std::pair<int64_t, std::string>> order_;  // (expiry, key), oldest first
};

}  // namespace room
