// LayoutGeometry: where a program's layers go on its canvas: the templates (single,
// picture-in-picture, side by side, 2x2, 3x3) as cells from fractions of the canvas,
// and a source (cropped) placed in its cell by its fit; every rect even (yuv420
// chroma is half size). Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
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

enum class LayoutKind : uint8_t { Single, Pip, SideBySide, Grid2x2, Grid3x3 };

// How a source fills its layer's cell: inside it keeping its aspect (letterboxed),
// over all of it keeping its aspect (the overflow cropped), or stretched to it.
enum class LayerFit : uint8_t { Contain, Cover, Stretch };

// Where a source goes: `src` (a rect of the source, even) scaled to `dst` (on the canvas).
struct Placement {
  PixelRect src, dst;
  bool operator==(const Placement&) const = default;
};

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
  // The cell of each layer as fractions of the canvas, bottom to top.
  static std::vector<FracRect> fractions(const LayoutSpec& layout);
  // The cell of each layer, bottom (drawn first) to top, on a width x height canvas.
  static std::vector<PixelRect> cells(const LayoutSpec& layout, int width, int height);
  // `f` on the canvas: each edge rounded to the nearest even pixel and clipped to
  // the canvas (so cells whose fractions meet share their edge: no gap, no
  // overlap); an empty rect when less than 2x2 is left.
  static PixelRect fromFractions(const FracRect& f, int width, int height);
  // A srcW x srcH picture fitted inside `cell` keeping its aspect ratio, centred,
  // even, at least 2x2 (the cell itself when the source size is unknown).
  static PixelRect fit(const PixelRect& cell, int srcW, int srcH);
  // The `crop` (fractions) of a srcW x srcH source placed in `cell` by `fit`: the
  // source rect (even edges, at least 2x2; for cover also cut to the cell's aspect,
  // centred) and where it lands on the canvas.
  static Placement place(const PixelRect& cell, int srcW, int srcH, const FracRect& crop,
                         LayerFit fit);

  static const char* name(LayoutKind kind);
  static std::optional<LayoutKind> parse(std::string_view name);
};

}  // namespace mixer
