// classifyDatagram: which protocol a datagram on the muxed WebRTC port carries, from its
// first two bytes (RFC 7983 §7, as updated by RFC 9443; RTCP by RFC 5761 §4). Pure; any
// thread.
#pragma once

#include <cstdint>
#include <span>

namespace webrtc {

enum class DatagramKind { Stun, Dtls, Rtp, Rtcp, Unknown };

// First byte: 0-3 STUN, 20-63 DTLS, 128-191 RTP or RTCP; everything else (ZRTP 16-19,
// TURN channels 64-79, QUIC, the unassigned ranges) is Unknown here. An empty datagram,
// or an RTP/RTCP one shorter than 2 bytes, is Unknown.
inline DatagramKind classifyDatagram(std::span<const uint8_t> datagram) {
  if (datagram.empty()) return DatagramKind::Unknown;
  const uint8_t first = datagram[0];
  if (first <= 3) return DatagramKind::Stun;
  if (first >= 20 && first <= 63) return DatagramKind::Dtls;
  if (first >= 128 && first <= 191) {
    if (datagram.size() < 2) return DatagramKind::Unknown;
    // NOTE: RFC 5761 §4: with rtcp-mux, a second byte (marker bit + payload type) of
    // 192-223 is an RTCP packet type (SR 200, RR 201, SDES 202, BYE 203, APP 204,
    // RTPFB 205, PSFB 206, XR 207, and the old 192-195); RTP must not use payload types
    // 64-95 beside RTCP, so those values are never RTP.
    const uint8_t second = datagram[1];
    return second >= 192 && second <= 223 ? DatagramKind::Rtcp : DatagramKind::Rtp;
  }
  return DatagramKind::Unknown;
}

}  // namespace webrtc
