#include "mixer/layout_geometry.hpp"

#include <boost/test/unit_test.hpp>

using mixer::FracRect;
using mixer::LayoutGeometry;
using mixer::LayoutKind;
using mixer::LayoutSpec;
using mixer::PixelRect;

namespace {

bool allEven(const PixelRect& r) {
  return r.x % 2 == 0 && r.y % 2 == 0 && r.w % 2 == 0 && r.h % 2 == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(single_fills_the_canvas) {
  auto cells = LayoutGeometry::cells({LayoutKind::Single, {}}, 1280, 720);
  BOOST_REQUIRE_EQUAL(cells.size(), 1u);
  BOOST_TEST((cells[0] == PixelRect{0, 0, 1280, 720}));
}

BOOST_AUTO_TEST_CASE(side_by_side_halves) {
  auto cells = LayoutGeometry::cells({LayoutKind::SideBySide, {}}, 640, 360);
  BOOST_REQUIRE_EQUAL(cells.size(), 2u);
  BOOST_TEST((cells[0] == PixelRect{0, 0, 320, 360}));
  BOOST_TEST((cells[1] == PixelRect{320, 0, 320, 360}));
}

BOOST_AUTO_TEST_CASE(grid_quadrants_in_reading_order) {
  auto cells = LayoutGeometry::cells({LayoutKind::Grid2x2, {}}, 1920, 1080);
  BOOST_REQUIRE_EQUAL(cells.size(), 4u);
  BOOST_TEST((cells[0] == PixelRect{0, 0, 960, 540}));
  BOOST_TEST((cells[1] == PixelRect{960, 0, 960, 540}));
  BOOST_TEST((cells[2] == PixelRect{0, 540, 960, 540}));
  BOOST_TEST((cells[3] == PixelRect{960, 540, 960, 540}));
}

BOOST_AUTO_TEST_CASE(pip_from_fractions_over_the_full_frame) {
  LayoutSpec l{LayoutKind::Pip, FracRect{0.75, 0.05, 0.2, 0.2}};
  auto cells = LayoutGeometry::cells(l, 1280, 720);
  BOOST_REQUIRE_EQUAL(cells.size(), 2u);
  BOOST_TEST((cells[0] == PixelRect{0, 0, 1280, 720}));  // the host, drawn first
  BOOST_TEST((cells[1] == PixelRect{960, 36, 256, 144}));
}

BOOST_AUTO_TEST_CASE(odd_sizes_round_to_even_and_tile) {
  // 2x2 on a 642x362 canvas: halves of 321 and 181 are odd.
  auto cells = LayoutGeometry::cells({LayoutKind::Grid2x2, {}}, 642, 362);
  for (const PixelRect& r : cells) BOOST_TEST(allEven(r));
  BOOST_TEST(cells[0].x + cells[0].w == cells[1].x);  // no gap, no overlap
  BOOST_TEST(cells[0].y + cells[0].h == cells[2].y);
  BOOST_TEST(cells[1].x + cells[1].w == 642);
  BOOST_TEST(cells[3].y + cells[3].h == 362);
  // A fractional inset at odd pixel positions: x 0.333 * 1280 = 426.2 -> 426.
  PixelRect r = LayoutGeometry::fromFractions({0.333, 0.111, 0.25, 0.25}, 1280, 720);
  BOOST_TEST(allEven(r));
  BOOST_TEST(r.x == 426);
  BOOST_TEST(r.y == 80);         // 79.9 -> 80
  BOOST_TEST(r.x + r.w == 746);  // (0.583 * 1280 = 746.2) nearest even
  // An odd canvas: nothing leaves it.
  PixelRect all = LayoutGeometry::fromFractions({0, 0, 1, 1}, 641, 361);
  BOOST_TEST((all == PixelRect{0, 0, 640, 360}));
}

BOOST_AUTO_TEST_CASE(a_rect_too_small_is_empty) {
  BOOST_TEST(LayoutGeometry::fromFractions({0.5, 0.5, 0.001, 0.001}, 640, 360).empty());
}

BOOST_AUTO_TEST_CASE(fit_keeps_aspect_centred_and_even) {
  // A 16:9 picture in a half-width cell of a 16:9 canvas: letterboxed.
  PixelRect r = LayoutGeometry::fit({320, 0, 320, 360}, 1280, 720);
  BOOST_TEST((r == PixelRect{320, 90, 320, 180}));
  // A 4:3 picture in a 16:9 cell: pillarboxed.
  r = LayoutGeometry::fit({0, 0, 1280, 720}, 640, 480);
  BOOST_TEST((r == PixelRect{160, 0, 960, 720}));
  // Odd source sizes still give even rects inside the cell.
  r = LayoutGeometry::fit({2, 2, 300, 200}, 333, 111);
  BOOST_TEST(allEven(r));
  BOOST_TEST(r.x >= 2);
  BOOST_TEST(r.x + r.w <= 302);
  BOOST_TEST(r.y + r.h <= 202);
  // Unknown source size: the cell.
  BOOST_TEST((LayoutGeometry::fit({0, 0, 64, 64}, 0, 0) == PixelRect{0, 0, 64, 64}));
}

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (auto k : {LayoutKind::Single, LayoutKind::Pip, LayoutKind::SideBySide, LayoutKind::Grid2x2})
    BOOST_TEST((LayoutGeometry::parse(LayoutGeometry::name(k)) == k));
  BOOST_TEST(!LayoutGeometry::parse("3x3"));
}

BOOST_AUTO_TEST_CASE(grid3x3_cells_meet_without_gaps) {
  for (auto [w, h] : {std::pair{320, 180}, {1280, 720}, {1920, 1080}, {640, 362}}) {
    auto cells = LayoutGeometry::cells({LayoutKind::Grid3x3, {}}, w, h);
    BOOST_REQUIRE_EQUAL(cells.size(), 9u);
    for (size_t i = 0; i < 9; ++i) {
      const PixelRect& c = cells[i];
      BOOST_TEST(allEven(c));
      const size_t row = i / 3, col = i % 3;
      // Each cell starts where its left and upper neighbours end; the last ones
      // end at the canvas' edge.
      BOOST_TEST(c.x == (col == 0 ? 0 : cells[i - 1].x + cells[i - 1].w));
      BOOST_TEST(c.y == (row == 0 ? 0 : cells[i - 3].y + cells[i - 3].h));
      if (col == 2) BOOST_TEST(c.x + c.w == w);
      if (row == 2) BOOST_TEST(c.y + c.h == h);
      BOOST_TEST(std::abs(c.w - w / 3) <= 2);
      BOOST_TEST(std::abs(c.h - h / 3) <= 2);
    }
  }
  BOOST_TEST((LayoutGeometry::parse("grid3x3") == LayoutKind::Grid3x3));
  BOOST_TEST(LayoutGeometry::layers(LayoutKind::Grid3x3) == 9u);
}

BOOST_AUTO_TEST_CASE(place_crops_then_fits) {
  using mixer::LayerFit;
  using mixer::Placement;
  const PixelRect cell{100, 50, 160, 90};
  // No crop, contain: a 4:3 source letterboxed in a 16:9 cell.
  Placement p = LayoutGeometry::place(cell, 640, 480, FracRect{}, LayerFit::Contain);
  BOOST_TEST((p.src == PixelRect{0, 0, 640, 480}));
  BOOST_TEST((p.dst == PixelRect{120, 50, 120, 90}));
  // The right half of the source: 320x480, contained.
  p = LayoutGeometry::place(cell, 640, 480, FracRect{0.5, 0, 0.5, 1}, LayerFit::Contain);
  BOOST_TEST((p.src == PixelRect{320, 0, 320, 480}));
  BOOST_TEST((p.dst == PixelRect{150, 50, 60, 90}));
  // Cover: the 4:3 source cut to 16:9, centred vertically; it fills the cell.
  p = LayoutGeometry::place(cell, 640, 480, FracRect{}, LayerFit::Cover);
  BOOST_TEST((p.src == PixelRect{0, 60, 640, 360}));
  BOOST_TEST((p.dst == cell));
  // Stretch: all of the crop into all of the cell.
  p = LayoutGeometry::place(cell, 640, 480, FracRect{0.25, 0.25, 0.5, 0.5}, LayerFit::Stretch);
  BOOST_TEST((p.src == PixelRect{160, 120, 320, 240}));
  BOOST_TEST((p.dst == cell));
  // A crop past an odd source's edge is clipped to it, even.
  p = LayoutGeometry::place(cell, 641, 481, FracRect{0.9, 0.9, 0.1, 0.1}, LayerFit::Stretch);
  BOOST_TEST(allEven(p.src));
  BOOST_TEST(p.src.x + p.src.w <= 640);
  BOOST_TEST(p.src.y + p.src.h <= 480);
}
