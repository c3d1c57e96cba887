// MediaPlaylist: the sliding window of finished HLS segments of one stream and its
// rendering as an RFC 8216 media playlist. Owned by an HlsStream; loop thread;
// pure (no I/O), so the playlist rules are unit-tested on their own.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace hls {

struct Segment {
  uint64_t sequence = 0;
  int64_t startDts = 0;  // stream clock, ms
  int64_t durationMs = 0;
  int64_t programDateMs = 0;   // wall clock (Unix ms) of the segment's first frame
  bool discontinuity = false;  // EXT-X-DISCONTINUITY before this segment
  core::SharedBuffer bytes;
};

// An EXT-X-DATERANGE (RFC 8216 4.3.2.7): a moment of the show (a room status
// change) on the playlist's program date timeline.
struct DateRange {
  std::string id;           // unique in the playlist
  std::string cls;          // CLASS
  int64_t startDateMs = 0;  // START-DATE, wall clock (Unix ms)
  int64_t streamMs = 0;     // the same moment on the stream clock (for the window)
  // Client attributes: name (X-...) and value already in playlist form (a decimal
  // or a quoted string, see quoteAttribute()).
  std::vector<std::pair<std::string, std::string>> attributes;
};

// A quoted-string attribute value: no '"', CR or LF can appear in one, so they
// become ' and spaces.
std::string quoteAttribute(std::string_view text);

class MediaPlaylist {
 public:
  struct Options {
    int64_t targetMs = 2000;
    size_t windowSize = 6;
    // Segments kept servable after they leave the window, for players that
    // loaded an older playlist (RFC 8216 6.2.2 asks for this).
    size_t keptAfterWindow = 3;
  };

  explicit MediaPlaylist(Options options) : options_(options) {}

  // The sequence number of the first segment added (0 unless said); ignored
  // once a segment was added, whose successors count on by one.
  void startAt(uint64_t sequence) {
    if (!started_) nextSequence_ = sequence;
  }
  void add(Segment segment);
  // Shown while its moment is inside the window (at most kMaxDateRanges).
  void addDateRange(DateRange range);
  static constexpr size_t kMaxDateRanges = 64;
  void end() { ended_ = true; }
  void reopen() { ended_ = false; }
  bool ended() const { return ended_; }
  bool empty() const { return segments_.empty(); }
  uint64_t nextSequence() const { return nextSequence_; }

  // `uriPrefix` goes before "<sequence>.ts", e.g. "demo/".
  std::string render(const std::string& uriPrefix) const;
  const Segment* find(uint64_t sequence) const;
  int targetDurationSeconds() const { return targetSeconds_; }

  // Bit rates of the segments in the window (bits/s, what a master playlist's
  // BANDWIDTH and AVERAGE-BANDWIDTH state): the peak segment's and the whole
  // window's; zeros while there is none.
  struct Bitrates {
    uint64_t peak = 0, average = 0;
    size_t segments = 0;
  };
  Bitrates bitrates() const;

 private:
  Options options_;
  std::deque<Segment> segments_;  // window + kept, oldest first
  std::deque<DateRange> dateRanges_;
  uint64_t nextSequence_ = 0;
  uint64_t discontinuitySequence_ = 0;  // discontinuities that left the window
  bool started_ = false;                // a segment was added: numbers are fixed
  int targetSeconds_ = 0;
  bool ended_ = false;
};

// "2026-11-26T11:06:13.123Z"
std::string formatProgramDate(int64_t unixMs);

}  // namespace hls
