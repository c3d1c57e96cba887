#include "protocols/webrtc/remb_estimator.hpp"

#include <boost/test/unit_test.hpp>

using namespace webrtc;

namespace {

// `packets` packets of `bytes` spread over [startMs, startMs + 500), sequence numbers
// from `seq` on; one in every `dropEvery` is lost (the second of each run of them, so
// the last one always arrives and the interval's loss is its own; 0: none).
void feedHalfSecond(RembEstimator& e, uint32_t ssrc, uint16_t& seq, int64_t startMs, int packets,
                    size_t bytes, int dropEvery = 0) {
  for (int i = 0; i < packets; ++i, ++seq) {
    if (dropEvery && i % dropEvery == 1) continue;
    e.onPacket(ssrc, seq, bytes, startMs + i * 500 / packets);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(starts_at_the_maximum_and_stays_there_without_loss) {
  RembEstimator e(6000000);
  BOOST_TEST(e.estimateBps() == 6000000u);
  e.update(0);  // nothing arrived: unchanged
  BOOST_TEST(e.estimateBps() == 6000000u);
  uint16_t seq = 65500;  // crosses the wrap: no false loss
  for (int step = 0; step < 6; ++step) {
    feedHalfSecond(e, 7, seq, step * 500, 125, 1000);  // 2 Mbit/s
    e.update((step + 1) * 500);
    BOOST_TEST(e.estimateBps() == 6000000u);
    BOOST_TEST(e.loss() == 0.0);
  }
  BOOST_TEST(e.receivedBps() == 2000000u);
  // The floor: a configured maximum below it is raised to it.
  BOOST_TEST(RembEstimator(1000).estimateBps() == RembEstimator::kMinBps);
}

BOOST_AUTO_TEST_CASE(heavy_loss_lowers_to_085_of_the_received_rate_then_it_recovers) {
  RembEstimator e(6000000);
  uint16_t video = 100, audio = 9;
  int64_t t = 0;
  // 1 Mbit/s of video arrives with every 4th packet lost (25 %), audio unharmed.
  for (int step = 0; step < 2; ++step, t += 500) {
    feedHalfSecond(e, 1, video, t, 84, 1000, 4);  // 63 x 1000 B
    feedHalfSecond(e, 2, audio, t, 25, 20);       // 500 B
    e.update(t + 500);
  }
  // Expected 2 x 109, received 2 x (63 + 25): loss 42/218.
  BOOST_TEST(e.loss() == 42.0 / 218.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(e.receivedBps() == (63000u + 500u) * 2u * 8u);  // over 1 s
  const uint64_t lowered = e.estimateBps();
  BOOST_TEST(lowered == static_cast<uint64_t>(0.85 * e.receivedBps()));
  // Loss between 2 % and 10 % (every 20th: 5 %): held.
  for (int step = 0; step < 2; ++step, t += 500) {
    feedHalfSecond(e, 1, video, t, 100, 1000, 20);
    e.update(t + 500);
  }
  BOOST_TEST(e.loss() == 0.05, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(e.estimateBps() == lowered);
  // No loss: back up by 8 %/s (1.08^0.5 a half second), capped at the maximum.
  feedHalfSecond(e, 1, video, t, 100, 1000);
  e.update(t + 500);
  t += 500;
  // The window still holds the 5 % half second: 5 / 200 = 2.5 %, held.
  BOOST_TEST(e.estimateBps() == lowered);
  feedHalfSecond(e, 1, video, t, 100, 1000);
  e.update(t + 500);
  t += 500;
  BOOST_TEST(e.loss() == 0.0);
  // 1.08^0.5 = 1.03923...
  BOOST_TEST(double(e.estimateBps()) == lowered * 1.0392304845413265,
             boost::test_tools::tolerance(1e-6));
  for (int step = 0; step < 80; ++step, t += 500) {
    feedHalfSecond(e, 1, video, t, 100, 1000);
    e.update(t + 500);
  }
  BOOST_TEST(e.estimateBps() == 6000000u);
}

BOOST_AUTO_TEST_CASE(few_packets_or_retransmissions_do_not_count_as_loss) {
  RembEstimator e(3000000);
  uint16_t seq = 0;
  // 5 packets out of 8: 37 % lost, but too few to judge.
  for (uint16_t s : {0, 2, 4, 6, 7}) e.onPacket(1, s, 1200, s * 10);
  e.update(500);
  BOOST_TEST(e.estimateBps() == 3000000u);
  BOOST_TEST(e.loss() == 3.0 / 8.0, boost::test_tools::tolerance(1e-9));
  // Every packet twice (retransmissions, duplicates): more received than expected.
  seq = 8;
  for (int i = 0; i < 50; ++i, ++seq) {
    e.onPacket(1, seq, 1200, 500 + i * 10);
    e.onPacket(1, seq, 1200, 505 + i * 10);
  }
  e.update(1000);
  BOOST_TEST(e.loss() == 0.0);
  BOOST_TEST(e.estimateBps() == 3000000u);
  // A sender restart (a far jump, confirmed by the next seq) is not a loss either.
  for (int i = 0; i < 50; ++i) e.onPacket(1, static_cast<uint16_t>(40000 + i), 1200, 1000 + i * 10);
  e.update(1500);
  BOOST_TEST(e.loss() < RembEstimator::kHighLoss);
  BOOST_TEST(e.estimateBps() == 3000000u);
}
