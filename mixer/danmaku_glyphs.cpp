#include "mixer/danmaku_glyphs.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <fmt/format.h>

#include <cstring>

namespace mixer {

struct DanmakuGlyphs::Face {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  ~Face() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
};

DanmakuGlyphs::DanmakuGlyphs(std::unique_ptr<Face> face) : face_(std::move(face)) {
  // NOTE: 26.6 fixed point; the size metrics are rounded to whole pixels already.
  ascender_ = static_cast<int>(face_->face->size->metrics.ascender >> 6);
}

DanmakuGlyphs::~DanmakuGlyphs() = default;

std::unique_ptr<DanmakuGlyphs> DanmakuGlyphs::open(const std::string& fontFile, int pixelSize,
                                                   std::string& error) {
  auto face = std::make_unique<Face>();
  // NOTE: one FT_Library per face: FreeType's objects are not shared across threads,
  // and each program's compositor has its own thread.
  if (FT_Error rc = FT_Init_FreeType(&face->library)) {
    error = fmt::format("danmaku: FreeType init failed ({})", rc);
    return nullptr;
  }
  if (FT_Error rc = FT_New_Face(face->library, fontFile.c_str(), 0, &face->face)) {
    error = fmt::format("danmaku: cannot read the font \"{}\" (FreeType error {})", fontFile, rc);
    return nullptr;
  }
  if (FT_Error rc = FT_Set_Pixel_Sizes(face->face, 0, static_cast<FT_UInt>(pixelSize))) {
    error = fmt::format("danmaku: the font \"{}\" has no size {} px ({})", fontFile, pixelSize, rc);
    return nullptr;
  }
  return std::unique_ptr<DanmakuGlyphs>(new DanmakuGlyphs(std::move(face)));
}

const DanmakuGlyph& DanmakuGlyphs::glyph(char32_t codePoint) {
  if (auto it = cache_.find(codePoint); it != cache_.end()) return it->second;
  ++misses_;
  if (cache_.size() >= kMaxCached) cache_.clear();
  DanmakuGlyph g;
  FT_Face f = face_->face;
  if (FT_Load_Char(f, codePoint, FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL) == 0 &&
      f->glyph->bitmap.pixel_mode == FT_PIXEL_MODE_GRAY) {
    const FT_Bitmap& b = f->glyph->bitmap;
    g.left = f->glyph->bitmap_left;
    g.top = f->glyph->bitmap_top;
    g.advance = static_cast<int>(f->glyph->advance.x >> 6);
    g.width = static_cast<int>(b.width);
    g.height = static_cast<int>(b.rows);
    g.coverage.resize(static_cast<size_t>(g.width) * g.height);
    for (int y = 0; y < g.height; ++y)
      std::memcpy(g.coverage.data() + static_cast<size_t>(y) * g.width,
                  b.buffer + static_cast<ptrdiff_t>(y) * b.pitch, static_cast<size_t>(g.width));
  }
  return cache_.emplace(codePoint, std::move(g)).first->second;
}

}  // namespace mixer
