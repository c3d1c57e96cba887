// StallPolicy: what a program shows of one input at a given moment, from the age of
// its latest decoded frame: live (fresh), repeating (the last frame held for a
// while), slate (stalled too long, or no frame yet). Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>

namespace mixer {

enum class InputShow : uint8_t { Live, Repeating, Slate };

struct StallPolicy {
  int64_t stallMs = 500;    // a frame older than this: the input is stalled (repeated)
  int64_t repeatMs = 3000;  // how long a stalled input is repeated before the slate

  // `lastFrameMs`: when the input's latest frame arrived (the caller's monotonic ms),
  // none if it never had one. An input that sends again is live at once.
  InputShow showAt(std::optional<int64_t> lastFrameMs, int64_t nowMs) const {
    if (!lastFrameMs) return InputShow::Slate;
    const int64_t age = nowMs - *lastFrameMs;
    if (age <= stallMs) return InputShow::Live;
    if (age <= stallMs + repeatMs) return InputShow::Repeating;
    return InputShow::Slate;
  }

  static const char* name(InputShow show) {
    switch (show) {
      case InputShow::Live:
        return "live";
      case InputShow::Repeating:
        return "repeating";
      case InputShow::Slate:
        return "slate";
    }
    return "?";
  }
};

}  // namespace mixer
