#include "protocols/hls/id3_batcher.hpp"

#include "core/format/timed_metadata.hpp"

namespace hls {
namespace {

constexpr size_t kFrameOverhead = 10 + 1 + 9;  // frame header, encoding, "roomcast\0"

}  // namespace

void Id3Batcher::add(int64_t ptsMs, core::SharedBuffer json) {
  if (!values_.empty() && (ptsMs >= firstPts_ + windowMs_ || ptsMs < firstPts_ ||
                           bytes_ + json.size() + kFrameOverhead > kMaxTagBytes))
    close();
  if (values_.empty()) firstPts_ = ptsMs;
  bytes_ += json.size() + kFrameOverhead;
  values_.push_back(std::move(json));
  if (windowMs_ <= 0) close();
}

std::vector<Id3Batcher::Tag> Id3Batcher::takeBefore(int64_t mediaMs, bool closeOpen) {
  if (!values_.empty() && (mediaMs >= firstPts_ + windowMs_ || (closeOpen && firstPts_ < mediaMs)))
    close();
  std::vector<Tag> out;
  while (!ready_.empty() && ready_.front().ptsMs < mediaMs) {
    out.push_back(std::move(ready_.front()));
    ready_.pop_front();
  }
  return out;
}

void Id3Batcher::close() {
  Tag tag;
  tag.ptsMs = firstPts_;
  tag.events = values_.size();
  views_.clear();
  for (const auto& v : values_) views_.push_back(v.view());
  tag.bytes = core::buildId3Tag(std::span<const std::string_view>(views_));
  values_.clear();
  bytes_ = 0;
  // NOTE: the stream clock never goes back, so PTS order is arrival order.
  ready_.push_back(std::move(tag));
  while (ready_.size() > kMaxWaitingTags) {
    dropped_ += ready_.front().events;
    ready_.pop_front();
  }
}

}  // namespace hls
