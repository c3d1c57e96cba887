// EncodedAudio: one raw AAC frame (no ADTS header) an AudioTranscoder made, with its
// pts in ms on the hub's clock (audio: dts = pts). A plain value; any thread.
#pragma once

#include <cstdint>

#include "core/buffer/shared_buffer.hpp"

namespace mixer {

struct EncodedAudio {
  core::SharedBuffer payload;  // one raw_data_block; immutable once shared
  int64_t pts = 0;
};

}  // namespace mixer
