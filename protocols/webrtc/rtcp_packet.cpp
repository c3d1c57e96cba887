#include "protocols/webrtc/rtcp_packet.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/buffer/byte_io.hpp"

namespace webrtc {

namespace {

constexpr uint8_t kRtcpSr = 200;
constexpr uint8_t kRtcpRr = 201;
constexpr uint8_t kRtcpSdes = 202;
constexpr uint8_t kRtcpBye = 203;
constexpr uint8_t kRtcpRtpfb = 205;
constexpr uint8_t kRtcpPsfb = 206;
constexpr uint8_t kRtcpFmtNack = 1;
constexpr uint8_t kRtcpFmtTransportCc = 15;
constexpr uint8_t kRtcpFmtPli = 1;
constexpr uint8_t kRtcpFmtFir = 4;
constexpr uint8_t kRtcpFmtAfb = 15;
constexpr size_t kRtcpReportBlockSize = 24;
constexpr size_t kRtcpMaxBlocksPerPacket = 31;  // the 5-bit count

// One packet of the datagram: its header fields and its body (after the 4-byte
// header, without padding), for the per-type readers.
struct RtcpPart {
  uint8_t count;  // RC, SC or FMT
  uint8_t type;
  std::span<const uint8_t> body;
  size_t index;   // in the datagram, from 0
  size_t offset;  // of the header in the datagram
};

std::string rtcpWhere(const RtcpPart& p) {
  return fmt::format("rtcp: packet {} (type {}) at offset {}", p.index, p.type, p.offset);
}

// Appends `item` unless the kind is full (then counts it as capped).
template <typename T>
void rtcpKeep(std::vector<T>& kind, T item, RtcpCompound& out) {
  if (kind.size() < kRtcpMaxItems) {
    kind.push_back(std::move(item));
  } else {
    ++out.capped;
  }
}

void rtcpReadBlocks(core::ByteReader& r, size_t count, uint32_t reporter, RtcpCompound& out) {
  for (size_t i = 0; i < count; ++i) {
    RtcpReportBlock b;
    b.ssrc = r.u32();
    b.fractionLost = r.u8();
    const uint32_t lost = r.u24();
    // NOTE: cumulative lost is a 24-bit signed number (duplicates can make it negative).
    b.cumulativeLost = (lost & 0x800000) ? int32_t(lost) - 0x1000000 : int32_t(lost);
    b.highestSeq = r.u32();
    b.jitter = r.u32();
    b.lsr = r.u32();
    b.dlsr = r.u32();
    b.reporterSsrc = reporter;
    rtcpKeep(out.reports, b, out);
  }
}

// SR (RFC 3550 §6.4.1) or RR (§6.4.2); a profile extension after the blocks is skipped.
bool rtcpReadReport(const RtcpPart& p, RtcpCompound& out, std::string& error) {
  const size_t fixed = p.type == kRtcpSr ? 24 : 4;
  const size_t need = fixed + p.count * kRtcpReportBlockSize;
  if (p.body.size() < need) {
    error = fmt::format("{}: {} report blocks need {} bytes, the length gives {}", rtcpWhere(p),
                        p.count, need, p.body.size());
    return false;
  }
  core::ByteReader r(p.body);
  const uint32_t ssrc = r.u32();
  if (p.type == kRtcpSr) {
    RtcpSenderReport sr;
    sr.ssrc = ssrc;
    sr.ntp = r.u64();
    sr.rtpTimestamp = r.u32();
    sr.packets = r.u32();
    sr.octets = r.u32();
    rtcpKeep(out.srs, sr, out);
  }
  rtcpReadBlocks(r, p.count, ssrc, out);
  return true;
}

bool rtcpReadBye(const RtcpPart& p, RtcpCompound& out, std::string& error) {
  if (p.body.size() < p.count * size_t(4)) {
    error = fmt::format("{}: {} SSRCs need {} bytes, the length gives {}", rtcpWhere(p), p.count,
                        p.count * 4, p.body.size());
    return false;
  }
  core::ByteReader r(p.body);
  for (size_t i = 0; i < p.count; ++i) rtcpKeep(out.byes, r.u32(), out);
  return true;  // the optional reason is not read
}

// RTPFB (RFC 4585 §6.2): generic NACK expanded; transport-cc counted.
void rtcpReadRtpfb(const RtcpPart& p, uint32_t sender, uint32_t media, RtcpCompound& out) {
  if (p.count == kRtcpFmtTransportCc) {
    ++out.transportCc;
    return;
  }
  if (p.count != kRtcpFmtNack) {
    ++out.unknown;
    return;
  }
  RtcpNack nack{sender, media, {}};
  size_t seqs = 0;
  for (auto& n : out.nacks) seqs += n.lost.size();
  core::ByteReader r(p.body.subspan(8));
  while (r.remaining() >= 4) {
    const uint16_t pid = r.u16();
    const uint16_t blp = r.u16();
    for (int bit = -1; bit < 16; ++bit) {
      if (bit >= 0 && (blp & (1u << bit)) == 0) continue;
      if (seqs++ >= kRtcpMaxItems) {
        ++out.capped;
        continue;
      }
      nack.lost.push_back(static_cast<uint16_t>(pid + bit + 1));
    }
  }
  rtcpKeep(out.nacks, std::move(nack), out);
}

// PSFB (RFC 4585 §6.3): PLI, FIR (RFC 5104 §4.3.1), REMB; others counted.
bool rtcpReadPsfb(const RtcpPart& p, uint32_t sender, uint32_t media, RtcpCompound& out,
                  std::string& error) {
  core::ByteReader r(p.body.subspan(8));
  if (p.count == kRtcpFmtPli) {
    rtcpKeep(out.plis, RtcpPli{sender, media}, out);
  } else if (p.count == kRtcpFmtFir) {
    while (r.remaining() >= 8) {
      RtcpFir fir{sender, r.u32(), r.u8()};
      r.skip(3);
      rtcpKeep(out.firs, fir, out);
    }
  } else if (p.count == kRtcpFmtAfb && r.remaining() >= 8 && r.string(4) == "REMB") {
    RtcpRemb remb;
    remb.senderSsrc = sender;
    const size_t n = r.u8();
    const uint32_t expMantissa = r.u24();
    remb.bitrate = uint64_t(expMantissa & 0x3FFFF) << (expMantissa >> 18);
    if (r.remaining() < n * 4) {
      error = fmt::format("{}: REMB lists {} SSRCs in {} bytes", rtcpWhere(p), n, r.remaining());
      return false;
    }
    for (size_t i = 0; i < n; ++i) remb.ssrcs.push_back(r.u32());
    rtcpKeep(out.rembs, std::move(remb), out);
  } else {
    ++out.unknown;
  }
  return true;
}

bool rtcpReadFeedback(const RtcpPart& p, RtcpCompound& out, std::string& error) {
  if (p.body.size() < 8) {
    error = fmt::format("{}: feedback needs 8 bytes of SSRCs, the length gives {}", rtcpWhere(p),
                        p.body.size());
    return false;
  }
  core::ByteReader r(p.body);
  const uint32_t sender = r.u32();
  const uint32_t media = r.u32();
  if (p.type == kRtcpRtpfb) {
    rtcpReadRtpfb(p, sender, media, out);
    return true;
  }
  return rtcpReadPsfb(p, sender, media, out, error);
}

bool rtcpReadPart(const RtcpPart& p, RtcpCompound& out, std::string& error) {
  switch (p.type) {
    case kRtcpSr:
    case kRtcpRr:
      return rtcpReadReport(p, out, error);
    case kRtcpSdes:
      out.sdesChunks += p.count;
      return true;
    case kRtcpBye:
      return rtcpReadBye(p, out, error);
    case kRtcpRtpfb:
    case kRtcpPsfb:
      return rtcpReadFeedback(p, out, error);
    default:
      ++out.unknown;
      return true;
  }
}

// Splits off the packet at `offset`: header checks, length word, padding.
bool rtcpSplit(std::span<const uint8_t> datagram, size_t offset, size_t index, RtcpPart& p,
               size_t& length, std::string& error) {
  const size_t left = datagram.size() - offset;
  if (left < 4) {
    error = fmt::format("rtcp: packet {} at offset {}: {} bytes left, a header needs 4", index,
                        offset, left);
    return false;
  }
  const uint8_t b0 = datagram[offset];
  p = RtcpPart{static_cast<uint8_t>(b0 & 0x1F), datagram[offset + 1], {}, index, offset};
  if ((b0 >> 6) != 2) {
    error = fmt::format("{}: version {}, must be 2", rtcpWhere(p), b0 >> 6);
    return false;
  }
  // NOTE: 192-223 is RTCP's range beside RTP (RFC 5761 §4); anything else is not RTCP.
  if (p.type < 192 || p.type > 223) {
    error = fmt::format("{}: not an RTCP packet type", rtcpWhere(p));
    return false;
  }
  length = (size_t(datagram[offset + 2]) << 8 | datagram[offset + 3]) * 4 + 4;
  if (length > left) {
    error = fmt::format("{}: length word says {} bytes, {} left in the datagram", rtcpWhere(p),
                        length, left);
    return false;
  }
  size_t padding = 0;
  if ((b0 & 0x20) != 0) {
    padding = datagram[offset + length - 1];
    if (padding == 0 || padding > length - 4) {
      error =
          fmt::format("{}: padding count {} in a {}-byte packet", rtcpWhere(p), padding, length);
      return false;
    }
  }
  p.body = datagram.subspan(offset + 4, length - 4 - padding);
  return true;
}

void rtcpHeader(core::ByteWriter& w, size_t count, uint8_t type) {
  w.u8(static_cast<uint8_t>(0x80 | (count & 0x1F)));
  w.u8(type);
  w.u16(0);  // length, set by rtcpFinish
}

// Sets the length word of the packet that starts at `start` (zero-padded to 32 bits).
void rtcpFinish(core::ByteWriter& w, size_t start) {
  while ((w.size() - start) % 4 != 0) w.u8(0);
  const size_t words = (w.size() - start) / 4 - 1;
  w.vector()[start + 2] = static_cast<uint8_t>(words >> 8);
  w.vector()[start + 3] = static_cast<uint8_t>(words);
}

void rtcpWriteBlocks(core::ByteWriter& w, std::span<const RtcpReportBlock> blocks) {
  for (const auto& b : blocks) {
    w.u32(b.ssrc);
    w.u8(b.fractionLost);
    const int32_t lost = std::clamp(b.cumulativeLost, -0x800000, 0x7FFFFF);
    w.u24(static_cast<uint32_t>(lost) & 0xFFFFFF);
    w.u32(b.highestSeq);
    w.u32(b.jitter);
    w.u32(b.lsr);
    w.u32(b.dlsr);
  }
}

void rtcpFeedbackHeader(core::ByteWriter& w, uint8_t fmt, uint8_t type, uint32_t sender,
                        uint32_t media) {
  rtcpHeader(w, fmt, type);
  w.u32(sender);
  w.u32(media);
}

}  // namespace

std::optional<RtcpCompound> parseRtcp(std::span<const uint8_t> datagram, std::string& error) {
  if (datagram.empty()) {
    error = "rtcp: empty datagram";
    return std::nullopt;
  }
  RtcpCompound out;
  size_t offset = 0;
  for (size_t index = 0; offset < datagram.size(); ++index) {
    RtcpPart part{};
    size_t length = 0;
    if (!rtcpSplit(datagram, offset, index, part, length, error)) return std::nullopt;
    if (!rtcpReadPart(part, out, error)) return std::nullopt;
    offset += length;
  }
  return out;
}

std::vector<uint8_t> buildSenderReport(const RtcpSenderReport& sr,
                                       std::span<const RtcpReportBlock> blocks) {
  blocks = blocks.first(std::min(blocks.size(), kRtcpMaxBlocksPerPacket));
  core::ByteWriter w(28 + blocks.size() * kRtcpReportBlockSize);
  rtcpHeader(w, blocks.size(), kRtcpSr);
  w.u32(sr.ssrc);
  w.u64(sr.ntp);
  w.u32(sr.rtpTimestamp);
  w.u32(sr.packets);
  w.u32(sr.octets);
  rtcpWriteBlocks(w, blocks);
  rtcpFinish(w, 0);
  return w.take();
}

std::vector<uint8_t> buildReceiverReport(uint32_t senderSsrc,
                                         std::span<const RtcpReportBlock> blocks) {
  core::ByteWriter w(8 + blocks.size() * kRtcpReportBlockSize + 8);
  do {
    const auto chunk = blocks.first(std::min(blocks.size(), kRtcpMaxBlocksPerPacket));
    const size_t start = w.size();
    rtcpHeader(w, chunk.size(), kRtcpRr);
    w.u32(senderSsrc);
    rtcpWriteBlocks(w, chunk);
    rtcpFinish(w, start);
    blocks = blocks.subspan(chunk.size());
  } while (!blocks.empty());
  return w.take();
}

std::vector<uint8_t> buildSdesCname(uint32_t ssrc, std::string_view cname) {
  cname = cname.substr(0, 255);
  core::ByteWriter w(16 + cname.size());
  rtcpHeader(w, 1, kRtcpSdes);
  w.u32(ssrc);
  w.u8(1);  // CNAME
  w.u8(static_cast<uint8_t>(cname.size()));
  w.string(cname);
  w.u8(0);  // end of the item list; rtcpFinish pads with more nulls (RFC 3550 §6.5)
  rtcpFinish(w, 0);
  return w.take();
}

uint64_t rtcpNtpFromUnixMicros(int64_t unixMicros) {
  // NOTE: 2208988800 s from 1900-01-01 (NTP era 0) to 1970-01-01.
  constexpr uint64_t kNtpUnixOffsetSeconds = 2208988800ull;
  const uint64_t us = unixMicros < 0 ? 0 : uint64_t(unixMicros);
  const uint64_t seconds = us / 1000000 + kNtpUnixOffsetSeconds;
  const uint64_t fraction = ((us % 1000000) << 32) / 1000000;
  return seconds << 32 | fraction;
}

std::vector<std::pair<uint16_t, uint16_t>> rtcpNackPairs(std::span<const uint16_t> lost) {
  std::vector<std::pair<uint16_t, uint16_t>> pairs;
  for (uint16_t seq : lost) {
    if (!pairs.empty()) {
      // NOTE: modulo 2^16, so 65535 then 0 continue one pair (bit 0 = PID + 1).
      const uint16_t diff = static_cast<uint16_t>(seq - pairs.back().first);
      if (diff == 0) continue;
      if (diff <= 16) {
        pairs.back().second |= static_cast<uint16_t>(1u << (diff - 1));
        continue;
      }
    }
    if (pairs.size() == kRtcpMaxNackPairs) break;
    pairs.emplace_back(seq, 0);
  }
  return pairs;
}

std::vector<uint8_t> buildNack(const RtcpNack& nack) {
  const auto pairs = rtcpNackPairs(nack.lost);
  if (pairs.empty()) return {};
  core::ByteWriter w(12 + pairs.size() * 4);
  rtcpFeedbackHeader(w, kRtcpFmtNack, kRtcpRtpfb, nack.senderSsrc, nack.mediaSsrc);
  for (const auto& [pid, blp] : pairs) {
    w.u16(pid);
    w.u16(blp);
  }
  rtcpFinish(w, 0);
  return w.take();
}

std::vector<uint8_t> buildPli(const RtcpPli& pli) {
  core::ByteWriter w(12);
  rtcpFeedbackHeader(w, kRtcpFmtPli, kRtcpPsfb, pli.senderSsrc, pli.mediaSsrc);
  rtcpFinish(w, 0);
  return w.take();
}

std::vector<uint8_t> buildFir(const RtcpFir& fir) {
  core::ByteWriter w(20);
  // NOTE: the header's media SSRC is unused and 0; the target is in the FCI (RFC 5104).
  rtcpFeedbackHeader(w, kRtcpFmtFir, kRtcpPsfb, fir.senderSsrc, 0);
  w.u32(fir.mediaSsrc);
  w.u8(fir.seq);
  w.u24(0);
  rtcpFinish(w, 0);
  return w.take();
}

std::vector<uint8_t> buildRemb(const RtcpRemb& remb) {
  const size_t n = std::min<size_t>(remb.ssrcs.size(), 255);
  core::ByteWriter w(20 + n * 4);
  rtcpFeedbackHeader(w, kRtcpFmtAfb, kRtcpPsfb, remb.senderSsrc, 0);
  w.string("REMB");
  w.u8(static_cast<uint8_t>(n));
  uint32_t exp = 0;
  while ((remb.bitrate >> exp) > 0x3FFFF) ++exp;
  w.u24(static_cast<uint32_t>(exp << 18 | (remb.bitrate >> exp)));
  for (size_t i = 0; i < n; ++i) w.u32(remb.ssrcs[i]);
  rtcpFinish(w, 0);
  return w.take();
}

}  // namespace webrtc
