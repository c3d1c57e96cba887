// RoomEventGate: keeps room events from a new RTMP / HTTP-FLV viewer until the media
// sent to it has run kHoldOffMs past its first packet. Owned by the viewer's
// MediaSender; loop thread.
#pragma once

#include <cstdint>
#include <optional>

#include "core/packet/media_packet.hpp"

namespace core {

class RoomEventGate {
 public:
  // NOTE: FFmpeg's FLV reader, with which VLC 3 reads HTTP-FLV and RTMP, makes a text
  // stream of the onTextData tags it meets while it probes a new stream (up to some
  // 20 video frames). VLC's clock is the lowest last dts of its tracks (within 10 s),
  // so that sparse track held it: no frame shown at the start, or a rebuffer after
  // each later event. VLC and ffmpeg ignore a stream that appears after the probe,
  // so the events may ride from then on; 2 s covers 20 frames at 10 fps.
  static constexpr int64_t kHoldOffMs = 2000;

  // Sees every packet the viewer is sent, in order. True: room events may go out
  // with it (or it, if it is one); false: they are held back (dropped).
  bool pass(const MediaPacket& packet) {
    if (open_) return true;
    if (packet.kind == MediaKind::Data || packet.config) return false;
    if (!firstMediaDts_) firstMediaDts_ = packet.dts;
    open_ = packet.dts - *firstMediaDts_ >= kHoldOffMs;
    return open_;
  }
  // Past the hold-off: room events pass from now on.
  bool open() const { return open_; }

 private:
  std::optional<int64_t> firstMediaDts_;
  bool open_ = false;
};

}  // namespace core
