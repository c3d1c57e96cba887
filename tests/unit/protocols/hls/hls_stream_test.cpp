#include "protocols/hls/hls_stream.hpp"

#include <boost/test/unit_test.hpp>
#include <map>

#include "av/av_libraries.hpp"
#include "core/loop/event_loop.hpp"
#include "tests/unit/media_samples.hpp"

using core::MediaKind;

namespace {

constexpr int64_t kSegmentMs = 2000;

// 25 fps video from pts `fromPts` to `toPts`, a keyframe every `keyEveryMs` of pts;
// `reorderMs` is how far each frame's dts runs behind its pts (a B-frame source).
void feed(hls::HlsStream& s, int64_t fromPts, int64_t toPts, int64_t reorderMs,
          int64_t keyEveryMs = 1000) {
  s.onPacket(media_samples::config(MediaKind::Video, fromPts - reorderMs));
  for (int64_t pts = fromPts; pts < toPts; pts += 40) {
    auto p = media_samples::frame(MediaKind::Video, pts - reorderMs, pts % keyEveryMs == 0);
    p.pts = pts;
    s.onPacket(p);
  }
}

struct Fixture {
  core::EventLoop loop;
  av::Libraries libs;
  hls::HlsOptions options{.segmentMs = kSegmentMs, .window = 20};
  std::unique_ptr<hls::HlsStream> make(const std::string& name) {
    return std::make_unique<hls::HlsStream>(loop, libs, "live", name, options, [] {});
  }
};

// sequence -> (start pts, duration) of each finished segment.
std::map<uint64_t, std::pair<int64_t, int64_t>> segments(const hls::HlsStream& s,
                                                         int64_t reorderMs) {
  std::map<uint64_t, std::pair<int64_t, int64_t>> out;
  const auto& p = s.playlist();
  for (uint64_t seq = 0; seq < p.nextSequence(); ++seq)
    if (const hls::Segment* seg = p.find(seq))
      out[seq] = {seg->startDts + reorderMs, seg->durationMs};
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(segments_cut_on_the_pts_grid_whatever_the_start, Fixture) {
  // The source has B-frames (dts 80 ms behind pts); a rendition without them starts
  // later, at various points: every segment both have starts at the same pts with
  // the same sequence number, on the 2 s grid.
  auto source = make("demo");
  feed(*source, 1000, 20000, 80);
  const auto a = segments(*source, 80);
  BOOST_TEST(a.begin()->first == 0u);
  for (const auto& [seq, seg] : a) {
    if (seq == a.begin()->first) continue;
    BOOST_TEST(seg.first == static_cast<int64_t>(seq) * kSegmentMs, "segment " << seq);
    BOOST_TEST(seg.second == kSegmentMs, "segment " << seq);
  }
  for (int64_t start : {3000, 3520, 5000, 6000, 7040}) {
    auto rung = make("demo_" + std::to_string(start));
    feed(*rung, start, 20000, 0);
    const auto b = segments(*rung, 0);
    BOOST_TEST_REQUIRE(b.size() >= 5u, "start " << start);
    // The first segment starts at the first keyframe, numbered by its grid slot.
    const int64_t firstKey = (start + 999) / 1000 * 1000;
    BOOST_TEST(b.begin()->first == static_cast<uint64_t>(firstKey / kSegmentMs), "start " << start);
    BOOST_TEST(b.begin()->second.first == firstKey, "start " << start);
    for (auto it = std::next(b.begin()); it != b.end(); ++it) {
      BOOST_TEST_REQUIRE(a.contains(it->first), "start " << start << " seq " << it->first);
      BOOST_TEST(it->second.first == a.at(it->first).first,
                 "start " << start << " seq " << it->first);
      BOOST_TEST(it->second.second == a.at(it->first).second, "seq " << it->first);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(first_msn_from_pts, Fixture) {
  auto late = make("late");
  feed(*late, 61000, 66000, 0);  // first keyframe at 61 s: slot 30
  BOOST_TEST(late->playlist().find(30) != nullptr);
  BOOST_TEST(late->playlist().find(29) == nullptr);
  BOOST_TEST(late->playlist().render("late/").find("#EXT-X-MEDIA-SEQUENCE:30\n") !=
             std::string::npos);
  auto early = make("early");
  feed(*early, 0, 5000, 0);
  BOOST_TEST(early->playlist().find(0) != nullptr);
}

BOOST_FIXTURE_TEST_CASE(a_segment_without_keyframes_is_still_cut_after_five_targets, Fixture) {
  auto s = make("demo");
  feed(*s, 0, 30000, 0, 100000);  // one keyframe, at 0
  const auto got = segments(*s, 0);
  BOOST_TEST_REQUIRE(got.size() >= 2u);
  BOOST_TEST(got.at(0).second == 5 * kSegmentMs);
  BOOST_TEST(got.at(1).first == 5 * kSegmentMs);
}
