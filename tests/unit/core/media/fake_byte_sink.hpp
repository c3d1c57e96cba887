// FakeByteSink: a ByteSink for unit tests; records every write (its buffers, as
// given) and answers what the test says (Done, Queued or Closed). Test thread.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/loop/byte_sink.hpp"

namespace core::testing {

class FakeByteSink final : public ByteSink {
 public:
  Write write(std::span<const SharedBuffer> buffers) override {
    ++calls;
    if (answer == Write::Closed) return Write::Closed;
    writes.emplace_back(buffers.begin(), buffers.end());
    if (answer == Write::Queued)
      for (const SharedBuffer& b : buffers) queued += b.size();
    return answer;
  }
  size_t queuedBytes() const override { return queued; }
  const std::string& peer() const override { return name; }

  // The sink wrote what it held: the caller then tells the MediaSender (onDrained).
  void drain() { queued = 0; }
  // All bytes written, in order, as one string.
  std::string bytes() const {
    std::string out;
    for (const auto& w : writes)
      for (const SharedBuffer& b : w) out += b.view();
    return out;
  }

  Write answer = Write::Done;
  std::vector<std::vector<SharedBuffer>> writes;  // accepted writes (Done or Queued)
  size_t calls = 0;                               // every write, Closed ones too
  size_t queued = 0;
  std::string name = "fake:1";
};

}  // namespace core::testing
