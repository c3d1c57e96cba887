// ByteSink: where a viewer's bytes go (a TCP connection today, a datagram socket
// later), as MediaSender sees it. Implemented by the transport, owned by the session;
// loop thread. Draining is reported by the owner calling MediaSender::onDrained().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/buffer/shared_buffer.hpp"

namespace core {

class ByteSink {
 public:
  // Closed: nothing was written, and nothing will be. Done: the kernel took every
  // byte. Queued: the rest waits in the sink, which holds its own references; the
  // owner hears of the drain.
  enum class Write : uint8_t { Closed, Done, Queued };

  // Writes all buffers in order, as one gather write (a datagram sink sends each
  // buffer as one datagram).
  virtual Write write(std::span<const SharedBuffer> buffers) = 0;
  // Bytes accepted but not yet handed to the kernel.
  virtual size_t queuedBytes() const = 0;
  // The remote end, for log lines.
  virtual const std::string& peer() const = 0;

 protected:
  ~ByteSink() = default;  // not owned through this interface
};

}  // namespace core
