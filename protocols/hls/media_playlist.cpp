#include "protocols/hls/media_playlist.hpp"

#include <algorithm>
#include <cmath>

#include "core/loop/wall_clock.hpp"

namespace hls {

std::string formatProgramDate(int64_t unixMs) {
  return core::isoUtc(unixMs);
}

std::string quoteAttribute(std::string_view text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? '\'' : (c == '\r' || c == '\n') ? ' ' : c;
  return out + "\"";
}

void MediaPlaylist::addDateRange(DateRange range) {
  dateRanges_.push_back(std::move(range));
  while (dateRanges_.size() > kMaxDateRanges) dateRanges_.pop_front();
}

void MediaPlaylist::add(Segment segment) {
  segment.sequence = nextSequence_++;
  started_ = true;
  // NOTE: RFC 8216 4.3.3.1: every EXTINF rounded to the nearest integer must be
  // <= the target duration, and the target must not change, so it only grows
  // (when the publisher's GOP is longer than the configured target).
  const int needed = static_cast<int>(std::lround(segment.durationMs / 1000.0));
  const int configured = static_cast<int>((options_.targetMs + 999) / 1000);
  targetSeconds_ = std::max({targetSeconds_, needed, configured, 1});
  segments_.push_back(std::move(segment));
  // The segment that just left the window takes its discontinuity with it; the
  // count goes into EXT-X-DISCONTINUITY-SEQUENCE (RFC 8216 4.3.3.3).
  if (segments_.size() > options_.windowSize &&
      segments_[segments_.size() - options_.windowSize - 1].discontinuity)
    ++discontinuitySequence_;
  while (segments_.size() > options_.windowSize + options_.keptAfterWindow) {
    segments_.pop_front();
  }
}

const Segment* MediaPlaylist::find(uint64_t sequence) const {
  for (const auto& s : segments_)
    if (s.sequence == sequence) return &s;
  return nullptr;
}

MediaPlaylist::Bitrates MediaPlaylist::bitrates() const {
  Bitrates out;
  const size_t skip =
      segments_.size() > options_.windowSize ? segments_.size() - options_.windowSize : 0;
  uint64_t bytes = 0;
  int64_t ms = 0;
  for (size_t i = skip; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    if (s.durationMs <= 0) continue;
    out.peak = std::max(out.peak, s.bytes.size() * 8000 / static_cast<uint64_t>(s.durationMs));
    bytes += s.bytes.size();
    ms += s.durationMs;
    ++out.segments;
  }
  if (ms > 0) out.average = bytes * 8000 / static_cast<uint64_t>(ms);
  return out;
}

std::string MediaPlaylist::render(const std::string& uriPrefix) const {
  const size_t skip =
      segments_.size() > options_.windowSize ? segments_.size() - options_.windowSize : 0;

  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(targetSeconds_) + "\n";
  const uint64_t first = skip < segments_.size() ? segments_[skip].sequence : nextSequence_;
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first) + "\n";
  if (discontinuitySequence_ > 0)
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(discontinuitySequence_) + "\n";
  // NOTE: a date range is a playlist-wide tag (its START-DATE places it), so the
  // ones whose moment is still inside the window come before the segments.
  const int64_t windowStart = skip < segments_.size() ? segments_[skip].startDts : INT64_MAX;
  for (const DateRange& d : dateRanges_) {
    if (d.streamMs < windowStart) continue;
    out += "#EXT-X-DATERANGE:ID=" + quoteAttribute(d.id) + ",CLASS=" + quoteAttribute(d.cls) +
           ",START-DATE=" + quoteAttribute(formatProgramDate(d.startDateMs));
    for (const auto& [name, value] : d.attributes) out += "," + name + "=" + value;
    out += "\n";
  }
  for (size_t i = skip; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
    out += "#EXT-X-PROGRAM-DATE-TIME:" + formatProgramDate(s.programDateMs) + "\n";
    char extinf[48];
    snprintf(extinf, sizeof extinf, "#EXTINF:%.3f,\n", s.durationMs / 1000.0);
    out += extinf;
    out += uriPrefix + std::to_string(s.sequence) + ".ts\n";
  }
  if (ended_) out += "#EXT-X-ENDLIST\n";
  return out;
}

}  // namespace hls
