#include "mixer/overlay_set.hpp"

#include <boost/test/unit_test.hpp>

using mixer::FrameSize;
using mixer::OverlayChange;
using mixer::OverlayCommand;
using mixer::OverlaySet;
using mixer::OverlaySpec;
using mixer::OverlayType;

namespace {

constexpr FrameSize kTop{1280, 720};

OverlaySpec logo() {
  OverlaySpec o;
  o.id = "logo";
  o.type = OverlayType::Image;
  o.file = "logo.png";
  o.x = 24;
  o.y = 24;
  return o;
}

OverlaySpec title(std::string text = "Hello") {
  OverlaySpec o;
  o.id = "title";
  o.type = OverlayType::Text;
  o.text = std::move(text);
  o.x = 10;
  o.y = 20;
  return o;
}

OverlaySet running() {
  return OverlaySet(kTop, {logo(), title()});
}

}  // namespace

BOOST_AUTO_TEST_CASE(nothing_changed_nothing_to_do) {
  OverlaySet set = running();
  BOOST_TEST(set.update({logo(), title()}).empty());
}

BOOST_AUTO_TEST_CASE(moving_an_image_is_two_commands) {
  OverlaySet set = running();
  OverlaySpec moved = logo();
  moved.x = 100;
  moved.anchor = mixer::Anchor::BottomRight;
  OverlayChange c = set.update(set.with(moved));
  BOOST_TEST(!c.needsRebuild);
  BOOST_REQUIRE(c.commands.size() == 2u);
  BOOST_TEST((c.commands[0] == OverlayCommand{"overlay@ov_logo", "x", "W-w-100"}));
  BOOST_TEST((c.commands[1] == OverlayCommand{"overlay@ov_logo", "y", "H-h-24"}));
  BOOST_TEST(set.find("logo")->x == 100);
}

BOOST_AUTO_TEST_CASE(new_text_is_one_escaped_reinit) {
  OverlaySet set = running();
  OverlayChange c = set.update(set.with(title("a:textfile=/etc/passwd")));
  BOOST_TEST(!c.needsRebuild);
  BOOST_REQUIRE(c.commands.size() == 1u);
  BOOST_TEST(c.commands[0].target == "drawtext@ov_title");
  BOOST_TEST(c.commands[0].command == "reinit");
  BOOST_TEST(
      c.commands[0].argument ==
      "text=a\\:textfile\\=/etc/passwd:fontsize=32:fontcolor=0xFFFFFF:alpha=1:box=0:x=10:y=20");
}

BOOST_AUTO_TEST_CASE(colour_size_and_position_of_a_text_are_a_reinit) {
  OverlaySet set = running();
  OverlaySpec t = title();
  t.color = "#FF0000";
  t.size = 48;
  t.y = 30;
  OverlayChange c = set.update(set.with(t));
  BOOST_TEST(!c.needsRebuild);
  BOOST_REQUIRE(c.commands.size() == 1u);
  BOOST_TEST(c.commands[0].argument.find("fontsize=48:fontcolor=0xFF0000") != std::string::npos);
  BOOST_TEST(c.commands[0].argument.find(":y=30") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_clock_reinit_leaves_its_text_to_the_clock) {
  OverlaySpec clock;
  clock.id = "clock";
  clock.type = OverlayType::Clock;
  OverlaySet set(kTop, {clock});
  clock.x = 50;
  OverlayChange c = set.update({clock});
  BOOST_REQUIRE(c.commands.size() == 1u);
  BOOST_TEST(c.commands[0].argument.find("text=") == std::string::npos);
  BOOST_TEST(c.commands[0].argument.find("x=50") != std::string::npos);
  // A new zone or format: its offset is read where the graph is built.
  clock.tz = "Asia/Tokyo";
  c = set.update({clock});
  BOOST_TEST(c.needsRebuild);
  BOOST_TEST(c.reason == "overlay clock: clock format or zone changed");
  clock.format = "%H:%M";
  BOOST_TEST(set.update({clock}).needsRebuild);
  // At the zone's transition the worker sends the clock's new text, only it.
  mixer::ClockState cest{7200'000, 7200, "CEST", std::nullopt};
  OverlayCommand reinit = OverlaySet::clockCommand(clock, cest);
  BOOST_TEST(reinit.target == "drawtext@ov_clock");
  BOOST_TEST(reinit.command == "reinit");
  BOOST_TEST(reinit.argument == "text=%{pts\\:gmtime\\:7200.000\\:%H\\\\\\:%M}");
}

BOOST_AUTO_TEST_CASE(hide_and_show_are_enable_commands) {
  OverlaySet set = running();
  OverlaySpec hidden = title();
  hidden.visible = false;
  OverlayChange c = set.update(set.with(hidden));
  BOOST_TEST(!c.needsRebuild);
  BOOST_REQUIRE(c.commands.size() == 1u);
  BOOST_TEST((c.commands[0] == OverlayCommand{"drawtext@ov_title", "enable", "0"}));
  // Shown again with a new text: the text first, then visible.
  OverlaySpec shown = title("Back");
  c = set.update(set.with(shown));
  BOOST_REQUIRE(c.commands.size() == 2u);
  BOOST_TEST(c.commands[0].command == "reinit");
  BOOST_TEST((c.commands[1] == OverlayCommand{"drawtext@ov_title", "enable", "1"}));
}

BOOST_AUTO_TEST_CASE(a_new_font_or_image_needs_a_rebuild) {
  OverlaySet set = running();
  OverlaySpec t = title();
  t.font = "fonts/other.ttf";
  OverlayChange c = set.update(set.with(t));
  BOOST_TEST(c.needsRebuild);
  BOOST_TEST(c.reason == "overlay title: font changed");
  OverlaySpec l = logo();
  l.file = "other.png";
  c = set.update(set.with(l));
  BOOST_TEST(c.needsRebuild);
  BOOST_TEST(c.reason == "overlay logo: image changed");
  l.opacity = 0.5;  // opacity is in the logo's pixels
  BOOST_TEST(set.update(set.with(l)).needsRebuild);
}

BOOST_AUTO_TEST_CASE(removing_hides_at_once_and_rebuilds) {
  OverlaySet set = running();
  OverlayChange c = set.update(set.without("logo"));
  BOOST_TEST(c.needsRebuild);
  BOOST_TEST(c.reason == "overlay logo: removed");
  BOOST_REQUIRE(c.commands.size() == 1u);
  BOOST_TEST((c.commands[0] == OverlayCommand{"overlay@ov_logo", "enable", "0"}));
  BOOST_TEST(set.overlays().size() == 1u);
  BOOST_TEST(!set.find("logo"));
}

BOOST_AUTO_TEST_CASE(adding_or_restacking_rebuilds) {
  OverlaySet set = running();
  OverlaySpec extra = title("More");
  extra.id = "more";
  OverlayChange c = set.update(set.with(extra));
  BOOST_TEST(c.needsRebuild);
  BOOST_TEST(c.reason == "overlay more: added");
  BOOST_TEST(set.overlays().back().id == "more");
  // The logo goes on top of the texts.
  OverlaySpec top = logo();
  top.z = 10;
  c = set.update(set.with(top));
  BOOST_TEST(c.needsRebuild);
  BOOST_TEST(c.reason == "stacking order changed");
  // A type change is a new filter.
  OverlaySpec marquee = title();
  marquee.type = OverlayType::Marquee;
  c = set.update(set.with(marquee));
  BOOST_TEST(c.reason == "overlay title: type changed");
}
