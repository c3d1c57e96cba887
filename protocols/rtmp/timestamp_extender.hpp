// TimestampExtender: turns one RTMP publisher's 32-bit message timestamps (ms,
// wrapping at 2^32) into 64-bit ones before they enter the hub. One per publishing
// RtmpSession, reset at each publish; loop thread.
#pragma once

#include <cstdint>

namespace rtmp {

class TimestampExtender {
 public:
  // The first timestamp is taken as it is; later ones add or remove a multiple of
  // 2^32 when they step by more than half the range (a wrap, not a rewind).
  int64_t extend(uint32_t raw);
  void reset() { *this = TimestampExtender{}; }

 private:
  bool started_ = false;
  uint32_t lastRaw_ = 0;
  int64_t base_ = 0;  // multiples of 2^32 added by wrap-around
};

}  // namespace rtmp
