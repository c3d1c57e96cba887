// DanmakuInbox: the room's text messages on their way from the loop (DanmakuFeed)
// to a program's compositor thread (DanmakuLayer), through a bounded queue that
// never makes the loop wait, and the counters the API shows. Held by the program's
// CompositorState; any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "mixer/bounded_queue.hpp"

namespace mixer {

struct DanmakuItem {
  std::string text;
  uint32_t rgb = 0xFFFFFF;
  int64_t acceptedMs = 0;  // compositorNowMs() clock: when the room accepted it
};

struct DanmakuInbox {
  static constexpr size_t kCapacity = 512;  // ~10 s at the 40 messages/s of issue 18
  BoundedQueue<DanmakuItem> queue{kCapacity};
  // Relaxed counters: messages taken from the room, lost to a full queue, and (by
  // the compositor) let onto the picture, dropped while waiting, on screen now.
  std::atomic<uint64_t> received{0}, queueDropped{0}, shown{0}, dropped{0};
  std::atomic<uint64_t> onScreen{0};
};

}  // namespace mixer
