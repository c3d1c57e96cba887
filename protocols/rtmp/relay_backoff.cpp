#include "protocols/rtmp/relay_backoff.hpp"

#include <algorithm>

namespace rtmp {

int64_t RelayBackoff::failed(int64_t nowMs) {
  if (publishedAtMs_ >= 0 && nowMs - publishedAtMs_ >= schedule_.resetAfterMs) failures_ = 0;
  publishedAtMs_ = -1;
  int64_t delay = schedule_.firstMs;
  for (int i = 0; i < failures_ && delay < schedule_.maxMs; ++i) delay *= 2;
  ++failures_;
  return std::min(delay, schedule_.maxMs);
}

}  // namespace rtmp
