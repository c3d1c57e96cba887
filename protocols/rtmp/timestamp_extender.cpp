#include "protocols/rtmp/timestamp_extender.hpp"

namespace rtmp {

int64_t TimestampExtender::extend(uint32_t raw) {
  // NOTE: RTMP timestamps are 32-bit ms and roll over after ~49.7 days; the spec
  // (1.0 §4) asks for serial number arithmetic, adjacent timestamps being within
  // 2^31 - 1 ms of each other. So a step back of up to half the range is a rewind
  // (or a late packet of the other track), and a packet from just before a wrap
  // that arrives after it undoes the step.
  constexpr uint32_t kHalfRange = 0x80000000u;
  if (started_) {
    if (raw < lastRaw_ && lastRaw_ - raw > kHalfRange) base_ += int64_t{1} << 32;
    if (raw > lastRaw_ && raw - lastRaw_ > kHalfRange) base_ -= int64_t{1} << 32;
  }
  started_ = true;
  lastRaw_ = raw;
  return base_ + raw;
}

}  // namespace rtmp
