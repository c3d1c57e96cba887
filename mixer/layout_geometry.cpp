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

std::vector<PixelRect> LayoutGeometry::cells(const LayoutSpec& layout, int width, int height) {
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
  }
  std::vector<PixelRect> out;
  for (const FracRect& f : fr) out.push_back(fromFractions(f, width, height));
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
  }
  return "?";
}

std::optional<LayoutKind> LayoutGeometry::parse(std::string_view name) {
  for (LayoutKind k :
       {LayoutKind::Single, LayoutKind::Pip, LayoutKind::SideBySide, LayoutKind::Grid2x2})
    if (name == LayoutGeometry::name(k)) return k;
  return std::nullopt;
}

}  // namespace mixer
