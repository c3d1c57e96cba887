// The one rule for app and stream names in URLs and RTMP commands: 1..200 of
// [A-Za-z0-9_.-], not "." or "..". A plain function; any thread.
#pragma once

#include <cctype>
#include <string_view>

namespace core {

inline bool isValidStreamName(std::string_view s) {
  if (s.empty() || s.size() > 200 || s == "." || s == "..") return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

}  // namespace core
