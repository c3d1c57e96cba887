// Media packets for unit tests: a real H.264 (High) decoder configuration record,
// AAC LC 48 kHz stereo, and frames with a small AVCC payload.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"

namespace media_samples {

inline const std::vector<uint8_t> kAvcConfig = {
    0x01, 0x64, 0x00, 0x0d, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41,
    0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x42, 0x99,
    0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00};
inline const std::vector<uint8_t> kAsc = {0x11, 0x90};

// The codec configuration of a video (H.264) or audio (AAC) track at `dts`.
inline core::MediaPacket config(core::MediaKind kind, int64_t dts = 0) {
  core::MediaPacket p;
  p.kind = kind;
  p.codec = kind == core::MediaKind::Video ? core::Codec::H264 : core::Codec::AAC;
  p.dts = p.pts = dts;
  p.config = true;
  p.payload = core::SharedBuffer::copyOf(kind == core::MediaKind::Video
                                             ? std::span<const uint8_t>(kAvcConfig)
                                             : std::span<const uint8_t>(kAsc));
  return p;
}

// A frame: one AVCC NAL (length 2) or a raw AAC frame.
inline core::MediaPacket frame(core::MediaKind kind, int64_t dts, bool key = false) {
  core::MediaPacket p;
  p.kind = kind;
  p.codec = kind == core::MediaKind::Video ? core::Codec::H264 : core::Codec::AAC;
  p.dts = p.pts = dts;
  p.keyframe = key;
  p.payload = core::SharedBuffer::copyOf(std::vector<uint8_t>{0, 0, 0, 2, 0x65, 0x88});
  return p;
}

}  // namespace media_samples
