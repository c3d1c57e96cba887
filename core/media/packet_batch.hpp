// PacketBatch: the live packets of one merge window, which a Stream hands at once to
// each of its batched sinks (MediaSink::takesBatches). Owned by the Stream; sinks read
// it during the call only; loop thread. Besides the packets it keeps what a viewer's
// queue would learn from them (their media time span, whether video came) and, per
// wire form, the window's bytes back to back: built once by the first sink that asks,
// then written as is to every viewer in step with the stream.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"

namespace core {

class PacketBatch {
 public:
  // A form is a stream WireFormat, with or without the room events (a server option).
  static constexpr size_t kForms = 2 * kStreamFormats;
  static constexpr size_t formIndex(WireFormat format, bool events) {
    return 2 * static_cast<size_t>(format) + (events ? 1 : 0);
  }
  static constexpr int64_t kNoMedia = INT64_MIN;

  // Appends a packet (with its leading data, if any); `seq` numbers the Stream's
  // live packets, so a sink that joined mid-window can skip what its join burst had.
  void add(const MediaPacket& packet, uint64_t seq);
  // Empties the batch, keeping its storage.
  void clear();
  bool empty() const { return packets_.empty(); }
  size_t size() const { return packets_.size(); }
  const std::vector<MediaPacket>& packets() const { return packets_; }
  uint64_t firstSeq() const { return firstSeq_; }

  // The first and the newest dts among the packets a viewer queue times (those
  // that are not neverDropped()); kNoMedia when there are none.
  int64_t oldestMediaDts() const { return oldestMediaDts_; }
  int64_t newestMediaDts() const { return newestMediaDts_; }
  bool hasVideo() const { return hasVideo_; }

  // The form `form` of the whole window: `append(std::vector<uint8_t>&, const
  // MediaPacket&)` appends one packet's bytes (or none, for a packet the form
  // leaves out); built on the first call, shared after.
  // Bytes sinks wrote from this batch, for the Stream's egress meter (counted
  // here, in memory every sink touches anyway, not in each viewer's Subscription).
  void countBytesOut(uint64_t bytes) const { bytesOut_ += bytes; }
  uint64_t bytesOut() const { return bytesOut_; }

  template <typename Appender>
  const SharedBuffer& wireForm(size_t form, Appender&& append) const {
    SharedBuffer& slot = forms_[form];
    if (!built_[form]) {
      std::vector<uint8_t> out;
      out.reserve(payloadBytes_ + 64 * packets_.size());
      for (const MediaPacket& p : packets_) append(out, p);
      slot = SharedBuffer::adopt(std::move(out));
      built_[form] = true;
    }
    return slot;
  }

 private:
  std::vector<MediaPacket> packets_;
  uint64_t firstSeq_ = 0;
  int64_t oldestMediaDts_ = kNoMedia;
  int64_t newestMediaDts_ = kNoMedia;
  bool hasVideo_ = false;
  size_t payloadBytes_ = 0;
  mutable uint64_t bytesOut_ = 0;
  mutable std::array<SharedBuffer, kForms> forms_;
  mutable std::array<bool, kForms> built_{};
};

}  // namespace core
