// LayoutGeometry: where a program's inputs go on its canvas: the templates (single,
// picture-in-picture, side by side, 2x2) as cells from fractions of the canvas, and
// a picture fitted inside its cell; every rect even (yuv420 chroma is half size).
// Pure; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mixer {

struct PixelRect {
  int x = 0, y = 0, w = 0, h = 0;
  bool operator==(const PixelRect&) const = default;
  bool empty() const { return w <= 0 || h <= 0; }
};

// Fractions of the canvas, 0..1.
struct FracRect {
  double x = 0, y = 0, w = 1, h = 1;
  bool operator==(const FracRect&) const = default;
};

enum class LayoutKind : uint8_t { Single, Pip, SideBySide, Grid2x2 };

struct LayoutSpec {
  LayoutKind kind = LayoutKind::Single;
  // The inset of "pip" (input 1 over input 0): bottom right, a quarter of each side.
  FracRect pip{0.72, 0.70, 0.25, 0.25};
  bool operator==(const LayoutSpec&) const = default;
};

class LayoutGeometry {
 public:
  // Layers the template shows (inputs past it are decoded but not drawn).
  static size_t layers(LayoutKind kind);
  // The cell of each layer, bottom (drawn first) to top, on a width x height canvas.
  static std::vector<PixelRect> cells(const LayoutSpec& layout, int width, int height);
  // `f` on the canvas: each edge rounded to the nearest even pixel and clipped to
  // the canvas (so cells whose fractions meet share their edge: no gap, no
  // overlap); an empty rect when less than 2x2 is left.
  static PixelRect fromFractions(const FracRect& f, int width, int height);
  // A srcW x srcH picture fitted inside `cell` keeping its aspect ratio, centred,
  // even, at least 2x2 (the cell itself when the source size is unknown).
  static PixelRect fit(const PixelRect& cell, int srcW, int srcH);

  static const char* name(LayoutKind kind);
  static std::optional<LayoutKind> parse(std::string_view name);
};

}  // namespace mixer
