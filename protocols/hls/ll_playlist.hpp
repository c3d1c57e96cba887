// LlPlaylist: the LL-HLS (CMAF) media playlist of one stream: segments made of
// partial segments, the one in progress included, rendered with EXT-X-PART,
// EXT-X-PRELOAD-HINT and EXT-X-SERVER-CONTROL (RFC 8216bis 4.4.4.9, 4.4.5.2).
// Owned by an LlHlsStream; loop thread; pure (no I/O), unit-tested on its own.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace hls {

struct LlPart {
  int64_t durationMs = 0;
  bool independent = false;  // starts with a keyframe
  core::SharedBuffer bytes;  // moof + mdat
};

struct LlSegment {
  uint64_t msn = 0;
  int64_t programDateMs = 0;
  int64_t durationMs = 0;  // set when complete
  bool discontinuity = false;
  uint32_t mapVersion = 0;  // which init segment (EXT-X-MAP) it needs
  bool complete = false;
  std::vector<LlPart> parts;
};

// EXT-X-RENDITION-REPORT (RFC 8216bis 4.4.5.4): where another rendition of the same
// content stands, so a player switching to it can ask for its next part at once.
struct RenditionReport {
  std::string uri;        // that rendition's media playlist, relative to this one
  uint64_t lastMsn = 0;   // the segment of its newest part
  uint64_t lastPart = 0;  // that part's index in the segment
};

// One EXT-X-RENDITION-REPORT line per report, in their order ("" for none).
std::string renderRenditionReports(std::span<const RenditionReport> reports);

class LlPlaylist {
 public:
  struct Options {
    int64_t targetMs = 2000;
    int64_t partTargetMs = 333;
    size_t windowSize = 6;
    size_t keptAfterWindow = 3;
  };

  explicit LlPlaylist(Options options);

  // The media sequence number of the first segment (0 unless said); ignored once
  // a segment was begun, whose successors count on by one.
  void startAt(uint64_t msn) {
    if (!started_) nextSequence_ = msn;
  }
  // Opens the next segment (the previous one must be complete).
  void beginSegment(int64_t programDateMs, bool discontinuity, uint32_t mapVersion);
  void addPart(LlPart part);
  void completeSegment(int64_t durationMs);
  void end() { ended_ = true; }
  void reopen() { ended_ = false; }

  bool ended() const { return ended_; }
  bool empty() const { return segments_.empty(); }
  bool inProgress() const { return !segments_.empty() && !segments_.back().complete; }
  // The msn the next part added belongs to, and its index.
  uint64_t nextMsn() const;
  size_t nextPartIndex() const;
  uint64_t lastMsn() const;  // of the newest segment listed (in progress or not)
  // The newest part listed, as (msn, part index): LAST-MSN and LAST-PART of this
  // playlist's rendition report; none before the first part.
  std::optional<std::pair<uint64_t, uint64_t>> lastPart() const;

  // RFC 8216bis 6.2.5.2: is segment `msn` (part `part`, if given) or anything
  // after it in the playlist yet?
  bool has(uint64_t msn, std::optional<uint64_t> part) const;
  // Too far ahead to wait for (answered 400).
  bool tooFarAhead(uint64_t msn) const { return msn > lastMsn() + 2; }

  const LlSegment* find(uint64_t msn) const;
  const LlPart* findPart(uint64_t msn, size_t index) const;
  std::string render(const std::string& uriPrefix) const;
  int targetDurationSeconds() const { return targetSeconds_; }
  double partTargetSeconds() const { return options_.partTargetMs / 1000.0; }

 private:
  Options options_;
  std::deque<LlSegment> segments_;
  uint64_t nextSequence_ = 0;
  uint64_t discontinuitySequence_ = 0;
  bool started_ = false;  // a segment was begun: numbers are fixed
  int targetSeconds_;
  bool ended_ = false;
};

}  // namespace hls
