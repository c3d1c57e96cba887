#include "mixer/graph_spec.hpp"

#include <boost/test/unit_test.hpp>

using mixer::FilterNode;
using mixer::GraphAssets;
using mixer::GraphSource;
using mixer::GraphSpec;
using mixer::LadderPlan;
using mixer::LadderPlanner;
using mixer::OverlaySpec;
using mixer::OverlayType;
using mixer::PipelineSpec;
using mixer::Rational;

namespace {

LadderPlan plan(std::vector<int> fps = {30, 30, 30}) {
  PipelineSpec spec;
  spec.rungs = {{720, 0, fps[0], 2500, "", {}},
                {480, 0, fps[1], 1200, "", {}},
                {360, 0, fps[2], 700, "", {}}};
  std::string error;
  auto p = LadderPlanner::plan({1920, 1080, 30}, spec, 2, error);
  BOOST_REQUIRE_MESSAGE(p, error);
  return *p;
}

GraphSource source1080(std::string pixFmt = "yuv420p") {
  GraphSource s;
  s.width = 1920;
  s.height = 1080;
  s.pixFmt = std::move(pixFmt);
  return s;
}

GraphSpec build(const LadderPlan& p, const std::vector<OverlaySpec>& overlays = {},
                GraphSource source = source1080()) {
  GraphAssets assets;
  assets.fonts = {"assets", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"};
  assets.images["logo"] = {128, 64};
  assets.clocks["clock"] = {1'796'644'800'000 + 9 * 3600'000, 9 * 3600, "JST", std::nullopt};
  std::string error;
  auto g = GraphSpec::build(source, p, overlays, assets, error);
  BOOST_REQUIRE_MESSAGE(g, error);
  return *g;
}

const FilterNode& node(const GraphSpec& g, const std::string& name) {
  auto i = g.find(name);
  BOOST_REQUIRE_MESSAGE(i, "no node " + name + " in " + g.describe());
  return g.nodes()[*i];
}

std::string fedBy(const GraphSpec& g, const std::string& name, unsigned pad = 0) {
  auto from = g.feeder(*g.find(name), pad);
  return from ? g.nodes()[*from].name : "";
}

std::string opt(const GraphSpec& g, const std::string& name, const std::string& key) {
  const auto* o = node(g, name).option(key);
  return o ? o->text() : "<unset>";
}

// The split pad a node is fed from.
unsigned padOf(const GraphSpec& g, const std::string& name) {
  size_t to = *g.find(name);
  for (const auto& l : g.links()) {
    if (l.to == to) return l.fromPad;
  }
  return 99;
}

OverlaySpec text(std::string id, std::string value, int z = 0) {
  OverlaySpec o;
  o.id = std::move(id);
  o.type = OverlayType::Text;
  o.text = std::move(value);
  o.z = z;
  return o;
}

OverlaySpec logo() {
  OverlaySpec o;
  o.id = "logo";
  o.type = OverlayType::Image;
  o.file = "logo.png";
  o.x = 24;
  o.y = 16;
  o.anchor = mixer::Anchor::TopRight;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(cascade_parentage_r1_from_r0_and_r2_from_r1) {
  GraphSpec g = build(plan());
  BOOST_TEST(fedBy(g, "scale@r0") == "buffer@src");
  BOOST_TEST(fedBy(g, "split@r0") == "scale@r0");
  BOOST_TEST(fedBy(g, "buffersink@r0") == "split@r0");
  BOOST_TEST(padOf(g, "buffersink@r0") == 0u);
  BOOST_TEST(fedBy(g, "scale@r1") == "split@r0");
  BOOST_TEST(padOf(g, "scale@r1") == 1u);
  BOOST_TEST(fedBy(g, "scale@r2") == "split@r1");
  BOOST_TEST(fedBy(g, "buffersink@r2") == "scale@r2");  // the smallest has no split
  BOOST_TEST(!g.find("split@r2"));
  BOOST_TEST(opt(g, "split@r0", "outputs") == "2");
  BOOST_TEST(opt(g, "scale@r1", "w") == "854");
  BOOST_TEST(opt(g, "scale@r1", "h") == "480");
  BOOST_TEST(opt(g, "scale@r2", "flags") == "bilinear");
  BOOST_REQUIRE(g.sinkNodes().size() == 3u);
  BOOST_TEST(g.nodes()[g.sinkNodes()[2]].name == "buffersink@r2");
  BOOST_TEST(g.nodes()[g.sourceNode()].name == "buffer@src");
}

BOOST_AUTO_TEST_CASE(the_source_buffer_describes_the_decoded_frames) {
  GraphSource s = source1080();
  s.fps = 30000.0 / 1001;
  GraphSpec g = build(plan(), {}, s);
  BOOST_TEST(opt(g, "buffer@src", "width") == "1920");
  BOOST_TEST(opt(g, "buffer@src", "pix_fmt") == "yuv420p");
  BOOST_TEST(opt(g, "buffer@src", "time_base") == "1/1000");
  BOOST_TEST(opt(g, "buffer@src", "frame_rate") == "30000/1001");
  BOOST_TEST((mixer::frameRate(25) == Rational{25, 1}));
  BOOST_TEST((mixer::frameRate(59.94) == Rational{60000, 1001}));
  BOOST_TEST((mixer::frameRate(12.5) == Rational{12500, 1000}));
}

BOOST_AUTO_TEST_CASE(no_format_node_when_the_pixel_format_matches) {
  GraphSpec same = build(plan());
  for (const auto& n : same.nodes()) BOOST_TEST(n.filter != "format");
  GraphSpec jpeg = build(plan(), {}, source1080("yuvj420p"));
  BOOST_TEST(fedBy(jpeg, "format@r0") == "scale@r0");
  BOOST_TEST(opt(jpeg, "format@r0", "pix_fmts") == "yuv420p");
  BOOST_TEST(fedBy(jpeg, "split@r0") == "format@r0");
}

BOOST_AUTO_TEST_CASE(fps_node_only_below_the_source_fps) {
  GraphSpec full = build(plan());
  for (const auto& n : full.nodes()) BOOST_TEST(n.filter != "fps");
  GraphSpec reduced = build(plan({30, 15, 30}));
  BOOST_TEST(!reduced.find("fps@r0"));
  BOOST_TEST(!reduced.find("fps@r2"));
  BOOST_TEST(opt(reduced, "fps@r1", "fps") == "15/1");
  // On the rung's own branch: the 360p rung below it still gets every frame.
  BOOST_TEST(fedBy(reduced, "fps@r1") == "split@r1");
  BOOST_TEST(padOf(reduced, "fps@r1") == 0u);
  BOOST_TEST(fedBy(reduced, "buffersink@r1") == "fps@r1");
  BOOST_TEST(fedBy(reduced, "scale@r2") == "split@r1");
}

BOOST_AUTO_TEST_CASE(overlays_sit_on_the_top_rung_only_in_z_order) {
  GraphSpec g = build(plan(), {text("title", "Hello", 2), logo(), text("notice", "News", 1)});
  // scale@r0 -> overlay@ov_logo (z 0) -> drawtext@ov_notice (1) -> drawtext@ov_title (2) -> split
  BOOST_TEST(fedBy(g, "overlay@ov_logo") == "scale@r0");
  BOOST_TEST(fedBy(g, "overlay@ov_logo", 1) == "buffer@img_logo");
  BOOST_TEST(fedBy(g, "drawtext@ov_notice") == "overlay@ov_logo");
  BOOST_TEST(fedBy(g, "drawtext@ov_title") == "drawtext@ov_notice");
  BOOST_TEST(fedBy(g, "split@r0") == "drawtext@ov_title");
  BOOST_TEST(fedBy(g, "scale@r1") == "split@r0");
  BOOST_REQUIRE(g.imageInputs().count("logo") == 1u);
  BOOST_TEST(g.nodes()[g.imageInputs().at("logo")].name == "buffer@img_logo");
  BOOST_TEST(opt(g, "buffer@img_logo", "width") == "128");
  BOOST_TEST(opt(g, "buffer@img_logo", "pix_fmt") == "rgba");
  BOOST_TEST(opt(g, "overlay@ov_logo", "x") == "W-w-24");
  BOOST_TEST(opt(g, "overlay@ov_logo", "y") == "16");
  BOOST_TEST(opt(g, "overlay@ov_logo", "eof_action") == "repeat");
}

BOOST_AUTO_TEST_CASE(drawtext_takes_user_text_literally_with_expansion_none) {
  const std::string hostile = "a:textfile=/etc/passwd %{localtime} 'x' \\ [out];\nline 2";
  OverlaySpec t = text("title", hostile);
  t.size = 40;
  t.color = "#FFCC00";
  t.box = mixer::TextBox{"#00000080", 10};
  t.anchor = mixer::Anchor::BottomRight;
  t.unit = mixer::PositionUnit::Fraction;
  t.x = 0.05;
  t.y = 0.1;
  t.opacity = 0.75;
  GraphSpec g = build(plan(), {t});
  BOOST_TEST(opt(g, "drawtext@ov_title", "expansion") == "none");
  BOOST_TEST(opt(g, "drawtext@ov_title", "text") == hostile);
  BOOST_TEST(opt(g, "drawtext@ov_title", "textfile") == "<unset>");
  BOOST_TEST(opt(g, "drawtext@ov_title", "fontfile") ==
             "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf");
  BOOST_TEST(opt(g, "drawtext@ov_title", "fontsize") == "40");
  BOOST_TEST(opt(g, "drawtext@ov_title", "fontcolor") == "0xFFCC00");
  BOOST_TEST(opt(g, "drawtext@ov_title", "box") == "1");
  BOOST_TEST(opt(g, "drawtext@ov_title", "boxcolor") == "0x00000080");
  BOOST_TEST(opt(g, "drawtext@ov_title", "boxborderw") == "10");
  BOOST_TEST(opt(g, "drawtext@ov_title", "alpha") == "0.75");
  // Fractions of the 1280x720 top rung, numbers only.
  BOOST_TEST(opt(g, "drawtext@ov_title", "x") == "w-tw-64");
  BOOST_TEST(opt(g, "drawtext@ov_title", "y") == "h-th-72");
  BOOST_TEST(opt(g, "drawtext@ov_title", "enable") == "<unset>");
  // The log line stays one line.
  BOOST_TEST(g.describe().find('\n') == std::string::npos);
  BOOST_TEST(g.describe().find("drawtext@ov_title{expansion=none") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fonts_marquees_clocks_and_hidden_overlays) {
  OverlaySpec m = text("news", "Breaking");
  m.type = OverlayType::Marquee;
  m.speed = 120;
  m.font = "fonts/bold.ttf";
  m.y = 600;
  OverlaySpec c;
  c.id = "clock";
  c.type = OverlayType::Clock;
  c.visible = false;
  OverlaySpec up = text("up", "Up");
  up.type = OverlayType::Marquee;
  up.direction = mixer::MarqueeDirection::Up;
  up.speed = 30;
  up.anchor = mixer::Anchor::Center;
  GraphSpec g = build(plan(), {m, c, up});
  BOOST_TEST(opt(g, "drawtext@ov_news", "fontfile") == "assets/fonts/bold.ttf");
  BOOST_TEST(opt(g, "drawtext@ov_news", "x") == "w-mod(t*120,w+tw)");
  BOOST_TEST(opt(g, "drawtext@ov_news", "y") == "600");
  BOOST_TEST(opt(g, "drawtext@ov_up", "x") == "(w-tw)/2+0");
  BOOST_TEST(opt(g, "drawtext@ov_up", "y") == "h-mod(t*30,h+th)");
  // The clock's text is drawtext's own expansion of the frame's time; user texts
  // are never expanded.
  BOOST_TEST(opt(g, "drawtext@ov_clock", "text") == "%{pts:gmtime:1796677200.000:%H\\:%M\\:%S}");
  BOOST_TEST(opt(g, "drawtext@ov_clock", "expansion") == "normal");
  BOOST_TEST(opt(g, "drawtext@ov_news", "expansion") == "none");
  BOOST_TEST(opt(g, "drawtext@ov_clock", "enable") == "0");
}

BOOST_AUTO_TEST_CASE(clock_texts_escape_their_format_and_fix_the_zone) {
  mixer::ClockState berlin{-1500, 7200, "CEST", 1'792'890'000};
  BOOST_TEST(mixer::clockText("%H:%M %Z %z", berlin) ==
             "%{pts:gmtime:-1.500:%H\\:%M\\ CEST\\ +0200}");
  mixer::ClockState west{0, -(3 * 3600 + 30 * 60), "-0330", std::nullopt};
  BOOST_TEST(mixer::clockText("}'\\%%z%z", west) == "%{pts:gmtime:0.000:\\}\\'\\\\%%z-0330}");
  BOOST_TEST(mixer::escapeExpansionArgument(" a:b} ") == "\\ a\\:b\\}\\ ");
  // The worker's next reinit: the earliest transition of any clock.
  GraphAssets assets;
  BOOST_TEST(!mixer::nextClockReinit(assets));
  assets.clocks["a"] = {0, 0, "UTC", std::nullopt};
  assets.clocks["b"] = berlin;
  assets.clocks["c"] = {0, 0, "X", 1'800'000'000};
  BOOST_TEST(mixer::nextClockReinit(assets).value_or(0) == 1'792'890'000);
}

BOOST_AUTO_TEST_CASE(asset_names_resolve_inside_the_assets_dir) {
  std::string error;
  BOOST_TEST(mixer::assetPath("assets", "logos/a.png", error).value_or("") == "assets/logos/a.png");
  BOOST_TEST(mixer::assetPath("assets/", "a.png", error).value_or("") == "assets/a.png");
  for (const char* bad : {"/etc/passwd", "../etc/passwd", "logos/../../x.png", "a//b.png", "",
                          "a\\..\\b", "./a.png"}) {
    BOOST_TEST(!mixer::assetPath("assets", bad, error), bad);
    BOOST_TEST(error.find("is not a name inside the assets dir") != std::string::npos, error);
  }
}

BOOST_AUTO_TEST_CASE(a_clock_without_a_state_is_an_error) {
  OverlaySpec c;
  c.id = "clock2";
  c.type = OverlayType::Clock;
  std::string error;
  BOOST_TEST(!GraphSpec::build(source1080(), plan(), {c}, GraphAssets{}, error));
  BOOST_TEST(error == "overlay clock2: clock zone not resolved");
}

BOOST_AUTO_TEST_CASE(an_image_without_a_loaded_size_is_an_error) {
  OverlaySpec other = logo();
  other.id = "other";
  GraphAssets assets;
  std::string error;
  BOOST_TEST(!GraphSpec::build(source1080(), plan(), {other}, assets, error));
  BOOST_TEST(error == "overlay other: image not loaded");
  BOOST_TEST(!GraphSpec::build(source1080(), LadderPlan{}, {}, assets, error));
}

BOOST_AUTO_TEST_CASE(a_single_rung_has_no_split) {
  PipelineSpec spec;
  spec.rungs = {{480, 0, 30, 1200, "", {}}};
  std::string error;
  auto p = LadderPlanner::plan({1920, 1080, 30}, spec, 2, error);
  BOOST_REQUIRE(p);
  GraphSpec g = build(*p);
  BOOST_TEST(g.nodes().size() == 3u);
  BOOST_TEST(fedBy(g, "buffersink@r0") == "scale@r0");
  BOOST_TEST(g.links().size() == 2u);
}
