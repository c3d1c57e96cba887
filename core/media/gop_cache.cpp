#include "core/media/gop_cache.hpp"

namespace core {

void GopCache::add(const MediaPacket& packet) {
  if (packet.config) return;
  if (packet.isVideo() && packet.keyframe) clear();
  // Before the first keyframe there is nothing a viewer could start from.
  if (packets_.empty() && !(packet.isVideo() && packet.keyframe)) return;

  packets_.push_back(packet);
  bytes_ += packet.payload.size();
  const int64_t span = packet.dts - packets_.front().dts;
  if (span > limits_.maxDurationMs || bytes_ > limits_.maxBytes) clear();
}

void GopCache::clear() {
  packets_.clear();
  bytes_ = 0;
}

}  // namespace core
