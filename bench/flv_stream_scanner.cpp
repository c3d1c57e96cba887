#include "bench/flv_stream_scanner.hpp"

#include <algorithm>

namespace bench {
namespace {

constexpr size_t kFileHeadBytes = core::kFlvFileHeaderSize + core::kFlvPreviousTagSizeBytes;

}  // namespace

bool FlvStreamScanner::fail(std::string reason) {
  state_ = State::Failed;
  error_ = std::move(reason);
  return false;
}

bool FlvStreamScanner::completeHeader() {
  if (state_ == State::FileHeader) {
    if (head_[0] != 'F' || head_[1] != 'L' || head_[2] != 'V')
      return fail("flv: the stream does not start with the FLV signature");
    state_ = State::TagHeader;
    return true;
  }
  const auto h = core::parseFlvTagHeader(std::span(head_.data(), core::kFlvTagHeaderSize));
  if (!h) return fail("flv: truncated tag header");
  if (h->tagType != core::kFlvTagAudio && h->tagType != core::kFlvTagVideo &&
      h->tagType != core::kFlvTagScript)
    return fail("flv: unknown tag type " + std::to_string(h->tagType));
  tag_ = FlvTagInfo{h->tagType, h->timestampMs, h->dataSize, 0, 0};
  remaining_ = h->dataSize;
  state_ = State::Body;
  return true;
}

bool FlvStreamScanner::feed(std::span<const uint8_t> in, Sink& sink) {
  size_t pos = 0;
  while (pos < in.size()) {
    switch (state_) {
      case State::Failed:
        return false;
      case State::FileHeader:
      case State::TagHeader: {
        const size_t want = state_ == State::FileHeader ? kFileHeadBytes : core::kFlvTagHeaderSize;
        const size_t n = std::min(want - have_, in.size() - pos);
        std::copy_n(in.data() + pos, n, head_.data() + have_);
        have_ += n;
        pos += n;
        if (have_ < want) return true;
        have_ = 0;
        if (!completeHeader()) return false;
        break;
      }
      case State::Body: {
        const size_t offset = tag_.size - remaining_;  // body bytes already seen
        if (offset == 0 && remaining_ > 0) tag_.b0 = in[pos];
        if (offset <= 1 && remaining_ > 1 - offset && pos + (1 - offset) < in.size())
          tag_.b1 = in[pos + (1 - offset)];
        const size_t n = std::min(remaining_, in.size() - pos);
        remaining_ -= n;
        pos += n;
        if (remaining_ > 0) return true;
        sink.onFlvTag(tag_);
        remaining_ = core::kFlvPreviousTagSizeBytes;
        state_ = State::PreviousSize;
        break;
      }
      case State::PreviousSize: {
        const size_t n = std::min(remaining_, in.size() - pos);
        remaining_ -= n;
        pos += n;
        if (remaining_ == 0) state_ = State::TagHeader;
        break;
      }
    }
  }
  return state_ != State::Failed;
}

}  // namespace bench
