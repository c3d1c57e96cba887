// Lottery: a danmaku lottery (R16). An admin starts one with a keyword, a window
// and a number of winners; members whose text message holds the keyword within
// the window enter once; at the end the winners are drawn without replacement
// with the system's cryptographic RNG (getrandom). Owned by a Room; loop thread.
#pragma once

#include <sys/random.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "room/chat_message.hpp"

namespace room {

class Lottery {
 public:
  Lottery(std::string keyword, int64_t startMs, int64_t endMs, size_t winners)
      : keyword_(std::move(keyword)), startMs_(startMs), endMs_(endMs), winners_(winners) {}

  const std::string& keyword() const { return keyword_; }
  int64_t endMs() const { return endMs_; }
  size_t winnerCount() const { return winners_; }
  bool open(int64_t nowMs) const { return !drawn_ && nowMs >= startMs_ && nowMs < endMs_; }
  bool drawn() const { return drawn_; }
  const std::vector<Sender>& entrants() const { return entrants_; }
  const std::vector<Sender>& winners() const { return drawnWinners_; }

  // A text message sent at `nowMs`: enters its sender once if it holds the keyword.
  bool consider(const Sender& from, std::string_view text, int64_t nowMs) {
    if (!open(nowMs) || text.find(keyword_) == std::string_view::npos) return false;
    if (!ids_.insert(from.id).second) return false;
    entrants_.push_back(from);
    return true;
  }

  // Draws min(winners, entrants) distinct winners (a partial Fisher-Yates shuffle
  // driven by getrandom, unbiased by rejection sampling).
  const std::vector<Sender>& draw() {
    if (drawn_) return drawnWinners_;
    drawn_ = true;
    std::vector<Sender> pool = entrants_;
    const size_t n = std::min(winners_, pool.size());
    for (size_t i = 0; i < n; ++i) {
      const size_t j = i + uniform(pool.size() - i);
      std::swap(pool[i], pool[j]);
      drawnWinners_.push_back(pool[i]);
    }
    return drawnWinners_;
  }

 private:
  // A uniform value in [0, bound) from the kernel's CSPRNG.
  static size_t uniform(size_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t v = 0;
    do {
      while (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
      }
    } while (v >= limit);
    return static_cast<size_t>(v % bound);
  }

  std::string keyword_;
  int64_t startMs_, endMs_;
  size_t winners_;
  bool drawn_ = false;
  std::set<std::string> ids_;
  std::vector<Sender> entrants_;
  std::vector<Sender> drawnWinners_;
};

}  // namespace room
