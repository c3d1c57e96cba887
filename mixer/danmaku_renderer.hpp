// DanmakuRenderer: draws a room's text messages scrolling right to left across
// lanes of a yuv420p picture: each message becomes a sprite once (its glyphs from
// a FreeType cache, its colour with a dark outline, premultiplied by the opacity),
// takes the first lane where it cannot touch the one before it, and leaves when it
// is off screen. Positions follow program time, not arrival. Owned by a program's
// compositor (DanmakuLayer); that thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "av/av_ptr.hpp"
#include "mixer/danmaku_glyphs.hpp"
#include "mixer/danmaku_spec.hpp"

namespace mixer {

// One message: its text, colour 0xRRGGBB and the program time (ms) at which it
// enters at the right edge (the moment the room accepted it).
struct DanmakuMessage {
  std::string text;
  uint32_t rgb = 0xFFFFFF;
  int64_t ptsMs = 0;
};

class DanmakuRenderer {
 public:
  // Longer texts end with "…"; a sprite is at most twice the canvas wide.
  static constexpr size_t kMaxTextCodePoints = 80;

  // For a `width` x `height` canvas; nullptr with `error` when the font cannot be read.
  static std::unique_ptr<DanmakuRenderer> open(int width, int height, const DanmakuSpec& spec,
                                               const std::string& fontFile, std::string& error);

  // Queues a message; when more than max_on_screen wait, the oldest waiting is dropped.
  void add(DanmakuMessage message);
  // Lets in the waiting messages due by `ptsMs` that have a lane, lets go of those
  // off screen, and draws the rest on `frame` (yuv420p, canvas size).
  void draw(AVFrame* frame, int64_t ptsMs);

  int laneHeight() const { return laneHeight_; }
  int lanes() const { return lanes_; }  // the spec's, fewer when the canvas is short
  size_t onScreen() const { return active_.size(); }
  size_t waiting() const { return waiting_.size(); }
  uint64_t shown() const { return shown_; }      // messages let in so far
  uint64_t dropped() const { return dropped_; }  // waiting ones dropped (max_on_screen)
  DanmakuGlyphs& glyphs() { return *glyphs_; }

  // A rendered message: luma and chroma premultiplied by their alpha (0..255).
  struct Sprite {
    int width = 0, height = 0;          // even
    std::vector<uint8_t> y, alpha;      // width * height
    std::vector<uint8_t> u, v, alphaC;  // (width / 2) * (height / 2)
  };
  // The sprite of `text` in `rgb` (public for the tests).
  Sprite render(const std::string& text, uint32_t rgb);

 private:
  DanmakuRenderer(int width, int height, const DanmakuSpec& spec,
                  std::unique_ptr<DanmakuGlyphs> glyphs);
  // The text's coverage (the glyphs' max) on a sprite-sized canvas; sets its width.
  std::vector<uint8_t> rasterize(const std::string& text, Sprite& s);
  void admit(int64_t ptsMs);
  void blend(AVFrame* frame, const Sprite& s, int x, int y) const;

  struct Active {
    Sprite sprite;
    int lane = 0;
    double startMs = 0;  // when its left edge is at the right edge of the canvas
  };

  const int width_, height_;
  const DanmakuSpec spec_;
  std::unique_ptr<DanmakuGlyphs> glyphs_;
  int laneHeight_ = 0, lanes_ = 0, outline_ = 1, gap_ = 0;
  std::vector<double> laneFreeMs_;  // the earliest start a new message may take there
  std::deque<DanmakuMessage> waiting_;
  std::vector<Active> active_;
  uint64_t shown_ = 0, dropped_ = 0;
};

}  // namespace mixer
