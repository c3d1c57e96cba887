#include "protocols/hls/id3_batcher.hpp"

#include <boost/test/unit_test.hpp>

#include "core/format/timed_metadata.hpp"

using hls::Id3Batcher;

namespace {

std::vector<std::string> values(const Id3Batcher::Tag& tag) {
  std::vector<core::Id3Frame> frames;
  std::string error;
  BOOST_REQUIRE_MESSAGE(core::parseId3Tag(tag.bytes, frames, error), error);
  std::vector<std::string> out;
  for (const auto& f : frames) {
    BOOST_TEST(f.id == "TXXX");
    BOOST_TEST(f.description == "roomcast");
    out.push_back(f.value);
  }
  return out;
}

core::SharedBuffer text(std::string_view json) {
  return core::SharedBuffer::copyOf(json);
}

}  // namespace

BOOST_AUTO_TEST_CASE(window_zero_gives_one_tag_per_event_once_the_media_passes_it) {
  Id3Batcher b(0);
  b.add(100, text("a"));
  b.add(150, text("b"));
  BOOST_TEST(b.takeBefore(100).empty());  // the media has not passed 100 yet
  auto tags = b.takeBefore(101);
  BOOST_REQUIRE(tags.size() == 1);
  BOOST_TEST(tags[0].ptsMs == 100);
  BOOST_TEST(values(tags[0]) == std::vector<std::string>{"a"});
  tags = b.takeBefore(1000);
  BOOST_REQUIRE(tags.size() == 1);
  BOOST_TEST(tags[0].ptsMs == 150);
  BOOST_TEST(b.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(events_within_the_window_share_a_tag_at_the_first_ones_time) {
  Id3Batcher b(250);
  b.add(1000, text("a"));
  b.add(1100, text("b"));
  b.add(1249, text("c"));
  b.add(1250, text("d"));  // outside the first window: starts the next tag
  auto tags = b.takeBefore(1260);
  BOOST_REQUIRE(tags.size() == 1);
  BOOST_TEST(tags[0].ptsMs == 1000);
  BOOST_TEST(tags[0].events == 3u);
  BOOST_TEST(values(tags[0]) == (std::vector<std::string>{"a", "b", "c"}));
  // "d" is still open: closed once the media is past its window...
  BOOST_TEST(b.takeBefore(1400).empty());
  tags = b.takeBefore(1500);
  BOOST_REQUIRE(tags.size() == 1);
  BOOST_TEST(tags[0].ptsMs == 1250);
}

BOOST_AUTO_TEST_CASE(a_segment_end_closes_an_open_group_that_started_before_it) {
  Id3Batcher b(250);
  b.add(1000, text("a"));
  BOOST_TEST(b.takeBefore(1100).empty());
  auto tags = b.takeBefore(1100, /*closeOpen=*/true);  // the segment ends at 1100
  BOOST_REQUIRE(tags.size() == 1);
  BOOST_TEST(tags[0].ptsMs == 1000);
  b.add(2000, text("later"));
  BOOST_TEST(b.takeBefore(2000, true).empty());  // belongs to the next segment
  BOOST_TEST(b.waiting() == 1u);
}

BOOST_AUTO_TEST_CASE(an_event_ahead_of_the_media_waits_for_it) {
  Id3Batcher b(0);
  b.add(5000, text("ahead"));  // a stalled publisher: the clock ran ahead of the frames
  for (int64_t m = 4000; m <= 5000; m += 100) BOOST_TEST(b.takeBefore(m).empty());
  BOOST_TEST(b.takeBefore(5001).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_tag_never_outgrows_its_limit_and_waiting_tags_are_bounded) {
  Id3Batcher b(1000);
  const std::string big(100 * 1024, 'x');
  b.add(0, text(big));
  b.add(1, text(big));
  b.add(2, text(big));  // would pass 256 KiB: a new tag
  auto tags = b.takeBefore(2000);
  BOOST_REQUIRE(tags.size() == 2u);
  BOOST_TEST(tags[0].events == 2u);
  BOOST_TEST(tags[0].bytes.size() <= Id3Batcher::kMaxTagBytes);
  BOOST_TEST(tags[1].events == 1u);

  Id3Batcher stalled(0);
  for (int i = 0; i < 600; ++i) stalled.add(i, text("e" + std::to_string(i)));
  BOOST_TEST(stalled.waiting() == Id3Batcher::kMaxWaitingTags);
  BOOST_TEST(stalled.dropped() == 600u - Id3Batcher::kMaxWaitingTags);
  tags = stalled.takeBefore(10000);
  BOOST_REQUIRE(!tags.empty());
  BOOST_TEST(values(tags.front()) == std::vector<std::string>{"e88"});  // the oldest went
}
