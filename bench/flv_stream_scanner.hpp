// FlvStreamScanner: walks an FLV byte stream (file header, then tag header, body,
// PreviousTagSize) fed in arbitrary slices, reporting each complete tag's type,
// timestamp and first body bytes without copying bodies. Owned by one HTTP-FLV
// viewer; loop thread only; no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/format/flv_tag.hpp"

namespace bench {

struct FlvTagInfo {
  uint8_t type = 0;
  uint32_t timestampMs = 0;
  uint32_t size = 0;
  uint8_t b0 = 0, b1 = 0;  // first two body bytes (0 when the body is shorter)
};

class FlvStreamScanner {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void onFlvTag(const FlvTagInfo& tag) = 0;
  };

  // Consumes all of `in`; false (with error()) on a malformed stream.
  bool feed(std::span<const uint8_t> in, Sink& sink);
  const std::string& error() const { return error_; }

 private:
  enum class State { FileHeader, TagHeader, Body, PreviousSize, Failed };

  bool fail(std::string reason);
  bool completeHeader();

  State state_ = State::FileHeader;
  std::array<uint8_t, core::kFlvFileHeaderSize + core::kFlvPreviousTagSizeBytes> head_{};
  size_t have_ = 0;       // bytes collected in head_ for the current header
  size_t remaining_ = 0;  // body / PreviousTagSize bytes still to skip
  FlvTagInfo tag_;
  std::string error_;
};

}  // namespace bench
