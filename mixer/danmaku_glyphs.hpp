// DanmakuGlyphs: one FreeType face at one pixel size with a cache of rendered
// glyphs (8-bit coverage), for the danmaku renderer. Not thread-safe: owned by the
// renderer on the program's compositor thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace mixer {

struct DanmakuGlyph {
  int left = 0;     // from the pen to the bitmap's left edge
  int top = 0;      // from the baseline up to the bitmap's top row
  int advance = 0;  // pen advance, px
  int width = 0, height = 0;
  std::vector<uint8_t> coverage;  // width * height, row by row
};

class DanmakuGlyphs {
 public:
  // Glyphs beyond this many distinct code points evict the whole cache (a room
  // that sends every ideograph once costs no more than this).
  static constexpr size_t kMaxCached = 4096;

  // Face 0 of `fontFile` at `pixelSize`; nullptr with `error`.
  static std::unique_ptr<DanmakuGlyphs> open(const std::string& fontFile, int pixelSize,
                                             std::string& error);
  ~DanmakuGlyphs();
  DanmakuGlyphs(const DanmakuGlyphs&) = delete;
  DanmakuGlyphs& operator=(const DanmakuGlyphs&) = delete;

  // The glyph of `codePoint` (the face's missing-glyph box when it has none).
  const DanmakuGlyph& glyph(char32_t codePoint);
  int ascender() const { return ascender_; }  // px above the baseline
  size_t cached() const { return cache_.size(); }
  uint64_t misses() const { return misses_; }

 private:
  struct Face;
  explicit DanmakuGlyphs(std::unique_ptr<Face> face);

  std::unique_ptr<Face> face_;
  int ascender_ = 0;
  std::unordered_map<char32_t, DanmakuGlyph> cache_;
  uint64_t misses_ = 0;
};

}  // namespace mixer
