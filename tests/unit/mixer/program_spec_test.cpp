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

BOOST_AUTO_TEST_CASE(danmaku_option) {
  std::string error;
  auto clean = ProgramSpec::parse(base(), ProgramDefaults{}, error);
  BOOST_REQUIRE_MESSAGE(clean, error);
  BOOST_TEST(!clean->danmaku);
  BOOST_TEST(clean->toJson()["danmaku"].is_null());
  json j = base();
  j["danmaku"] = {{"font_size", 40}, {"speed", 300},        {"opacity", 0.8},
                  {"lanes", 3},      {"max_on_screen", 12}, {"room", "live/host"}};
  auto s = ProgramSpec::parse(j, ProgramDefaults{}, error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_REQUIRE(s->danmaku);
  BOOST_TEST(s->danmaku->fontSize == 40);
  BOOST_TEST(s->danmaku->speed == 300);
  BOOST_TEST(s->danmaku->lanes == 3);
  BOOST_TEST(s->danmaku->maxOnScreen == 12);
  BOOST_TEST(s->danmaku->room == "live/host");
  auto again = ProgramSpec::parse(s->toJson(), ProgramDefaults{}, error);
  BOOST_REQUIRE_MESSAGE(again, error);
  BOOST_TEST((*again == *s));
  j["danmaku"] = json::object();
  auto defaults = ProgramSpec::parse(j, ProgramDefaults{}, error);
  BOOST_REQUIRE(defaults && defaults->danmaku);
  BOOST_TEST(defaults->danmaku->room.empty());  // the first input's room
  BOOST_TEST(!clean->onlyLiveChanges(*defaults, error));
  BOOST_TEST(error.find("danmaku") != std::string::npos);
  j["danmaku"] = {{"lanes", 0}};
  BOOST_TEST(errorOf(j).find("danmaku.lanes") != std::string::npos);
  j["danmaku"] = {{"room", "nope"}};
  BOOST_TEST(errorOf(j).find("danmaku.room") != std::string::npos);
  j["danmaku"] = {{"colour", "red"}};
  BOOST_TEST(errorOf(j).find("colour") != std::string::npos);
}
