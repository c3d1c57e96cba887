// RTCP: a bounded parser of compound (RFC 3550 §6) and reduced-size (RFC 5506) datagrams
// and the builders of what we send (SR, RR, SDES CNAME, NACK, PLI, FIR, REMB). Pure code,
// no state; loop thread (usable from any thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webrtc {

struct RtcpSenderReport {
  uint32_t ssrc = 0;
  uint64_t ntp = 0;  // NTP time, 32.32 fixed point
  uint32_t rtpTimestamp = 0;
  uint32_t packets = 0, octets = 0;
};
// RFC 3550 §6.4.1: one reception report. `reporterSsrc` (an addition to the plan) is the
// SSRC of the SR/RR that carried it; `ssrc` is the source it reports on.
struct RtcpReportBlock {
  uint32_t ssrc = 0;
  uint8_t fractionLost = 0;
  int32_t cumulativeLost = 0;  // 24-bit signed
  uint32_t highestSeq = 0, jitter = 0, lsr = 0, dlsr = 0;
  uint32_t reporterSsrc = 0;
};
struct RtcpNack {  // RFC 4585 §6.2.1 generic NACK, expanded to sequence numbers
  uint32_t senderSsrc = 0, mediaSsrc = 0;
  std::vector<uint16_t> lost;
};
struct RtcpPli {  // RFC 4585 §6.3.1
  uint32_t senderSsrc = 0, mediaSsrc = 0;
};
struct RtcpFir {  // RFC 5104 §4.3.1: one FCI entry; mediaSsrc is the entry's SSRC
  uint32_t senderSsrc = 0, mediaSsrc = 0;
  uint8_t seq = 0;
};
struct RtcpRemb {  // draft-alvestrand-rmcat-remb: PSFB FMT 15 "REMB"
  uint32_t senderSsrc = 0;
  uint64_t bitrate = 0;  // bits per second (mantissa << exponent)
  std::vector<uint32_t> ssrcs;
};
struct RtcpCompound {
  std::vector<RtcpSenderReport> srs;
  std::vector<RtcpReportBlock> reports;  // from SRs and RRs
  std::vector<RtcpNack> nacks;
  std::vector<RtcpPli> plis;
  std::vector<RtcpFir> firs;
  std::vector<RtcpRemb> rembs;
  std::vector<uint32_t> byes;  // SSRCs that said BYE
  size_t sdesChunks = 0;       // counted, not read
  size_t transportCc = 0;      // RTPFB FMT 15 (transport-wide CC), counted
  size_t unknown = 0;          // APP, XR, other feedback formats: counted, skipped
  size_t capped = 0;           // items left out: more than kRtcpMaxItems of a kind
};
// Per datagram and kind (report blocks, NACKed sequence numbers, FIR entries, ...).
inline constexpr size_t kRtcpMaxItems = 1024;

// Parses one RTCP datagram (after SRTCP): every packet's version and length word are
// checked against the datagram, report/SSRC counts against the packet's length, and the
// items kept per datagram are capped. A single packet of any type is accepted (RFC 5506),
// so is a compound not led by SR/RR. Errors name the packet's index, offset and field.
std::optional<RtcpCompound> parseRtcp(std::span<const uint8_t> datagram, std::string& error);

// Builders. Each returns one RTCP packet (or, for an RR with more than 31 blocks, several
// RRs); concatenate them for a compound packet (RFC 3550 §6.1: SR or RR first).
// An SR carries at most 31 report blocks; the rest are left out.
std::vector<uint8_t> buildSenderReport(const RtcpSenderReport& sr,
                                       std::span<const RtcpReportBlock> blocks = {});
std::vector<uint8_t> buildReceiverReport(uint32_t senderSsrc,
                                         std::span<const RtcpReportBlock> blocks);
// SDES with one chunk: CNAME (RFC 3550 §6.5.1), at most 255 bytes of it.
std::vector<uint8_t> buildSdesCname(uint32_t ssrc, std::string_view cname);
// Generic NACK: `lost` (in sequence order, wrap-around allowed: 65535 then 0) compressed
// into PID/BLP pairs; at most kRtcpMaxNackPairs pairs, later sequence numbers left out.
// Empty if `lost` is empty.
inline constexpr size_t kRtcpMaxNackPairs = 256;
std::vector<uint8_t> buildNack(const RtcpNack& nack);
std::vector<uint8_t> buildPli(const RtcpPli& pli);
std::vector<uint8_t> buildFir(const RtcpFir& fir);
// REMB with the bitrate rounded down to an 18-bit mantissa.
std::vector<uint8_t> buildRemb(const RtcpRemb& remb);

// NTP time (RFC 3550 §4: seconds since 1900 in 32.32 fixed point) of a Unix time in
// microseconds, for an SR; and its middle 32 bits, the "compact" form an RR echoes in
// LSR (RTT = arrival - LSR - DLSR, all compact, 1/65536 s).
uint64_t rtcpNtpFromUnixMicros(int64_t unixMicros);
inline uint32_t rtcpCompactNtp(uint64_t ntp) {
  return static_cast<uint32_t>(ntp >> 16);
}

// The (PID, BLP) pairs of a generic NACK for `lost` (exposed for tests).
std::vector<std::pair<uint16_t, uint16_t>> rtcpNackPairs(std::span<const uint16_t> lost);

}  // namespace webrtc
