// SceneSpec: what a program draws: layers bottom to top (by "z", then list order),
// each an input of the program, a colour or an image of the assets dir, placed by
// fractions or pixels of the canvas, cropped, blended by its opacity, fitted; or a
// template (single, pip, side_by_side, grid2x2, grid3x3) that expands to layers.
// Parsed from the API's JSON with path-named errors. Pure value; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mixer/layout_geometry.hpp"

namespace mixer {

class SpecReader;

inline constexpr size_t kMaxSceneLayers = 16;

enum class LayerSource : uint8_t { Input, Color, Image };

struct LayerSpec {
  LayerSource source = LayerSource::Input;
  size_t input = 0;     // Input: the index in the program's inputs
  uint32_t rgb = 0;     // Color: 0xRRGGBB
  std::string image;    // Image: a PNG or JPEG name in [mixer] assets_dir
  FracRect rect;        // the cell on the canvas
  bool pixels = false;  // given in pixels of the program canvas (`px`), kept for toJson
  PixelRect px;
  FracRect crop;       // of the source
  double opacity = 1;  // 0..1: alpha onto what is below (1: a copy)
  LayerFit fit = LayerFit::Contain;
  int z = 0;  // -100..100; equal z keep list order
  bool operator==(const LayerSpec&) const = default;
};

struct SceneSpec {
  LayoutSpec layout;              // the template, when `layers` is empty
  std::vector<LayerSpec> layers;  // free layers (list order), instead of the template

  // Reads "layout", "pip" and "layers" of `r`'s object (the others are the caller's).
  // `inputs`: the program's input keys ("app/name": a layer's "input" is one of them
  // or an index); width x height: the program canvas, for pixel geometry.
  static bool parse(SpecReader& r, SceneSpec& s, const std::vector<std::string>& inputs, int width,
                    int height);
  // "layout", "pip" and, when free, "layers" into `j`.
  void toJson(nlohmann::json& j) const;
  // What is drawn, bottom to top: the free layers sorted by z (stable), or the
  // template's cells, cell i showing input i (of `inputs`), contained.
  std::vector<LayerSpec> resolved(size_t inputs) const;
  bool operator==(const SceneSpec&) const = default;
};

}  // namespace mixer
