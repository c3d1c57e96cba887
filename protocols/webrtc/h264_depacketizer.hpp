// H264Depacketizer: RTP payloads of one H.264 stream (RFC 6184, packetization-mode 0
// or 1) -> access units in the hub's AVCC form, with the SPS/PPS as a decoder config
// record. One per ingest video SSRC, owned by the WHIP session; loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocols/webrtc/rtp_packet.hpp"

namespace webrtc {

class H264Depacketizer {
 public:
  struct AccessUnit {
    std::vector<uint8_t> avcc;  // 4-byte lengths; SPS/PPS are not in it (takeNewConfig)
    bool keyframe = false;      // holds an IDR slice
    uint32_t rtpTimestamp = 0;
  };
  struct Stats {
    uint64_t packets = 0;
    uint64_t accessUnits = 0;  // given out
    uint64_t dropped = 0;      // access units dropped: broken by a loss, or waiting for an IDR
    uint64_t refused = 0;      // STAP-B, MTAP16/24, FU-B (interleaved mode, not negotiated)
    uint64_t malformed = 0;    // bad STAP-A sizes, FU-A without start, S+E, reserved types
    uint64_t paddingOnly = 0;  // packets without payload (bandwidth probes): skipped
  };
  // Bounds: a parameter set longer than this is refused; SPS ids 0-30 are kept (a record
  // holds at most 31), PPS ids 0-255.
  static constexpr size_t kMaxParameterSetBytes = 4096;
  // An access unit larger than this is dropped as broken (a sender that never ends one).
  static constexpr size_t kMaxAccessUnitBytes = 8 * 1024 * 1024;

  // Feeds one packet (in sequence order: the jitter buffer's output). `lossBefore`: one or
  // more packets before this one are lost for good. A packet without payload (padding
  // only, as Chromium probes bandwidth without RTX) is skipped. An access unit ends at the marker
  // bit or when the timestamp changes (some senders never set the marker); a finished unit is
  // returned. NOTE: a timestamp change can finish two units in one push (the old one and
  // a one-packet unit with the marker): the second waits in takeReady().
  // Until the first IDR (with SPS/PPS known), and after a loss until the next IDR, units
  // are dropped (needsKeyframe() is true then): a picture whose references are gone
  // would smear on every viewer of every protocol.
  std::optional<AccessUnit> push(const RtpHeader& header, std::span<const uint8_t> payload,
                                 bool lossBefore);
  // A finished unit push() could not return yet; call after push() until nullopt.
  std::optional<AccessUnit> takeReady();
  // The SPS/PPS as an AVCDecoderConfigurationRecord (4-byte NAL lengths) when they changed
  // with (or before) the access unit push()/takeReady() just returned: publish it before
  // that unit. Once per change. NOTE: held back until a unit goes out, so a unit of the
  // old parameters is never published after the new record.
  std::optional<std::vector<uint8_t>> takeNewConfig();
  // A loss broke the picture, or no IDR (with SPS/PPS) came yet: ask the sender for one.
  bool needsKeyframe() const { return needsKeyframe_; }
  const Stats& stats() const { return stats_; }
  // Why the last unit was dropped or the last packet refused (for a rate-limited log).
  const std::string& lastError() const { return lastError_; }

 private:
  void onPayload(std::span<const uint8_t> payload);
  void onStapA(std::span<const uint8_t> payload);
  void onFuA(std::span<const uint8_t> payload);
  void addNal(std::span<const uint8_t> nal);
  void rememberParameterSet(std::span<const uint8_t> nal);
  bool grow(size_t bytes);
  void completeFu();
  void fail(uint64_t Stats::*counter, std::string reason);
  void finish();
  void commitParameterSets();
  std::optional<AccessUnit> handOut();

  // The access unit being assembled.
  bool open_ = false;
  uint32_t timestamp_ = 0;
  std::vector<uint8_t> avcc_;
  bool idr_ = false;
  bool broken_ = false;
  // An FU-A in progress: where its 4-byte length sits in avcc_.
  bool inFu_ = false;
  size_t fuStart_ = 0;
  uint8_t fuType_ = 0;

  std::vector<std::vector<uint8_t>> staged_;  // parameter sets of the unit being assembled

  struct Ready {
    AccessUnit unit;
    std::optional<std::vector<uint8_t>> config;  // to publish before it
  };
  std::deque<Ready> ready_;
  std::map<uint32_t, std::vector<uint8_t>> sps_, pps_;  // by parameter set id
  bool configDirty_ = false;                            // changed since the last record handed out
  std::optional<std::vector<uint8_t>> newConfig_;
  bool needsKeyframe_ = true;
  bool pendingLoss_ = false;  // a loss before a padding-only packet: for the next one
  Stats stats_;
  std::string lastError_;
};

}  // namespace webrtc
