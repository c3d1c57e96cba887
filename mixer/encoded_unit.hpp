// EncodedUnit: one compressed video access unit crossing a pipeline's threads (loop
// -> VideoWorker, RungEncoder -> loop): AVCC bytes (4-byte NAL lengths) shared by
// refcount, times in ms on the hub's clock. A plain value; any thread.
#pragma once

#include <cstdint>

#include "core/buffer/shared_buffer.hpp"

namespace mixer {

struct EncodedUnit {
  core::SharedBuffer payload;  // AVCC; immutable once shared
  int64_t dts = 0;
  int64_t pts = 0;
  bool key = false;
};

}  // namespace mixer
