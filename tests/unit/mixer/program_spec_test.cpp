#include "mixer/program_spec.hpp"

#include <boost/test/unit_test.hpp>

using mixer::LayoutKind;
using mixer::ProgramDefaults;
using mixer::ProgramSpec;
using nlohmann::json;

namespace {

std::string errorOf(const json& j) {
  std::string error;
  BOOST_TEST(!ProgramSpec::parse(j, ProgramDefaults{}, error));
  return error;
}

json base() {
  return {{"output", "live/pgm"}, {"inputs", {{{"stream", "live/a"}}, {{"stream", "live/b"}}}}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_and_round_trip) {
  std::string error;
  ProgramDefaults d{"#102030", 700, 1500};
  auto s = ProgramSpec::parse(base(), d, error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_TEST(s->key() == "live/pgm");
  BOOST_TEST(s->inputs.size() == 2u);
  BOOST_TEST(s->inputs[1].key() == "live/b");
  BOOST_TEST((s->scene.layout.kind == LayoutKind::Single));
  BOOST_TEST(s->slateColor == "#102030");
  BOOST_TEST(s->stallMs == 700);
  BOOST_TEST(s->repeatMs == 1500);
  auto again = ProgramSpec::parse(s->toJson(), ProgramDefaults{}, error);
  BOOST_REQUIRE_MESSAGE(again, error);
  BOOST_TEST((*again == *s));
}

BOOST_AUTO_TEST_CASE(layout_pip_and_slate) {
  json j = base();
  j["layout"] = "pip";
  j["pip"] = {{"x", 0.7}, {"y", 0.1}, {"w", 0.25}, {"h", 0.25}};
  j["slate"] = {{"color", "#00FF00"}, {"text", "back soon"}};
  std::string error;
  auto s = ProgramSpec::parse(j, ProgramDefaults{}, error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_TEST((s->scene.layout.kind == LayoutKind::Pip));
  BOOST_TEST(s->scene.layout.pip.x == 0.7);
  BOOST_TEST(*mixer::parseRgb(s->slateColor) == 0x00FF00u);
  BOOST_TEST(s->slateText == "back soon");
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  json j = base();
  j["width"] = 641;
  BOOST_TEST(errorOf(j).find("width: 641 is odd") != std::string::npos);
  j = base();
  j["layout"] = "3x3";
  BOOST_TEST(errorOf(j).find("layout") == 0u);
  j = base();
  j["inputs"][1]["stream"] = "nope";
  BOOST_TEST(errorOf(j).find("inputs[1].stream") == 0u);
  j = base();
  j["inputs"][0]["stream"] = "live/pgm";
  BOOST_TEST(errorOf(j).find("own output") != std::string::npos);
  j = base();
  j["pip"] = {{"x", 0.9}, {"w", 0.5}};
  BOOST_TEST(errorOf(j).find("leaves the canvas") != std::string::npos);
  j = base();
  j["colour"] = "red";
  BOOST_TEST(errorOf(j).find("colour") != std::string::npos);
  j = base();
  j["slate"] = {{"color", "red"}};
  BOOST_TEST(errorOf(j).find("slate.color") == 0u);
  j = base();
  j["inputs"] = json::array();
  BOOST_TEST(errorOf(j).find("inputs") == 0u);
  j = base();
  j["preset"] = "veryslow";
  BOOST_TEST(errorOf(j).find("preset") == 0u);
}

BOOST_AUTO_TEST_CASE(only_live_fields_change) {
  std::string error;
  auto a = ProgramSpec::parse(base(), ProgramDefaults{}, error);
  BOOST_REQUIRE(a);
  ProgramSpec b = *a;
  b.scene.layout.kind = LayoutKind::SideBySide;
  b.inputs[0].gain = 0.5;
  b.inputs[1].app = "other";
  BOOST_TEST(a->onlyLiveChanges(b, error));
  b.width = 640;
  BOOST_TEST(!a->onlyLiveChanges(b, error));
  BOOST_TEST(error.find("width") == 0u);
}
