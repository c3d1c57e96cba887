// RtpTimeline: the millisecond clock a WHIP publisher's video and audio enter the hub
// on. Each track starts at its first packet's arrival; once both tracks' sender reports
// tie their RTP clocks to the sender's NTP clock (RFC 3550 §6.4.1), the audio is moved
// so that media captured at the same moment carries the same time (lip-sync), whatever
// each track's delay before it reached us. Owned by the WhipSession; loop thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

namespace webrtc {

class RtpTimeline {
 public:
  enum class Track : uint8_t { Video = 0, Audio = 1 };

  // Sender reports that would move the audio by more than this are not believed (and
  // a move stays under the hub's timestamp jump threshold, 3 s by default).
  static constexpr int64_t kMaxSyncMs = 2000;
  // A later pair of reports moves the audio again only if it disagrees by more.
  static constexpr int64_t kResyncMs = 40;

  RtpTimeline(uint32_t videoClockRate, uint32_t audioClockRate);

  // The session-clock ms of an RTP timestamp of `track` (32-bit, unwrapped here) that
  // arrived at `arrivalMs`; the first call per track anchors it there (and places a
  // report that came before it: the audio may move then, before its first frame).
  int64_t ms(Track track, uint32_t rtpTimestamp, int64_t arrivalMs);

  struct Sync {
    int64_t audioOffsetMs;  // now applied to every audio time
    int64_t changeMs;       // how far the audio moved now
  };
  // A sender report of `track`: its NTP time (32.32) and RTP timestamp. When it gives
  // (or changes by more than kResyncMs) the audio's offset, the new offset.
  std::optional<Sync> onSenderReport(Track track, uint64_t ntp, uint32_t rtpTimestamp);

  // A move of the audio that ms() made (a report that came before the first packet),
  // once.
  std::optional<Sync> takeSync() { return std::exchange(pending_, std::nullopt); }

  int64_t audioOffsetMs() const { return audioOffsetMs_; }
  // Pairs of reports that disagreed with the arrival times by more than kMaxSyncMs.
  uint64_t rejectedReports() const { return rejected_; }

 private:
  struct Clock {
    uint32_t rate = 90000;
    std::optional<uint32_t> last;     // the last timestamp seen, for the wrap
    int64_t cycles = 0;               // 2^32 wraps
    std::optional<int64_t> first;     // unwrapped timestamp of the first packet
    int64_t anchorMs = 0;             // its arrival
    std::optional<double> captureMs;  // the first packet's NTP time, from a report
    // A report that came before the first packet: placed when that packet comes.
    std::optional<std::pair<double, uint32_t>> earlyReport;  // NTP ms, RTP timestamp
  };

  int64_t unwrap(Clock& clock, uint32_t rtpTimestamp, bool remember);
  void resync();

  std::array<Clock, 2> clocks_;
  int64_t audioOffsetMs_ = 0;
  bool synced_ = false;
  std::optional<Sync> pending_;
  uint64_t rejected_ = 0;
};

}  // namespace webrtc
