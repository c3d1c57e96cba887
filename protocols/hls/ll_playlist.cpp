#include "protocols/hls/ll_playlist.hpp"

#include <algorithm>
#include <cmath>

#include "protocols/hls/media_playlist.hpp"

namespace hls {
namespace {

std::string seconds(int64_t ms) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f", ms / 1000.0);
  return buf;
}

// NOTE: RFC 8216bis 4.4.4.9: parts are listed only for the segments in the last
// three target durations; older segments appear whole.
constexpr size_t kSegmentsWithParts = 3;

}  // namespace

LlPlaylist::LlPlaylist(Options options)
    : options_(options), targetSeconds_(std::max<int>(1, (options.targetMs + 999) / 1000)) {}

void LlPlaylist::beginSegment(int64_t programDateMs, bool discontinuity, uint32_t mapVersion) {
  LlSegment s;
  s.msn = nextSequence_++;
  started_ = true;
  s.programDateMs = programDateMs;
  s.discontinuity = discontinuity && !segments_.empty();
  s.mapVersion = mapVersion;
  segments_.push_back(std::move(s));
  if (segments_.size() > options_.windowSize &&
      segments_[segments_.size() - options_.windowSize - 1].discontinuity)
    ++discontinuitySequence_;
  while (segments_.size() > options_.windowSize + options_.keptAfterWindow) segments_.pop_front();
}

void LlPlaylist::addPart(LlPart part) {
  if (!inProgress()) return;
  segments_.back().parts.push_back(std::move(part));
}

void LlPlaylist::completeSegment(int64_t durationMs) {
  if (!inProgress()) return;
  LlSegment& s = segments_.back();
  s.complete = true;
  s.durationMs = durationMs;
  targetSeconds_ = std::max(targetSeconds_, static_cast<int>(std::lround(durationMs / 1000.0)));
}

uint64_t LlPlaylist::nextMsn() const {
  return inProgress() ? segments_.back().msn : nextSequence_;
}

size_t LlPlaylist::nextPartIndex() const {
  return inProgress() ? segments_.back().parts.size() : 0;
}

uint64_t LlPlaylist::lastMsn() const {
  return segments_.empty() ? 0 : segments_.back().msn;
}

std::optional<std::pair<uint64_t, uint64_t>> LlPlaylist::lastPart() const {
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it)
    if (!it->parts.empty()) return std::make_pair(it->msn, uint64_t{it->parts.size() - 1});
  return std::nullopt;
}

bool LlPlaylist::has(uint64_t msn, std::optional<uint64_t> part) const {
  if (ended_) return true;  // nothing more will come: every wait is over
  if (segments_.empty()) return false;
  const LlSegment& last = segments_.back();
  if (msn < last.msn) return true;
  if (msn > last.msn) return false;
  if (!part) return last.complete;
  return *part < last.parts.size() || last.complete;
}

const LlSegment* LlPlaylist::find(uint64_t msn) const {
  for (const auto& s : segments_)
    if (s.msn == msn) return &s;
  return nullptr;
}

const LlPart* LlPlaylist::findPart(uint64_t msn, size_t index) const {
  const LlSegment* s = find(msn);
  return s && index < s->parts.size() ? &s->parts[index] : nullptr;
}

std::string renderRenditionReports(std::span<const RenditionReport> reports) {
  // NOTE: RFC 8216bis 4.4.5.4: URI (a quoted-string, relative to the playlist that
  // carries the tag) and LAST-MSN are required, LAST-PART too when the rendition
  // has partial segments, which ours always have.
  std::string out;
  for (const RenditionReport& r : reports) {
    if (r.uri.empty()) continue;
    out += "#EXT-X-RENDITION-REPORT:URI=" + quoteAttribute(r.uri) +
           ",LAST-MSN=" + std::to_string(r.lastMsn) + ",LAST-PART=" + std::to_string(r.lastPart) +
           "\n";
  }
  return out;
}

std::string LlPlaylist::render(const std::string& prefix) const {
  const size_t skip =
      segments_.size() > options_.windowSize ? segments_.size() - options_.windowSize : 0;
  // Segment durations must fit the target; parts of the open segment count too.
  std::string out = "#EXTM3U\n#EXT-X-VERSION:9\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(targetSeconds_) + "\n";
  // NOTE: PART-HOLD-BACK must be at least three part targets (4.4.3.8).
  out += "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=" +
         seconds(3 * options_.partTargetMs + 1) + "\n";
  out += "#EXT-X-PART-INF:PART-TARGET=" + seconds(options_.partTargetMs) + "\n";
  const uint64_t first = skip < segments_.size() ? segments_[skip].msn : nextSequence_;
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first) + "\n";
  if (discontinuitySequence_ > 0)
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(discontinuitySequence_) + "\n";

  std::optional<uint32_t> map;
  const size_t partsFrom =
      segments_.size() > kSegmentsWithParts ? segments_.size() - kSegmentsWithParts : 0;
  for (size_t i = skip; i < segments_.size(); ++i) {
    const LlSegment& s = segments_[i];
    if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
    if (map != s.mapVersion) {
      map = s.mapVersion;
      out += "#EXT-X-MAP:URI=\"" + prefix + "init-" + std::to_string(s.mapVersion) + ".mp4\"\n";
    }
    out += "#EXT-X-PROGRAM-DATE-TIME:" + formatProgramDate(s.programDateMs) + "\n";
    if (i >= partsFrom) {
      for (size_t p = 0; p < s.parts.size(); ++p) {
        out += "#EXT-X-PART:DURATION=" + seconds(s.parts[p].durationMs) + ",URI=\"" + prefix +
               std::to_string(s.msn) + "." + std::to_string(p) + ".m4s\"";
        if (s.parts[p].independent) out += ",INDEPENDENT=YES";
        out += "\n";
      }
    }
    if (s.complete) {
      out += "#EXTINF:" + seconds(s.durationMs) + ",\n";
      out += prefix + std::to_string(s.msn) + ".m4s\n";
    }
  }
  if (ended_) {
    out += "#EXT-X-ENDLIST\n";
  } else if (!segments_.empty()) {
    // The part that comes next: clients request it ahead and we hold the request.
    const bool open = !segments_.back().complete;
    const uint64_t msn = open ? segments_.back().msn : nextSequence_;
    const size_t part = open ? segments_.back().parts.size() : 0;
    out += "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"" + prefix + std::to_string(msn) + "." +
           std::to_string(part) + ".m4s\"\n";
  }
  return out;
}

}  // namespace hls
