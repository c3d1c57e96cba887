// GopCache: the packets from the latest video keyframe on, so a new viewer can
// start decoding at once (M3). Owned by its Stream; loop thread. Bounded in media
// time and bytes: a GOP longer than either limit is dropped, and caching resumes at
// the next keyframe (the viewer then waits for it instead).
#pragma once

#include <cstdint>
#include <vector>

#include "core/packet/media_packet.hpp"

namespace core {

class GopCache {
 public:
  struct Limits {
    int64_t maxDurationMs = 10000;
    size_t maxBytes = 32 * 1024 * 1024;
  };

  explicit GopCache(Limits limits) : limits_(limits) {}

  // Config packets are not cached here (the Stream keeps them apart).
  void add(const MediaPacket& packet);
  void clear();

  const std::vector<MediaPacket>& packets() const { return packets_; }
  size_t bytes() const { return bytes_; }
  bool empty() const { return packets_.empty(); }

 private:
  Limits limits_;
  std::vector<MediaPacket> packets_;
  size_t bytes_ = 0;
};

}  // namespace core
