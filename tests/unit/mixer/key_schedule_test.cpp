#include "mixer/key_schedule.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

using mixer::KeyframePolicy;
using mixer::KeySchedule;
using Decision = mixer::KeySchedule::Decision;

namespace {

constexpr int64_t kFrameMs = 33;

// Marks frames 0, 33, 66 ... up to `endMs`; source keys every `sourceGopMs`.
std::vector<int64_t> markFrames(KeySchedule& s, int64_t endMs, int64_t sourceGopMs) {
  std::vector<int64_t> keys;
  int64_t nextSourceKey = 0;
  for (int64_t pts = 0; pts < endMs; pts += kFrameMs) {
    bool sourceKey = pts >= nextSourceKey;
    if (sourceKey) nextSourceKey += sourceGopMs;
    if (s.mark(pts, sourceKey)) keys.push_back(pts);
  }
  return keys;
}

// The pts the rung encodes as keys when it gets every `step`-th frame up to `endMs`.
std::vector<int64_t> rungKeys(KeySchedule& s, size_t rung, int64_t endMs, int step = 1) {
  std::vector<int64_t> keys;
  for (int64_t pts = 0; pts < endMs; pts += kFrameMs * step) {
    if (s.decide(rung, pts) == Decision::Key) keys.push_back(pts);
  }
  return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(source_keys_are_copied) {
  KeySchedule s(KeyframePolicy::Source, 2000, 1);
  // Source GOP 1 s, below the 2 s cap: every source key is a key.
  auto keys = markFrames(s, 4000, 990);
  BOOST_TEST(keys == (std::vector<int64_t>{0, 990, 1980, 2970, 3960}),
             boost::test_tools::per_element());
  BOOST_TEST(s.keyCount() == 5u);
  BOOST_TEST(*s.lastKey() == 3960);
}

BOOST_AUTO_TEST_CASE(a_long_source_gop_is_capped_at_gop_ms) {
  KeySchedule s(KeyframePolicy::Source, 2000, 1);
  // Source keys every 5 s: keys at 2 s steps in between, then the source's again.
  auto keys = markFrames(s, 7000, 5016);
  BOOST_TEST(keys == (std::vector<int64_t>{0, 2013, 4026, 5016}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fixed_policy_keys_on_the_gop_grid) {
  KeySchedule s(KeyframePolicy::Fixed, 1000, 1);
  auto keys = markFrames(s, 3100, 100000);
  // The first frame at or after each whole second.
  BOOST_TEST(keys == (std::vector<int64_t>{0, 1023, 2013, 3003}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_request_keys_the_next_frame) {
  KeySchedule s(KeyframePolicy::Source, 2000, 1);
  BOOST_TEST(s.mark(0, true));
  BOOST_TEST(!s.mark(33, false));
  s.requestKeyframe();
  BOOST_TEST(s.mark(66, false));
  BOOST_TEST(!s.mark(99, false));  // the request is used up
  // The cap counts from the requested key.
  BOOST_TEST(!s.mark(2000, false));
  BOOST_TEST(s.mark(2066, false));
}

BOOST_AUTO_TEST_CASE(a_pts_not_above_the_last_one_is_never_a_key) {
  KeySchedule s(KeyframePolicy::Source, 2000, 1);
  BOOST_TEST(s.mark(1000, true));
  BOOST_TEST(!s.mark(1000, true));
  BOOST_TEST(!s.mark(900, true));
  BOOST_TEST(s.keyCount() == 1u);
}

BOOST_AUTO_TEST_CASE(all_cursors_see_the_same_pts) {
  KeySchedule s(KeyframePolicy::Source, 2000, 3);
  auto keys = markFrames(s, 10000, 3000);
  for (size_t rung = 0; rung < 3; ++rung) {
    BOOST_TEST_CONTEXT("rung " << rung) {
      BOOST_TEST(rungKeys(s, rung, 10000) == keys, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_rung_at_half_rate_keys_at_the_first_frame_at_or_after_each_key) {
  KeySchedule s(KeyframePolicy::Source, 2000, 2);
  // Keys at 0 and 2013 (2013 = 61 frames: an odd frame, which the half-rate rung lacks).
  auto keys = markFrames(s, 3000, 100000);
  BOOST_TEST(keys == (std::vector<int64_t>{0, 2013}), boost::test_tools::per_element());
  BOOST_TEST(rungKeys(s, 1, 3000, 2) == (std::vector<int64_t>{0, 2046}),
             boost::test_tools::per_element());
  BOOST_TEST(rungKeys(s, 0, 3000) == keys, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_rung_that_dropped_resumes_at_the_next_key) {
  KeySchedule s(KeyframePolicy::Source, 1000, 2);
  auto keys = markFrames(s, 3100, 100000);
  BOOST_TEST(keys == (std::vector<int64_t>{0, 1023, 2046, 3069}), boost::test_tools::per_element());
  BOOST_TEST((s.decide(0, 0) == Decision::Key));
  BOOST_TEST((s.decide(0, 33) == Decision::Delta));
  // The worker could not queue frame 99 (and 132): frames from 99 on wait for a key.
  s.dropUntilNextKey(0, 99);
  s.dropUntilNextKey(0, 132);
  BOOST_TEST((s.decide(0, 66) == Decision::Delta));  // queued before the gap: still encoded
  for (int64_t pts = 165; pts < 1023; pts += kFrameMs) {
    BOOST_TEST_CONTEXT(pts) {
      BOOST_TEST((s.decide(0, pts) == Decision::Skip));
    }
  }
  BOOST_TEST((s.decide(0, 1023) == Decision::Key));
  BOOST_TEST((s.decide(0, 1056) == Decision::Delta));
  // A dropped key frame: the rung waits for the one after.
  s.dropUntilNextKey(0, 2046);
  BOOST_TEST((s.decide(0, 2079) == Decision::Skip));
  BOOST_TEST((s.decide(0, 3036) == Decision::Skip));
  BOOST_TEST((s.decide(0, 3069) == Decision::Key));
  // The other rung was never affected.
  BOOST_TEST(rungKeys(s, 1, 3100) == keys, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_rung_before_any_key_skips) {
  KeySchedule s(KeyframePolicy::Source, 2000, 1);
  BOOST_TEST((s.decide(0, 0) == Decision::Skip));
  BOOST_TEST(s.mark(33, true));
  BOOST_TEST((s.decide(0, 33) == Decision::Key));
  BOOST_TEST((s.decide(5, 33) == Decision::Skip));  // no such rung
}

BOOST_AUTO_TEST_CASE(used_keys_are_pruned) {
  KeySchedule s(KeyframePolicy::Source, 500, 2);
  for (int64_t pts = 0; pts < 60000; pts += kFrameMs) {
    s.mark(pts, false);
    s.decide(0, pts);
    s.decide(1, pts);
  }
  BOOST_TEST(s.keys().size() <= 2u);
  BOOST_TEST(s.keyCount() > 100u);
}

BOOST_AUTO_TEST_CASE(marking_and_deciding_on_several_threads_agree) {
  constexpr size_t kRungs = 3;
  constexpr int kFrames = 3000;
  KeySchedule s(KeyframePolicy::Source, 500, kRungs);
  std::atomic<int> marked{0};  // frames 0..marked-1 are marked
  std::vector<int64_t> scheduled;
  std::vector<std::vector<int64_t>> seen(kRungs);
  std::vector<std::thread> encoders;
  for (size_t r = 0; r < kRungs; ++r) {
    encoders.emplace_back([&, r] {
      for (int i = 0; i < kFrames; ++i) {
        while (marked.load(std::memory_order_acquire) <= i) std::this_thread::yield();
        if (s.decide(r, i * kFrameMs) == Decision::Key) seen[r].push_back(i * kFrameMs);
      }
    });
  }
  for (int i = 0; i < kFrames; ++i) {
    if (s.mark(i * kFrameMs, i % 45 == 0)) scheduled.push_back(i * kFrameMs);
    if (i % 7 == 0) s.requestKeyframe();
    marked.store(i + 1, std::memory_order_release);
  }
  for (auto& t : encoders) t.join();
  for (size_t r = 0; r < kRungs; ++r)
    BOOST_TEST(seen[r] == scheduled, boost::test_tools::per_element());
}
