// mixer::CodecResult: what a VideoDecoder or VideoEncoder receive() gave: an output,
// nothing before the next input, the end after a flush, or an error. A plain value.
#pragma once

#include <cstdint>

namespace mixer {

enum class CodecResult : uint8_t {
  Frame,   // the out parameter holds a decoded frame (decoder) or an access unit (encoder)
  Again,   // nothing more before the next send() (EAGAIN)
  End,     // drained after flush() (EOF); reset() (decoder) starts again
  Failed,  // `error` says why
};

}  // namespace mixer
