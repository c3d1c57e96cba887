#include "mixer/pipeline_spec.hpp"

#include <boost/test/unit_test.hpp>

using mixer::AudioMode;
using mixer::KeyframePolicy;
using mixer::OverlayType;
using mixer::PipelineSpec;
using nlohmann::json;

namespace {

json ladder() {
  return json::parse(R"({"rungs":[{"height":720,"fps":30,"kbps":2500},
                                   {"height":480,"fps":30,"kbps":1200},
                                   {"height":360,"fps":30,"kbps":700}]})");
}

// The error for `spec`, which must be refused.
std::string refusal(const json& spec) {
  std::string error;
  auto parsed = PipelineSpec::parse(spec, error);
  BOOST_TEST(!parsed.has_value());
  BOOST_TEST(!error.empty());
  return error;
}

json withRung(size_t i, const char* key, json value) {
  json j = ladder();
  j["rungs"][i][key] = std::move(value);
  return j;
}

json withOverlays(json overlays) {
  json j = ladder();
  j["overlays"] = std::move(overlays);
  return j;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_of_a_minimal_ladder) {
  std::string error;
  auto spec = PipelineSpec::parse(ladder(), error);
  BOOST_REQUIRE_MESSAGE(spec, error);
  BOOST_TEST(spec->rungs.size() == 3u);
  BOOST_TEST(spec->rungs[1].height == 480);
  BOOST_TEST(spec->rungs[1].width == 0);
  BOOST_TEST(spec->rungs[1].kbps == 1200);
  BOOST_TEST(spec->preset == "superfast");
  BOOST_TEST(spec->tune == "zerolatency");
  BOOST_TEST(spec->presetOf(spec->rungs[0]) == "superfast");
  BOOST_TEST(spec->gopMs == 2000);
  BOOST_TEST((spec->keyframes == KeyframePolicy::Source));
  BOOST_TEST((spec->audio == AudioMode::Copy));
  BOOST_TEST(spec->masterSource);
  BOOST_TEST(spec->overlays.empty());
}

BOOST_AUTO_TEST_CASE(absurd_rungs_name_the_field_and_the_bound) {
  BOOST_TEST(refusal(withRung(1, "kbps", 100000)) == "rungs[1].kbps: 100000 out of 50..20000");
  BOOST_TEST(refusal(withRung(0, "height", 0)) == "rungs[0].height: 0 out of 64..2160");
  BOOST_TEST(refusal(withRung(2, "height", 4320)) == "rungs[2].height: 4320 out of 64..2160");
  BOOST_TEST(refusal(withRung(0, "height", 721)).find("rungs[0].height: 721 is odd") == 0u);
  BOOST_TEST(refusal(withRung(0, "width", 0)) == "rungs[0].width: 0 out of 64..3840");
  BOOST_TEST(refusal(withRung(1, "fps", 0)) == "rungs[1].fps: 0 out of 1..60");
  BOOST_TEST(refusal(withRung(1, "fps", 120)) == "rungs[1].fps: 120 out of 1..60");
  BOOST_TEST(refusal(withRung(1, "fps", 29.5)) == "rungs[1].fps: 29.5 is not an integer");
  BOOST_TEST(refusal(withRung(1, "kbps", "fast")) == "rungs[1].kbps: \"fast\" is not an integer");
  json noKbps = ladder();
  noKbps["rungs"][2].erase("kbps");
  BOOST_TEST(refusal(noKbps) == "rungs[2].kbps: missing");
}

BOOST_AUTO_TEST_CASE(rung_count_heights_and_presets_are_checked) {
  json seven = ladder();
  seven["rungs"] = json::array();
  for (int h = 200; h < 900; h += 100) seven["rungs"].push_back({{"height", h}, {"kbps", 500}});
  BOOST_TEST(refusal(seven) == "rungs: must be a list of 1..6 rungs");
  json none = ladder();
  none["rungs"] = json::array();
  BOOST_TEST(refusal(none) == "rungs: must be a list of 1..6 rungs");
  BOOST_TEST(refusal(json::object()) == "rungs: missing");
  BOOST_TEST(refusal(withRung(2, "height", 480)) == "rungs[2].height: 480 used twice");
  BOOST_TEST(refusal(withRung(0, "preset", "turbo"))
                 .find("rungs[0].preset: \"turbo\" is not an x264 preset") == 0u);
  BOOST_TEST(refusal(withRung(0, "tune", "cinema")).find("rungs[0].tune: \"cinema\"") == 0u);
  json top = ladder();
  top["preset"] = "ludicrous";
  BOOST_TEST(refusal(top).find("preset: \"ludicrous\" is not an x264 preset") == 0u);
}

BOOST_AUTO_TEST_CASE(pipeline_fields_are_bounded_and_unknown_ones_refused) {
  json j = ladder();
  j["gop_ms"] = 100;
  BOOST_TEST(refusal(j) == "gop_ms: 100 out of 500..10000");
  j = ladder();
  j["keyframes"] = "sometimes";
  BOOST_TEST(refusal(j) == "keyframes: \"sometimes\" is not one of source, fixed");
  j = ladder();
  j["audio_kbps"] = 1000;
  BOOST_TEST(refusal(j) == "audio_kbps: 1000 out of 32..320");
  j = ladder();
  j["gop"] = 2000;
  BOOST_TEST(refusal(j) == "gop: unknown field");
  BOOST_TEST(refusal(withRung(1, "bitrate", 5)) == "rungs[1].bitrate: unknown field");
  j = ladder();
  j["master"] = {{"source", "yes"}};
  BOOST_TEST(refusal(j) == "master.source: \"yes\" is not true or false");
  BOOST_TEST(refusal(json::array()) == "spec: must be a JSON object");
}

BOOST_AUTO_TEST_CASE(overlays_of_every_type_parse) {
  std::string error;
  auto spec = PipelineSpec::parse(withOverlays(json::parse(R"([
    {"id":"logo","type":"image","file":"logos/channel.png","x":0.02,"y":0.03,"unit":"fraction",
     "anchor":"top-right","width":0.1,"opacity":0.8},
    {"id":"title","type":"text","text":"ライブ配信中\nline 2","size":40,"color":"#FFCC00",
     "box":{"color":"#00000080","padding":10},"x":24,"y":24,"anchor":"bottom-left"},
    {"id":"notice","type":"marquee","text":"a:textfile=/etc/passwd","direction":"up","speed":60},
    {"id":"clock","type":"clock","format":"%Y-%m-%d %H:%M:%S","tz":"Asia/Tokyo","visible":false,
     "z":5}])")),
                                  error);
  BOOST_REQUIRE_MESSAGE(spec, error);
  const auto& o = spec->overlays;
  BOOST_REQUIRE(o.size() == 4u);
  BOOST_TEST((o[0].type == OverlayType::Image));
  BOOST_TEST(o[0].file == "logos/channel.png");
  BOOST_TEST(o[0].width == 0.1);
  BOOST_TEST(o[1].text == "ライブ配信中\nline 2");
  BOOST_REQUIRE(o[1].box.has_value());
  BOOST_TEST(o[1].box->padding == 10);
  BOOST_TEST((o[2].type == OverlayType::Marquee));
  BOOST_TEST(o[2].speed == 60);
  BOOST_TEST(o[3].tz == "Asia/Tokyo");
  BOOST_TEST(!o[3].visible);
  BOOST_TEST(o[3].z == 5);
}

BOOST_AUTO_TEST_CASE(duplicate_overlay_ids_are_refused) {
  BOOST_TEST(refusal(withOverlays(json::parse(R"([{"id":"a","type":"text","text":"x"},
                                                   {"id":"a","type":"text","text":"y"}])"))) ==
             "overlays[1].id: \"a\" used twice");
  BOOST_TEST(refusal(withOverlays(json::parse(R"([{"id":"a b","type":"text","text":"x"}])")))
                 .find("overlays[0].id:") == 0u);
}

BOOST_AUTO_TEST_CASE(asset_paths_outside_the_assets_dir_are_refused) {
  for (const char* file : {"/etc/passwd", "../secret.png", "logos/../../x.png", "a//b.png",
                           "./logo.png", "logos\\..\\x.png", ""}) {
    json overlay = {{"id", "logo"}, {"type", "image"}, {"file", file}};
    std::string error = refusal(withOverlays(json::array({overlay})));
    BOOST_TEST_CONTEXT(file) {
      BOOST_TEST(error.find("overlays[0].file:") == 0u);
    }
  }
  json font = {{"id", "t"}, {"type", "text"}, {"text", "x"}, {"font", "../../etc/fonts/x.ttf"}};
  BOOST_TEST(refusal(withOverlays(json::array({font}))).find("overlays[0].font:") == 0u);
}

BOOST_AUTO_TEST_CASE(text_colours_positions_and_clocks_are_validated) {
  auto text = [](json extra) {
    json o = {{"id", "t"}, {"type", "text"}, {"text", "hello"}};
    o.update(extra);
    return withOverlays(json::array({o}));
  };
  BOOST_TEST(refusal(text({{"text", std::string(513, 'a')}})) ==
             "overlays[0].text: 513 bytes, at most 512");
  BOOST_TEST(refusal(text({{"text", ""}})) == "overlays[0].text: empty");
  BOOST_TEST(refusal(text({{"text", "bell\x07"}})) ==
             "overlays[0].text: control character 0x07 not allowed");
  BOOST_TEST(refusal(text({{"color", "red"}})) ==
             "overlays[0].color: \"red\" is not #RRGGBB or #RRGGBBAA");
  BOOST_TEST(refusal(text({{"color", "#12345G"}})).find("overlays[0].color:") == 0u);
  BOOST_TEST(refusal(text({{"box", {{"color", "#000"}}}})).find("overlays[0].box.color:") == 0u);
  BOOST_TEST(refusal(text({{"x", 5000}})) == "overlays[0].x: 5000 out of 0..4096");
  BOOST_TEST(refusal(text({{"unit", "fraction"}, {"x", 1.5}})) == "overlays[0].x: 1.5 out of 0..1");
  BOOST_TEST(refusal(text({{"size", 4}})) == "overlays[0].size: 4 out of 8..400");
  BOOST_TEST(refusal(text({{"tz", "UTC"}})) == "overlays[0].tz: unknown field");
  auto clock = [](json extra) {
    json o = {{"id", "c"}, {"type", "clock"}};
    o.update(extra);
    return withOverlays(json::array({o}));
  };
  BOOST_TEST(refusal(clock({{"tz", "../../etc/passwd"}})).find("overlays[0].tz:") == 0u);
  BOOST_TEST(refusal(clock({{"tz", "+25:00"}})).find("overlays[0].tz:") == 0u);
  BOOST_TEST(refusal(clock({{"format", "%H:%M %s"}})).find("overlays[0].format:") == 0u);
  BOOST_TEST(refusal(clock({{"text", "x"}})) == "overlays[0].text: unknown field");
  std::string error;
  BOOST_TEST(
      PipelineSpec::parse(clock({{"tz", "+05:30"}, {"format", "%H:%M %%"}}), error).has_value());
  BOOST_TEST(
      PipelineSpec::parse(clock({{"tz", "America/Argentina/Buenos_Aires"}}), error).has_value());
}

BOOST_AUTO_TEST_CASE(to_json_parses_back_to_the_same_spec) {
  json j = withOverlays(json::parse(R"([
    {"id":"logo","type":"image","file":"logo.png","x":24,"y":24,"anchor":"bottom-right"},
    {"id":"m","type":"marquee","text":"news: 'quoted' \\ back","direction":"right","speed":80,
     "box":{"color":"#00000080","padding":4}},
    {"id":"c","type":"clock","tz":"Europe/Berlin","font":"fonts/mono.ttf"}])"));
  j["rungs"][0]["preset"] = "veryfast";
  j["rungs"][0]["tune"] = "";
  j["rungs"][1]["width"] = 640;
  j["keyframes"] = "fixed";
  j["audio"] = "aac";
  j["master"] = {{"source", false}};
  std::string error;
  auto spec = PipelineSpec::parse(j, error);
  BOOST_REQUIRE_MESSAGE(spec, error);
  BOOST_TEST(spec->tuneOf(spec->rungs[0]) == "");
  BOOST_TEST(spec->tuneOf(spec->rungs[1]) == "zerolatency");
  auto again = PipelineSpec::parse(spec->toJson(), error);
  BOOST_REQUIRE_MESSAGE(again, error);
  BOOST_TEST((*again == *spec));
  BOOST_TEST(!again->masterSource);
  BOOST_TEST((again->keyframes == KeyframePolicy::Fixed));
}
