#include "protocols/webrtc/rtcp_stats.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <random>

using webrtc::RtcpStats;

namespace {
constexpr uint32_t kOpusRate = 48000;
constexpr uint32_t kOpusFrame = 960;  // 20 ms
}  // namespace

BOOST_AUTO_TEST_CASE(no_block_before_the_first_packet) {
  RtcpStats stats(kOpusRate);
  BOOST_TEST(!stats.takeBlock(0).has_value());
}

BOOST_AUTO_TEST_CASE(a_clean_paced_stream_reports_no_loss_and_no_jitter) {
  RtcpStats stats(kOpusRate);
  for (uint32_t i = 0; i < 100; ++i) {
    stats.onPacket(static_cast<uint16_t>(1000 + i), 5000 + i * kOpusFrame, 10000 + i * 20);
  }
  auto block = stats.takeBlock(12000);
  BOOST_REQUIRE(block.has_value());
  BOOST_TEST(block->fractionLost == 0);
  BOOST_TEST(block->cumulativeLost == 0);
  BOOST_TEST(block->extendedHighestSeq == 1099u);
  BOOST_TEST(block->jitter == 0u);
  BOOST_TEST(block->lsr == 0u);
  BOOST_TEST(block->dlsr == 0u);
}

BOOST_AUTO_TEST_CASE(fraction_lost_is_per_interval_and_cumulative_lost_is_not) {
  RtcpStats stats(kOpusRate);
  for (uint32_t i = 0; i < 100; ++i) {
    if (i % 10 == 5) continue;  // 10 of 100 lost
    stats.onPacket(static_cast<uint16_t>(i), i * kOpusFrame, i * 20);
  }
  auto first = stats.takeBlock(2000);
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->cumulativeLost == 10);
  BOOST_TEST(first->fractionLost == 25);  // 10 * 256 / 100 (A.3), truncated
  for (uint32_t i = 100; i < 200; ++i)
    stats.onPacket(static_cast<uint16_t>(i), i * kOpusFrame, i * 20);
  auto second = stats.takeBlock(4000);
  BOOST_TEST(second->cumulativeLost == 10);
  BOOST_TEST(second->fractionLost == 0);
  // An interval with nothing new: no division by zero, nothing lost.
  auto third = stats.takeBlock(5000);
  BOOST_TEST(third->fractionLost == 0);
}

BOOST_AUTO_TEST_CASE(duplicates_make_cumulative_lost_negative) {
  RtcpStats stats(kOpusRate);
  for (uint16_t i = 0; i < 10; ++i) stats.onPacket(i, i * kOpusFrame, i * 20);
  stats.onPacket(5, 5 * kOpusFrame, 300);
  stats.onPacket(6, 6 * kOpusFrame, 301);
  auto block = stats.takeBlock(400);
  BOOST_TEST(block->cumulativeLost == -2);
  BOOST_TEST(block->fractionLost == 0);
}

BOOST_AUTO_TEST_CASE(extended_highest_seq_counts_cycles) {
  RtcpStats stats(kOpusRate);
  uint32_t ts = 0;
  int64_t t = 0;
  for (uint32_t seq = 65530; seq < 65536 + 5; ++seq, ts += kOpusFrame, t += 20) {
    stats.onPacket(static_cast<uint16_t>(seq), ts, t);
  }
  stats.onPacket(65534, 0, t);  // a late one from before the wrap
  auto block = stats.takeBlock(t);
  BOOST_TEST(block->extendedHighestSeq == 65536u + 4u);
  BOOST_TEST(block->cumulativeLost == -1);
}

BOOST_AUTO_TEST_CASE(jitter_follows_rfc3550_a8) {
  // The integer estimate of A.8 against the same formula in floating point.
  RtcpStats stats(kOpusRate);
  std::mt19937 rng(8);
  double reference = 0;
  double lastTransit = 0;
  for (uint32_t i = 0; i < 2000; ++i) {
    const int64_t arrivalMs = 100000 + i * 20 + static_cast<int64_t>(rng() % 30);
    const uint32_t ts = 0xFFFF0000u + i * kOpusFrame;  // the RTP clock wraps too
    stats.onPacket(static_cast<uint16_t>(i), ts, arrivalMs);
    const double transit =
        static_cast<double>(arrivalMs) * 48.0 - static_cast<double>(i) * kOpusFrame;
    if (i > 0) reference += (std::fabs(transit - lastTransit) - reference) / 16.0;
    lastTransit = transit;
  }
  BOOST_TEST(reference > 100.0);
  BOOST_TEST(std::fabs(static_cast<double>(stats.jitter()) - reference) < 2.0);
  BOOST_TEST(stats.takeBlock(200000)->jitter == stats.jitter());
}

BOOST_AUTO_TEST_CASE(constant_delay_variation_converges_to_it) {
  RtcpStats stats(kOpusRate);
  for (uint32_t i = 0; i < 500; ++i) {
    const int64_t wobble = (i % 2) ? 10 : 0;  // |D| = 10 ms = 480 units every packet
    stats.onPacket(static_cast<uint16_t>(i), i * kOpusFrame, i * 20 + wobble);
  }
  BOOST_TEST(stats.jitter() >= 470u);
  BOOST_TEST(stats.jitter() <= 480u);
}

BOOST_AUTO_TEST_CASE(retransmissions_do_not_count_as_jitter) {
  RtcpStats stats(kOpusRate);
  for (uint32_t i = 0; i < 50; ++i) {
    if (i == 20) continue;
    stats.onPacket(static_cast<uint16_t>(i), i * kOpusFrame, i * 20);
  }
  stats.onPacket(20, 20 * kOpusFrame, 49 * 20 + 150);  // answered NACK, 600 ms late
  BOOST_TEST(stats.jitter() == 0u);
  BOOST_TEST(stats.takeBlock(2000)->cumulativeLost == 0);
}

BOOST_AUTO_TEST_CASE(lsr_and_dlsr_from_the_last_sender_report) {
  RtcpStats stats(90000);
  stats.onPacket(1, 0, 0);
  stats.onSenderReport(0x0123456789ABCDEFull, 1000);
  auto block = stats.takeBlock(1500);
  BOOST_TEST(block->lsr == 0x456789ABu);
  BOOST_TEST(block->dlsr == 32768u);  // 0.5 s in 1/65536 s
  stats.onSenderReport(0x0000000100020000ull, 2000);
  block = stats.takeBlock(2000);
  BOOST_TEST(block->lsr == 0x00010002u);
  BOOST_TEST(block->dlsr == 0u);
}

BOOST_AUTO_TEST_CASE(a_sender_restart_starts_the_counts_again) {
  RtcpStats stats(kOpusRate);
  for (uint16_t i = 100; i < 150; ++i) stats.onPacket(i, i * kOpusFrame, i * 20);
  stats.takeBlock(3000);
  stats.onPacket(40000, 0, 3000);  // a jump: not counted yet
  stats.onPacket(40001, kOpusFrame, 3020);
  for (uint16_t i = 40003; i < 40010; ++i)
    stats.onPacket(i, (i - 40000) * kOpusFrame, 3000 + (i - 40000) * 20);
  auto block = stats.takeBlock(4000);
  BOOST_TEST(block->extendedHighestSeq == 40009u);
  BOOST_TEST(block->cumulativeLost == 1);  // 40002; the first of the two is not counted (A.1)
  BOOST_TEST(block->fractionLost == 28);   // 1 of 9 since the restart: 256 / 9
}

BOOST_AUTO_TEST_CASE(round_trip_from_a_report_block) {
  const uint32_t lsr = 0x12340000u;
  const uint32_t dlsr = 65536 / 2;                       // 500 ms held by the peer
  const uint32_t arrival = lsr + dlsr + 65536 / 10 + 1;  // + 100 ms on the wire
  BOOST_TEST(webrtc::rtcpRoundTripMs(arrival, lsr, dlsr).value() == 100);
  BOOST_TEST(!webrtc::rtcpRoundTripMs(arrival, 0, 0).has_value());
  BOOST_TEST(webrtc::rtcpRoundTripMs(lsr, lsr, dlsr).value() == 0);  // clocks disagree
}
