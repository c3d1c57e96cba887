#include "mixer/layout_geometry.hpp"

#include <algorithm>
#include <cmath>

namespace mixer {

namespace {

int layoutEvenDown(double v) {
  const int i = static_cast<int>(std::floor(v));
  return i - (i & 1);
}

int layoutEvenNearest(double v) {
  return 2 * static_cast<int>(std::lround(v / 2));
}

}  // namespace

size_t LayoutGeometry::layers(LayoutKind kind) {
  switch (kind) {
    case LayoutKind::Single:
      return 1;
    case LayoutKind::Pip:
    case LayoutKind::SideBySide:
      return 2;
    case LayoutKind::Grid2x2:
      return 4;
    case LayoutKind::Grid3x3:
      return 9;
  }
  return 1;
}

PixelRect LayoutGeometry::fromFractions(const FracRect& f, int width, int height) {
  const int x0 = std::clamp(layoutEvenNearest(f.x * width), 0, width - (width & 1));
  const int y0 = std::clamp(layoutEvenNearest(f.y * height), 0, height - (height & 1));
  // NOTE: an odd canvas keeps its last column/row out of every cell; the encoder's
  // canvas is even anyway (the spec refuses odd sizes), this keeps the math total.
  const int x1 = std::clamp(layoutEvenNearest((f.x + f.w) * width), 0, width - (width & 1));
  const int y1 = std::clamp(layoutEvenNearest((f.y + f.h) * height), 0, height - (height & 1));
  if (x1 - x0 < 2 || y1 - y0 < 2) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

std::vector<FracRect> LayoutGeometry::fractions(const LayoutSpec& layout) {
  std::vector<FracRect> fr;
  switch (layout.kind) {
    case LayoutKind::Single:
      fr = {{0, 0, 1, 1}};
      break;
    case LayoutKind::Pip:
      fr = {{0, 0, 1, 1}, layout.pip};
      break;
    case LayoutKind::SideBySide:
      fr = {{0, 0, 0.5, 1}, {0.5, 0, 0.5, 1}};
      break;
    case LayoutKind::Grid2x2:
      fr = {{0, 0, 0.5, 0.5}, {0.5, 0, 0.5, 0.5}, {0, 0.5, 0.5, 0.5}, {0.5, 0.5, 0.5, 0.5}};
      break;
    case LayoutKind::Grid3x3:
      // NOTE: edges i/3 computed the same way for the cell ending and the one
      // starting there, so neighbours share the rounded edge (no gap, no overlap).
      for (int row = 0; row < 3; ++row)
        for (int col = 0; col < 3; ++col)
          fr.push_back(
              {col / 3.0, row / 3.0, (col + 1) / 3.0 - col / 3.0, (row + 1) / 3.0 - row / 3.0});
      break;
  }
  return fr;
}

std::vector<PixelRect> LayoutGeometry::cells(const LayoutSpec& layout, int width, int height) {
  std::vector<PixelRect> out;
  for (const FracRect& f : fractions(layout)) out.push_back(fromFractions(f, width, height));
  return out;
}

PixelRect LayoutGeometry::fit(const PixelRect& cell, int srcW, int srcH) {
  if (cell.empty() || srcW <= 0 || srcH <= 0) return cell;
  const double scale =
      std::min(static_cast<double>(cell.w) / srcW, static_cast<double>(cell.h) / srcH);
  const int w = std::clamp(layoutEvenNearest(srcW * scale), 2, cell.w - (cell.w & 1));
  const int h = std::clamp(layoutEvenNearest(srcH * scale), 2, cell.h - (cell.h & 1));
  const int x = cell.x + layoutEvenDown((cell.w - w) / 2.0);
  const int y = cell.y + layoutEvenDown((cell.h - h) / 2.0);
  return {x, y, w, h};
}

Placement LayoutGeometry::place(const PixelRect& cell, int srcW, int srcH, const FracRect& crop,
                                LayerFit fit) {
  if (cell.empty() || srcW < 2 || srcH < 2) return {{0, 0, srcW, srcH}, cell};
  const int evenW = srcW - (srcW & 1), evenH = srcH - (srcH & 1);
  int x0 = std::clamp(layoutEvenDown(crop.x * srcW), 0, evenW - 2);
  int y0 = std::clamp(layoutEvenDown(crop.y * srcH), 0, evenH - 2);
  int w = std::clamp(layoutEvenNearest(crop.w * srcW), 2, evenW - x0);
  int h = std::clamp(layoutEvenNearest(crop.h * srcH), 2, evenH - y0);
  if (fit == LayerFit::Cover) {
    const double cellAspect = static_cast<double>(cell.w) / cell.h;
    if (static_cast<double>(w) / h > cellAspect) {
      const int cut = std::clamp(layoutEvenNearest(h * cellAspect), 2, w);
      x0 += layoutEvenDown((w - cut) / 2.0);
      w = cut;
    } else {
      const int cut = std::clamp(layoutEvenNearest(w / cellAspect), 2, h);
      y0 += layoutEvenDown((h - cut) / 2.0);
      h = cut;
    }
  }
  const PixelRect src{x0, y0, w, h};
  return {src, fit == LayerFit::Contain ? LayoutGeometry::fit(cell, w, h) : cell};
}

const char* LayoutGeometry::name(LayoutKind kind) {
  switch (kind) {
    case LayoutKind::Single:
      return "single";
    case LayoutKind::Pip:
      return "pip";
    case LayoutKind::SideBySide:
      return "side_by_side";
    case LayoutKind::Grid2x2:
      return "grid2x2";
    case LayoutKind::Grid3x3:
      return "grid3x3";
  }
  return "?";
}

std::optional<LayoutKind> LayoutGeometry::parse(std::string_view name) {
  for (LayoutKind k : {LayoutKind::Single, LayoutKind::Pip, LayoutKind::SideBySide,
                       LayoutKind::Grid2x2, LayoutKind::Grid3x3})
    if (name == LayoutGeometry::name(k)) return k;
  return std::nullopt;
}

}  // namespace mixer
