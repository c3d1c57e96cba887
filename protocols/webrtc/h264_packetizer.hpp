// H.264 egress: one access unit of the hub (AVCC) -> RTP payloads (RFC 6184,
// packetization-mode 1). Pure code, no state; loop thread (usable from any thread).
// Built once per packet (MediaPacket::wireParts) and shared by every viewer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"

namespace webrtc {

// One RTP payload (no RTP header) as parts to write in order: slices of the access
// unit's bytes and small buffers of the STAP-A / FU-A headers.
struct RtpPayload {
  std::vector<core::SharedBuffer> parts;
  bool marker = false;  // the last packet of the access unit
  size_t size() const {
    size_t n = 0;
    for (const auto& p : parts) n += p.size();
    return n;
  }
};

// The smallest maxPayload packetizeH264 works with (an FU-A carries 2 header bytes).
inline constexpr size_t kH264MinPayload = 16;

// `au`: a video packet of the hub (AVCC; NAL length size from `avcConfig`, 4 without
// one). A keyframe (an IDR unit in it) without an in-band SPS gets the SPS and PPS of
// `avcConfig` first, in one STAP-A (RFC 6184 §5.7.1) or alone if that does not fit.
// A NAL unit up to maxPayload bytes goes alone (§5.6); a longer one in FU-A fragments
// (§5.8; S on the first, E on the last, never both). Access unit delimiters and filler
// data are left out. The marker is set on the last payload. Empty if the AU has nothing
// to send; empty with `error` set if its lengths run past its end, maxPayload is below
// kH264MinPayload or the packet is a config packet.
std::vector<RtpPayload> packetizeH264(const core::MediaPacket& au,
                                      std::span<const uint8_t> avcConfig, size_t maxPayload,
                                      std::string* error = nullptr);

}  // namespace webrtc
