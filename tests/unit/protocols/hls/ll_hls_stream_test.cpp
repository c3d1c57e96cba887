#include "protocols/hls/ll_hls_stream.hpp"

#include <boost/test/unit_test.hpp>
#include <map>

#include "core/loop/event_loop.hpp"
#include "tests/unit/media_samples.hpp"

using core::MediaKind;

namespace {

constexpr int64_t kSegmentMs = 2000;

// 25 fps video from pts `fromPts` to `toPts`, a keyframe every second of pts; the
// dts runs `reorderMs` behind the pts (a B-frame source).
void feed(hls::LlHlsStream& s, int64_t fromPts, int64_t toPts, int64_t reorderMs) {
  s.onPacket(media_samples::config(MediaKind::Video, fromPts - reorderMs));
  for (int64_t pts = fromPts; pts < toPts; pts += 40) {
    auto p = media_samples::frame(MediaKind::Video, pts - reorderMs, pts % 1000 == 0);
    p.pts = pts;
    s.onPacket(p);
  }
}

struct Fixture {
  core::EventLoop loop;
  hls::LlHlsOptions options{.segmentMs = kSegmentMs, .partMs = 333, .window = 20};
  std::unique_ptr<hls::LlHlsStream> make(const std::string& name) {
    return std::make_unique<hls::LlHlsStream>(loop, "live", name, options, [] {});
  }
};

// msn -> duration of each complete segment.
std::map<uint64_t, int64_t> segments(const hls::LlHlsStream& s) {
  std::map<uint64_t, int64_t> out;
  for (uint64_t msn = 0; msn <= s.playlist().lastMsn(); ++msn)
    if (const hls::LlSegment* seg = s.playlist().find(msn); seg && seg->complete)
      out[msn] = seg->durationMs;
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(segments_cut_on_the_pts_grid_whatever_the_start, Fixture) {
  auto source = make("demo");
  feed(*source, 1000, 20000, 80);
  const auto a = segments(*source);
  BOOST_TEST_REQUIRE(!a.empty());
  BOOST_TEST(a.begin()->first == 0u);
  BOOST_TEST(a.begin()->second == 1000);  // from the first keyframe to the grid line
  for (auto it = std::next(a.begin()); it != a.end(); ++it)
    BOOST_TEST(it->second == kSegmentMs, "segment " << it->first);
  for (int64_t start : {3000, 3520, 5000, 7040}) {
    auto rung = make("demo_" + std::to_string(start));
    feed(*rung, start, 20000, 0);
    const auto b = segments(*rung);
    BOOST_TEST_REQUIRE(b.size() >= 4u, "start " << start);
    const int64_t firstKey = (start + 999) / 1000 * 1000;
    BOOST_TEST(b.begin()->first == static_cast<uint64_t>(firstKey / kSegmentMs), "start " << start);
    for (auto it = std::next(b.begin()); it != b.end(); ++it) {
      BOOST_TEST_REQUIRE(a.contains(it->first), "start " << start << " msn " << it->first);
      BOOST_TEST(it->second == a.at(it->first), "start " << start << " msn " << it->first);
    }
    // Parts stay within their target all the same.
    for (uint64_t msn = b.begin()->first; msn <= rung->playlist().lastMsn(); ++msn)
      for (const auto& part : rung->playlist().find(msn)->parts) BOOST_TEST(part.durationMs <= 333);
  }
}

BOOST_FIXTURE_TEST_CASE(first_msn_from_pts, Fixture) {
  auto late = make("late");
  feed(*late, 61000, 66000, 0);
  BOOST_TEST(late->playlist().find(30) != nullptr);
  BOOST_TEST(late->playlist().find(29) == nullptr);
  BOOST_TEST(late->playlist().render("ll/").find("#EXT-X-MEDIA-SEQUENCE:30\n") !=
             std::string::npos);
}
