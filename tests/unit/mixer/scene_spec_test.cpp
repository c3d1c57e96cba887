// SceneSpec: layers from JSON (input by index or name, colour, image; fractions or
// pixels; crop, opacity, fit, z), templates expanded to layers, path-named errors.
#include "mixer/scene_spec.hpp"

#include <boost/test/unit_test.hpp>

#include "mixer/program_spec.hpp"
#include "mixer/spec_reader.hpp"

using namespace mixer;
using nlohmann::json;

namespace {

const std::vector<std::string> kInputs{"live/a", "live/b", "live/c"};

std::optional<SceneSpec> sceneOf(const json& j, std::string& error) {
  SpecReader r(j, "", error);
  SceneSpec s;
  if (!r.isObject() || !SceneSpec::parse(r, s, kInputs, 320, 180) || !r.noUnknownFields())
    return std::nullopt;
  return s;
}

std::string errorOf(const json& j) {
  std::string error;
  BOOST_TEST(!sceneOf(j, error));
  return error;
}

}  // namespace

BOOST_AUTO_TEST_CASE(templates_expand_to_input_layers) {
  SceneSpec s;
  s.layout.kind = LayoutKind::Grid3x3;
  auto layers = s.resolved(9);
  BOOST_REQUIRE_EQUAL(layers.size(), 9u);
  for (size_t i = 0; i < 9; ++i) {
    BOOST_TEST((layers[i].source == LayerSource::Input));
    BOOST_TEST(layers[i].input == i);
    BOOST_TEST(layers[i].opacity == 1.0);
  }
  BOOST_TEST((LayoutGeometry::fromFractions(layers[4].rect, 320, 180) ==
              LayoutGeometry::cells(s.layout, 320, 180)[4]));
  // A template shows no more layers than there are inputs.
  BOOST_TEST(s.resolved(2).size() == 2u);
}

BOOST_AUTO_TEST_CASE(pixels_and_fractions_land_on_the_same_cell) {
  std::string error;
  auto s = sceneOf(json::parse(R"({"layers":[
      {"input":"live/b","unit":"px","x":160,"y":90,"w":160,"h":90},
      {"input":1,"x":0.5,"y":0.5,"w":0.5,"h":0.5}]})"),
                   error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_REQUIRE_EQUAL(s->layers.size(), 2u);
  BOOST_TEST(s->layers[0].input == 1u);
  BOOST_TEST(s->layers[0].pixels);
  for (auto [w, h] : {std::pair{320, 180}, {160, 90}})
    BOOST_TEST((LayoutGeometry::fromFractions(s->layers[0].rect, w, h) ==
                LayoutGeometry::fromFractions(s->layers[1].rect, w, h)));
  BOOST_TEST(
      (LayoutGeometry::fromFractions(s->layers[0].rect, 320, 180) == PixelRect{160, 90, 160, 90}));
}

BOOST_AUTO_TEST_CASE(z_orders_then_list_order) {
  std::string error;
  auto s = sceneOf(json::parse(R"({"layers":[
      {"color":"#FF0000","z":5},
      {"color":"#00FF00"},
      {"image":"logo.png","z":-1,"crop":{"x":0.25,"y":0,"w":0.5,"h":1},"opacity":0.5,"fit":"cover"},
      {"input":2}]})"),
                   error);
  BOOST_REQUIRE_MESSAGE(s, error);
  auto layers = s->resolved(3);
  BOOST_REQUIRE_EQUAL(layers.size(), 4u);
  BOOST_TEST((layers[0].source == LayerSource::Image));  // z -1
  BOOST_TEST(layers[0].crop.x == 0.25);
  BOOST_TEST(layers[0].opacity == 0.5);
  BOOST_TEST((layers[0].fit == LayerFit::Cover));
  BOOST_TEST(layers[1].rgb == 0x00FF00u);  // z 0, listed before the input
  BOOST_TEST((layers[2].source == LayerSource::Input));
  BOOST_TEST(layers[3].rgb == 0xFF0000u);  // z 5: on top
}

BOOST_AUTO_TEST_CASE(a_program_round_trips_its_scenes) {
  json j = {{"output", "live/pgm"},
            {"inputs", {{{"stream", "live/a"}}, {{"stream", "live/b"}}}},
            {"width", 320},
            {"height", 180},
            {"layers", json::parse(R"([{"input":1,"unit":"px","x":10,"y":20,"w":100,"h":50,
                                        "crop":{"x":0.1,"y":0.1,"w":0.5,"h":0.5}},
                                       {"color":"#123456","opacity":0.25}])")},
            {"preview", {{"layout", "grid3x3"}}}};
  std::string error;
  auto s = ProgramSpec::parse(j, ProgramDefaults{}, error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_TEST((s->preview.layout.kind == LayoutKind::Grid3x3));
  BOOST_TEST(s->previewStream);
  BOOST_TEST(s->previewWidth == 160);
  BOOST_TEST(s->previewHeight == 90);
  auto again = ProgramSpec::parse(s->toJson(), ProgramDefaults{}, error);
  BOOST_REQUIRE_MESSAGE(again, error);
  BOOST_TEST((*again == *s));
}

BOOST_AUTO_TEST_CASE(errors_name_the_layer_and_field) {
  BOOST_TEST(errorOf(json::parse(R"({"layers":[{"color":"#000000"},{"input":"live/x"}]})"))
                 .find("layers[1].input") == 0u);
  BOOST_TEST(errorOf(json::parse(R"({"layers":[{"input":3}]})")).find("layers[0].input") == 0u);
  BOOST_TEST(errorOf(json::parse(R"({"layers":[{"input":0,"color":"#000000"}]})"))
                 .find("layers[0].input") == 0u);
  BOOST_TEST(errorOf(json::parse(R"({"layers":[{"color":"red"}]})")).find("layers[0].color") == 0u);
  BOOST_TEST(
      errorOf(json::parse(R"({"layers":[{"image":"../etc/passwd"}]})")).find("layers[0].image") ==
      0u);
  BOOST_TEST(errorOf(json::parse(R"({"layers":[{"input":0,"x":0.6,"w":0.5}]})"))
                 .find("leaves the canvas") != std::string::npos);
  BOOST_TEST(errorOf(json::parse(R"({"layers":[{"input":0,"unit":"px","x":300,"w":40}]})"))
                 .find("layers[0].w") == 0u);
  BOOST_TEST(
      errorOf(json::parse(R"({"layers":[{"input":0,"opacity":1.5}]})")).find("layers[0].opacity") ==
      0u);
  BOOST_TEST(errorOf(json::parse(R"({"layers":[{"input":0,"crop":{"x":0.9,"w":0.5}}]})"))
                 .find("layers[0].crop.w") == 0u);
  BOOST_TEST(
      errorOf(json::parse(R"({"layers":[{"input":0,"fit":"fill"}]})")).find("layers[0].fit") == 0u);
  BOOST_TEST(errorOf(json::parse(R"({"layout":"grid4x4"})")).find("layout") == 0u);
}
