#include "mixer/scene_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "mixer/overlay_spec.hpp"
#include "mixer/program_spec.hpp"
#include "mixer/spec_reader.hpp"

namespace mixer {

namespace {

constexpr std::array<const char*, 5> kSceneLayouts{"single", "pip", "side_by_side", "grid2x2",
                                                   "grid3x3"};
constexpr std::array<const char*, 3> kSceneFits{"contain", "cover", "stretch"};

bool sceneFraction(SpecReader& r, FracRect& f) {
  if (!r.number("x", f.x, 0, 1) || !r.number("y", f.y, 0, 1) || !r.number("w", f.w, 0.01, 1) ||
      !r.number("h", f.h, 0.01, 1))
    return false;
  if (f.x + f.w > 1.0001 || f.y + f.h > 1.0001)
    return r.fail("w", "the rect leaves the canvas (x + w and y + h must be <= 1)");
  return true;
}

bool scenePixels(SpecReader& r, LayerSpec& l, int width, int height) {
  PixelRect p{0, 0, width, height};
  if (!r.integer("x", p.x, 0, width - 2) || !r.integer("y", p.y, 0, height - 2) ||
      !r.integer("w", p.w, 2, width) || !r.integer("h", p.h, 2, height))
    return false;
  if (p.x + p.w > width || p.y + p.h > height)
    return r.fail("w", fmt::format("the rect leaves the {}x{} canvas", width, height));
  l.pixels = true;
  l.px = p;
  l.rect = {double(p.x) / width, double(p.y) / height, double(p.w) / width, double(p.h) / height};
  return true;
}

bool sceneLayerSource(SpecReader& r, LayerSpec& l, const std::vector<std::string>& inputs) {
  const int sources = int(r.has("input")) + int(r.has("color")) + int(r.has("image"));
  if (sources != 1) return r.fail("input", "a layer has one of \"input\", \"color\", \"image\"");
  if (const nlohmann::json* in = r.get("input")) {
    l.source = LayerSource::Input;
    if (in->is_number_unsigned() && in->get<uint64_t>() < inputs.size()) {
      l.input = in->get<size_t>();
      return true;
    }
    if (in->is_string()) {
      auto it = std::find(inputs.begin(), inputs.end(), in->get<std::string>());
      if (it != inputs.end()) {
        l.input = static_cast<size_t>(it - inputs.begin());
        return true;
      }
    }
    return r.fail("input", fmt::format("{} is not one of the program's {} inputs (an index or "
                                       "\"app/name\")",
                                       in->dump().substr(0, 100), inputs.size()));
  }
  if (r.has("color")) {
    std::string color;
    if (!r.text("color", color, 16)) return false;
    auto rgb = parseRgb(color);
    if (!rgb) return r.fail("color", "\"" + color + "\" is not #RRGGBB");
    l.source = LayerSource::Color;
    l.rgb = *rgb;
    return true;
  }
  l.source = LayerSource::Image;
  if (!r.text("image", l.image, kMaxAssetNameBytes, true)) return false;
  if (!validAssetName(l.image))
    return r.fail("image", fmt::format("\"{}\" must be a name inside the assets dir (relative, "
                                       "no \"..\", no leading \"/\")",
                                       l.image));
  return true;
}

bool sceneLayer(SpecReader& r, LayerSpec& l, const std::vector<std::string>& inputs, int width,
                int height) {
  size_t unit = 0, fit = 0;
  if (!r.isObject() || !sceneLayerSource(r, l, inputs) || !r.choice("unit", unit, {"frac", "px"}))
    return false;
  if (!(unit == 1 ? scenePixels(r, l, width, height) : sceneFraction(r, l.rect))) return false;
  if (const nlohmann::json* crop = r.get("crop")) {
    SpecReader c(*crop, r.pathOf("crop"), r.errorText());
    if (!c.isObject() || !sceneFraction(c, l.crop) || !c.noUnknownFields()) return false;
  }
  if (!r.number("opacity", l.opacity, 0, 1) ||
      !r.choice("fit", fit, {kSceneFits[0], kSceneFits[1], kSceneFits[2]}) ||
      !r.integer("z", l.z, -100, 100) || !r.noUnknownFields())
    return false;
  l.fit = static_cast<LayerFit>(fit);
  return true;
}

nlohmann::json sceneRectJson(const FracRect& f) {
  return {{"x", f.x}, {"y", f.y}, {"w", f.w}, {"h", f.h}};
}

}  // namespace

bool SceneSpec::parse(SpecReader& r, SceneSpec& s, const std::vector<std::string>& inputs,
                      int width, int height) {
  size_t layout = static_cast<size_t>(s.layout.kind);
  if (!r.choice("layout", layout,
                {kSceneLayouts[0], kSceneLayouts[1], kSceneLayouts[2], kSceneLayouts[3],
                 kSceneLayouts[4]}))
    return false;
  s.layout.kind = static_cast<LayoutKind>(layout);
  if (const nlohmann::json* pip = r.get("pip")) {
    SpecReader p(*pip, r.pathOf("pip"), r.errorText());
    if (!p.isObject() || !sceneFraction(p, s.layout.pip) || !p.noUnknownFields()) return false;
  }
  const nlohmann::json* list = r.get("layers");
  if (!list) return true;
  if (!list->is_array() || list->size() > kMaxSceneLayers)
    return r.fail("layers", fmt::format("must be a list of 0..{} layers", kMaxSceneLayers));
  s.layers.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    SpecReader lr((*list)[i], r.pathOf(fmt::format("layers[{}]", i)), r.errorText());
    LayerSpec l;
    if (!sceneLayer(lr, l, inputs, width, height)) return false;
    s.layers.push_back(std::move(l));
  }
  return true;
}

void SceneSpec::toJson(nlohmann::json& j) const {
  j["layout"] = LayoutGeometry::name(layout.kind);
  j["pip"] = sceneRectJson(layout.pip);
  if (layers.empty()) return;
  nlohmann::json list = nlohmann::json::array();
  for (const LayerSpec& l : layers) {
    nlohmann::json o;
    if (l.source == LayerSource::Input) o["input"] = l.input;
    if (l.source == LayerSource::Color) o["color"] = fmt::format("#{:06X}", l.rgb);
    if (l.source == LayerSource::Image) o["image"] = l.image;
    if (l.pixels) {
      o.update({{"unit", "px"}, {"x", l.px.x}, {"y", l.px.y}, {"w", l.px.w}, {"h", l.px.h}});
    } else {
      o.update(sceneRectJson(l.rect));
    }
    if (l.crop != FracRect{}) o["crop"] = sceneRectJson(l.crop);
    o["opacity"] = l.opacity;
    o["fit"] = kSceneFits[static_cast<size_t>(l.fit)];
    o["z"] = l.z;
    list.push_back(std::move(o));
  }
  j["layers"] = std::move(list);
}

std::vector<LayerSpec> SceneSpec::resolved(size_t inputs) const {
  std::vector<LayerSpec> out;
  if (!layers.empty()) {
    out = layers;
    std::stable_sort(out.begin(), out.end(),
                     [](const LayerSpec& a, const LayerSpec& b) { return a.z < b.z; });
    return out;
  }
  const std::vector<FracRect> cells = LayoutGeometry::fractions(layout);
  for (size_t i = 0; i < cells.size() && i < inputs; ++i) {
    LayerSpec l;
    l.input = i;
    l.rect = cells[i];
    out.push_back(l);
  }
  return out;
}

}  // namespace mixer
