#include "core/media/packet_batch.hpp"

#include <algorithm>

#include "core/media/media_sink.hpp"

namespace core {

void PacketBatch::add(const MediaPacket& packet, uint64_t seq) {
  if (packets_.empty()) firstSeq_ = seq;
  packets_.push_back(packet);
  payloadBytes_ += packet.payload.size();
  if (packet.leading)
    for (const MediaPacket& p : packet.leading->packets) payloadBytes_ += p.payload.size();
  if (packet.kind == MediaKind::Video) hasVideo_ = true;
  if (packet.neverDropped()) return;
  if (oldestMediaDts_ == kNoMedia) oldestMediaDts_ = packet.dts;
  newestMediaDts_ = std::max(newestMediaDts_, packet.dts);
}

void PacketBatch::clear() {
  packets_.clear();
  oldestMediaDts_ = newestMediaDts_ = kNoMedia;
  hasVideo_ = false;
  payloadBytes_ = 0;
  bytesOut_ = 0;
  for (size_t i = 0; i < kForms; ++i) {
    if (!built_[i]) continue;
    forms_[i] = SharedBuffer();
    built_[i] = false;
  }
}

void MediaSink::onBatch(const PacketBatch& batch, size_t from) {
  const auto& packets = batch.packets();
  for (size_t i = from; i < packets.size(); ++i) {
    const MediaPacket& p = packets[i];
    if (!p.leading || takesLeadingData()) {
      onPacket(p);
      continue;
    }
    for (const MediaPacket& held : p.leading->packets) onPacket(held);
    MediaPacket bare = p;
    bare.leading.reset();
    onPacket(bare);
  }
}

}  // namespace core
