#include "mixer/vod_path.hpp"

namespace mixer {

std::string VodPath::check(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxVodPathBytes)
    return "must be at most " + std::to_string(kMaxVodPathBytes) + " bytes";
  if (name.front() == '/') return "must be relative to the vod directory, not absolute";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
    if (c == '\\') return "must use '/' between directories, not '\\'";
  }
  // NOTE: each component is checked, so "a/../../x" and "..": both refused; "a..b"
  // (a name that only contains dots) is fine.
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view part = name.substr(start, end - start);
    if (part == "..") return "must not contain \"..\"";
    if (part.empty()) return "must not contain an empty path component (\"//\" or a trailing '/')";
    start = end + 1;
  }
  return {};
}

std::vector<std::string> VodPath::candidates(std::string_view name,
                                             const std::vector<std::string>& dirs) {
  std::vector<std::string> out;
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    std::string path = dir;
    if (path.back() != '/') path += '/';
    path += name;
    out.push_back(std::move(path));
  }
  return out;
}

}  // namespace mixer
