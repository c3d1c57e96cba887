// Test helper: whether a shared object whose path contains `library` is mapped into
// this process (/proc/self/maps), for the "FFmpeg loads on first use" tests.
#pragma once

#include <fstream>
#include <string>

namespace testing_maps {

inline bool mapped(const std::string& library) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(library) != std::string::npos) return true;
  return false;
}

}  // namespace testing_maps
