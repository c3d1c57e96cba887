#include "mixer/danmaku_renderer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mixer/compositor.hpp"

namespace mixer {

namespace {

// The code points of `s`; a byte that does not start a valid UTF-8 sequence
// (RFC 3629) becomes U+FFFD, a control character a space.
std::vector<char32_t> danmakuCodePoints(const std::string& s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
    char32_t cp = n == 0 ? b : n == 1 ? (b & 0x1F) : n == 2 ? (b & 0x0F) : (b & 0x07);
    bool ok = n >= 0 && i + static_cast<size_t>(n) < s.size();
    for (int k = 1; ok && k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    constexpr char32_t kMinOf[] = {0, 0x80, 0x800, 0x10000};  // shorter is overlong
    if (ok && (cp < kMinOf[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp < 0x20 || cp == 0x7F ? U' ' : cp);
    i += static_cast<size_t>(n) + 1;
  }
  return out;
}

// Max filter of radius `r` along rows (dx = 1) or columns.
void danmakuDilate(std::vector<uint8_t>& a, int w, int h, int r, bool rows) {
  std::vector<uint8_t> out(a.size());
  const int n = rows ? w : h, lines = rows ? h : w;
  for (int line = 0; line < lines; ++line)
    for (int i = 0; i < n; ++i) {
      uint8_t m = 0;
      for (int k = std::max(0, i - r); k <= std::min(n - 1, i + r); ++k)
        m = std::max(
            m, a[rows ? static_cast<size_t>(line) * w + k : static_cast<size_t>(k) * w + line]);
      out[rows ? static_cast<size_t>(line) * w + i : static_cast<size_t>(i) * w + line] = m;
    }
  a.swap(out);
}

}  // namespace

DanmakuRenderer::DanmakuRenderer(int width, int height, const DanmakuSpec& spec,
                                 std::unique_ptr<DanmakuGlyphs> glyphs)
    : width_(width), height_(height), spec_(spec), glyphs_(std::move(glyphs)) {
  laneHeight_ = (static_cast<int>(std::ceil(spec_.fontSize * 1.25)) + 1) & ~1;
  lanes_ = std::clamp(height_ / laneHeight_, 1, spec_.lanes);
  outline_ = std::max(1, spec_.fontSize / 14);
  gap_ = spec_.fontSize / 2;
  laneFreeMs_.assign(static_cast<size_t>(lanes_), -1e18);
}

std::unique_ptr<DanmakuRenderer> DanmakuRenderer::open(int width, int height,
                                                       const DanmakuSpec& spec,
                                                       const std::string& fontFile,
                                                       std::string& error) {
  auto glyphs = DanmakuGlyphs::open(fontFile, spec.fontSize, error);
  if (!glyphs) return nullptr;
  return std::unique_ptr<DanmakuRenderer>(
      new DanmakuRenderer(width, height, spec, std::move(glyphs)));
}

std::vector<uint8_t> DanmakuRenderer::rasterize(const std::string& text, Sprite& s) {
  std::vector<char32_t> cps = danmakuCodePoints(text);
  if (cps.size() > kMaxTextCodePoints) {
    cps.resize(kMaxTextCodePoints - 1);
    cps.push_back(U'\u2026');
  }
  const int pad = outline_;
  int textWidth = 0;
  for (char32_t cp : cps) textWidth += glyphs_->glyph(cp).advance;
  // NOTE: at most twice the canvas wide (the rest is cut): messages in a lane never
  // overlap, so the sprites on screen hold at most ~3 canvases of pixels per lane
  // height, whatever max_on_screen says.
  s.width = (std::min(2 * width_, textWidth + 2 * pad) + 1) & ~1;
  s.height = laneHeight_;
  const size_t n = static_cast<size_t>(s.width) * s.height;
  std::vector<uint8_t> fill(n, 0);
  // NOTE: the baseline puts a cap height of ~0.7 em in the middle of the lane.
  const int baseline = (laneHeight_ + spec_.fontSize * 7 / 10) / 2;
  int pen = pad;
  for (char32_t cp : cps) {
    const DanmakuGlyph& g = glyphs_->glyph(cp);
    for (int gy = 0; gy < g.height; ++gy) {
      const int y = baseline - g.top + gy;
      if (y < 0 || y >= s.height) continue;
      for (int gx = 0; gx < g.width; ++gx) {
        const int x = pen + g.left + gx;
        if (x < 0 || x >= s.width) continue;
        uint8_t& d = fill[static_cast<size_t>(y) * s.width + x];
        d = std::max(d, g.coverage[static_cast<size_t>(gy) * g.width + gx]);
      }
    }
    pen += g.advance;
    if (pen >= s.width) break;
  }
  return fill;
}

DanmakuRenderer::Sprite DanmakuRenderer::render(const std::string& text, uint32_t rgb) {
  Sprite s;
  const std::vector<uint8_t> fill = rasterize(text, s);
  const size_t n = fill.size();
  std::vector<uint8_t> outline = fill;
  danmakuDilate(outline, s.width, s.height, outline_, true);
  danmakuDilate(outline, s.width, s.height, outline_, false);
  const Compositor::Yuv c = Compositor::toYuv(rgb);
  const Compositor::Yuv k = Compositor::toYuv(0x000000);
  const int opacity = static_cast<int>(std::lround(spec_.opacity * 255));
  s.y.resize(n);
  s.alpha.resize(n);
  std::vector<uint16_t> pu(n), pv(n);
  for (size_t i = 0; i < n; ++i) {
    // NOTE: the outline (black) under the fill (the colour): alpha f + (1 - f) o,
    // premultiplied value f C + (1 - f) o K, then both times the opacity.
    const int f = fill[i], o = (255 - f) * outline[i] / 255;
    s.alpha[i] = static_cast<uint8_t>((f + o) * opacity / 255);
    s.y[i] = static_cast<uint8_t>((f * c.y + o * k.y) / 255 * opacity / 255);
    pu[i] = static_cast<uint16_t>((f * c.u + o * k.u) / 255 * opacity / 255);
    pv[i] = static_cast<uint16_t>((f * c.v + o * k.v) / 255 * opacity / 255);
  }
  const int cw = s.width / 2, ch = s.height / 2;
  s.u.resize(static_cast<size_t>(cw) * ch);
  s.v.resize(s.u.size());
  s.alphaC.resize(s.u.size());
  for (int y = 0; y < ch; ++y)
    for (int x = 0; x < cw; ++x) {
      const size_t a = static_cast<size_t>(2 * y) * s.width + 2 * x, b = a + s.width;
      const size_t out = static_cast<size_t>(y) * cw + x;
      s.u[out] = static_cast<uint8_t>((pu[a] + pu[a + 1] + pu[b] + pu[b + 1] + 2) / 4);
      s.v[out] = static_cast<uint8_t>((pv[a] + pv[a + 1] + pv[b] + pv[b + 1] + 2) / 4);
      s.alphaC[out] =
          static_cast<uint8_t>((s.alpha[a] + s.alpha[a + 1] + s.alpha[b] + s.alpha[b + 1] + 2) / 4);
    }
  return s;
}

void DanmakuRenderer::add(DanmakuMessage message) {
  // NOTE: kept in program-time order (a late one goes before those due after it).
  auto at = std::upper_bound(waiting_.begin(), waiting_.end(), message.ptsMs,
                             [](int64_t pts, const DanmakuMessage& m) { return pts < m.ptsMs; });
  waiting_.insert(at, std::move(message));
  while (waiting_.size() > static_cast<size_t>(spec_.maxOnScreen)) {
    waiting_.pop_front();
    ++dropped_;
  }
}

void DanmakuRenderer::admit(int64_t ptsMs) {
  while (!waiting_.empty() && active_.size() < static_cast<size_t>(spec_.maxOnScreen)) {
    const DanmakuMessage& m = waiting_.front();
    if (m.ptsMs > ptsMs) return;
    // The first lane free when it was accepted, else the one free first after.
    size_t lane = 0;
    for (size_t i = 1; i < laneFreeMs_.size(); ++i)
      if (laneFreeMs_[lane] > static_cast<double>(m.ptsMs) && laneFreeMs_[i] < laneFreeMs_[lane])
        lane = i;
    const double start = std::max(static_cast<double>(m.ptsMs), laneFreeMs_[lane]);
    if (start > static_cast<double>(ptsMs)) return;  // no lane yet: it waits, in order
    Active a{render(m.text, m.rgb), static_cast<int>(lane), start};
    // NOTE: all move at one speed, so a message that starts once the previous one
    // has fully entered (and a gap) never touches it.
    laneFreeMs_[lane] = start + (a.sprite.width + gap_) * 1000.0 / spec_.speed;
    active_.push_back(std::move(a));
    waiting_.pop_front();
    ++shown_;
  }
}

void DanmakuRenderer::draw(AVFrame* frame, int64_t ptsMs) {
  const double now = static_cast<double>(ptsMs);
  std::erase_if(active_, [&](const Active& a) {
    return now >= a.startMs + (width_ + a.sprite.width) * 1000.0 / spec_.speed;
  });
  admit(ptsMs);
  for (const Active& a : active_) {
    const auto x = static_cast<int>(std::floor(width_ - spec_.speed * (now - a.startMs) / 1000.0));
    blend(frame, a.sprite, x - (x & 1), a.lane * laneHeight_);
  }
}

void DanmakuRenderer::blend(AVFrame* frame, const Sprite& s, int x, int y) const {
  // NOTE: x and y are even, so the sprite's chroma lines up at x / 2, y / 2.
  auto plane = [&](int p, const std::vector<uint8_t>& value, const std::vector<uint8_t>& alpha,
                   int w, int h, int px, int py, int fw, int fh) {
    const int x0 = std::max(0, -px), x1 = std::min(w, fw - px);
    for (int row = std::max(0, -py); row < std::min(h, fh - py); ++row) {
      uint8_t* d = frame->data[p] + static_cast<ptrdiff_t>(py + row) * frame->linesize[p] + px;
      const uint8_t* v = value.data() + static_cast<size_t>(row) * w;
      const uint8_t* a = alpha.data() + static_cast<size_t>(row) * w;
      auto one = [&](int i) {
        if (a[i]) d[i] = static_cast<uint8_t>(v[i] + (d[i] * (255 - a[i]) + 127) / 255);
      };
      int i = x0;
      // NOTE: most of a sprite is clear (around and between the glyphs): eight
      // clear pixels are skipped with one load.
      for (; i + 8 <= x1; i += 8) {
        uint64_t clear8;
        std::memcpy(&clear8, a + i, 8);
        if (clear8 != 0)
          for (int k = i; k < i + 8; ++k) one(k);
      }
      for (; i < x1; ++i) one(i);
    }
  };
  plane(0, s.y, s.alpha, s.width, s.height, x, y, frame->width, frame->height);
  const int cw = s.width / 2, ch = s.height / 2;
  const int fcw = (frame->width + 1) / 2, fch = (frame->height + 1) / 2;
  plane(1, s.u, s.alphaC, cw, ch, x / 2, y / 2, fcw, fch);
  plane(2, s.v, s.alphaC, cw, ch, x / 2, y / 2, fcw, fch);
}

}  // namespace mixer
