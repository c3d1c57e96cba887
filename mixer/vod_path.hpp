// VodPath: the one rule for a playlist item's file name: relative to the [vod]
// directory (or the recordings directory), never absolute, never "..". Pure; any
// thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mixer {

inline constexpr size_t kMaxVodPathBytes = 1024;

struct VodPath {
  // "" when `name` is a usable relative name, else why not ("must not be absolute").
  static std::string check(std::string_view name);
  // The paths to try, in order: `name` under each of `dirs` (empty dirs skipped).
  // Only for a name check() accepted.
  static std::vector<std::string> candidates(std::string_view name,
                                             const std::vector<std::string>& dirs);
};

}  // namespace mixer
