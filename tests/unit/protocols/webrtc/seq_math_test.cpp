#include "protocols/webrtc/seq_math.hpp"

#include <boost/test/unit_test.hpp>

using webrtc::SeqUnwrapper;
using Kind = webrtc::SeqUnwrapper::Kind;

BOOST_AUTO_TEST_CASE(newer_and_distance_across_the_wrap) {
  BOOST_TEST(webrtc::seqNewer(1, 0));
  BOOST_TEST(!webrtc::seqNewer(0, 1));
  BOOST_TEST(!webrtc::seqNewer(7, 7));
  BOOST_TEST(webrtc::seqNewer(0, 65535));
  BOOST_TEST(webrtc::seqNewer(5, 65530));
  BOOST_TEST(!webrtc::seqNewer(65530, 5));
  BOOST_TEST(webrtc::seqNewer(0x7FFF, 0));
  // Exactly half the range apart: neither is newer.
  BOOST_TEST(!webrtc::seqNewer(0x8000, 0));
  BOOST_TEST(!webrtc::seqNewer(0, 0x8000));
  BOOST_TEST(webrtc::seqDistance(5, 65530) == 11);
  BOOST_TEST(webrtc::seqDistance(65530, 5) == -11);
  BOOST_TEST(webrtc::seqDistance(100, 100) == 0);
}

BOOST_AUTO_TEST_CASE(unwrap_counts_cycles_forward) {
  SeqUnwrapper u;
  BOOST_TEST(u.unwrap(65534) == 65534);
  BOOST_TEST(u.unwrap(65535) == 65535);
  BOOST_TEST(u.unwrap(0) == 65536);
  BOOST_TEST(u.unwrap(1) == 65537);
  // A second cycle, in steps below MAX_DROPOUT.
  int64_t expected = 65537;
  uint16_t seq = 1;
  for (int i = 0; i < 70; ++i) {
    seq = static_cast<uint16_t>(seq + 1000);
    expected += 1000;
    BOOST_TEST(u.unwrap(seq) == expected);
  }
  BOOST_TEST(u.highest() == expected);
  BOOST_TEST(expected > 2 * webrtc::kSeqModulus);
}

BOOST_AUTO_TEST_CASE(reordering_around_the_wrap) {
  SeqUnwrapper u;
  BOOST_TEST(u.unwrap(65530) == 65530);
  BOOST_TEST(u.unwrap(2) == 65538);
  // Late packets from before the wrap keep their old cycle.
  auto r = u.update(65533);
  BOOST_TEST(r.value == 65533);
  BOOST_TEST((r.kind == Kind::Behind));
  BOOST_TEST(u.unwrap(0) == 65536);
  BOOST_TEST(u.unwrap(65535) == 65535);
  BOOST_TEST(u.highest() == 65538);  // behind packets never move the highest
  BOOST_TEST(u.unwrap(5) == 65541);
}

BOOST_AUTO_TEST_CASE(a_duplicate_of_the_highest_is_behind) {
  SeqUnwrapper u;
  u.update(10);
  auto r = u.update(10);
  BOOST_TEST((r.kind == Kind::Behind));
  BOOST_TEST(r.value == 10);
}

BOOST_AUTO_TEST_CASE(dropout_bound_is_rfc3550_max_dropout) {
  SeqUnwrapper u;
  u.update(1000);
  auto ok = u.update(static_cast<uint16_t>(1000 + SeqUnwrapper::kMaxDropout - 1));
  BOOST_TEST((ok.kind == Kind::Ahead));
  SeqUnwrapper v;
  v.update(1000);
  auto jump = v.update(static_cast<uint16_t>(1000 + SeqUnwrapper::kMaxDropout));
  BOOST_TEST((jump.kind == Kind::Jump));
  BOOST_TEST(v.highest() == 1000);  // a jump on probation changes nothing
  // Misorder: 100 behind is reordering, 101 behind a jump (A.1's defaults).
  BOOST_TEST((v.update(900).kind == Kind::Behind));
  BOOST_TEST((v.update(899).kind == Kind::Jump));
}

BOOST_AUTO_TEST_CASE(two_sequential_packets_after_a_jump_restart_the_numbering) {
  SeqUnwrapper u;
  u.update(100);
  u.update(101);
  auto j = u.update(40000);
  BOOST_TEST((j.kind == Kind::Jump));
  BOOST_TEST(j.value == 40000);
  auto r = u.update(40001);
  BOOST_TEST((r.kind == Kind::Restart));
  BOOST_TEST(r.value == 40001);
  BOOST_TEST(u.highest() == 40001);
  BOOST_TEST(u.unwrap(40002) == 40002);
}

BOOST_AUTO_TEST_CASE(a_restart_to_a_lower_seq_keeps_values_increasing) {
  SeqUnwrapper u;
  u.update(50000);
  auto j = u.update(20);
  BOOST_TEST((j.kind == Kind::Jump));
  auto r = u.update(21);
  BOOST_TEST((r.kind == Kind::Restart));
  BOOST_TEST(r.value > 50000);
  BOOST_TEST((r.value & 0xFFFF) == 21);
  BOOST_TEST(r.value == j.value + 1);
  BOOST_TEST(u.unwrap(22) == r.value + 1);
}

BOOST_AUTO_TEST_CASE(a_lone_jump_is_dropped_and_an_in_order_packet_cancels_it) {
  SeqUnwrapper u;
  u.update(100);
  BOOST_TEST((u.update(30000).kind == Kind::Jump));
  BOOST_TEST((u.update(101).kind == Kind::Ahead));
  // 30001 would have confirmed the restart; after 101 it is a new jump.
  BOOST_TEST((u.update(30001).kind == Kind::Jump));
  BOOST_TEST(u.highest() == 101);
}

BOOST_AUTO_TEST_CASE(a_wider_misorder_window_for_the_jitter_buffer) {
  SeqUnwrapper u(SeqUnwrapper::kMaxDropout, 1024);
  u.update(5000);
  auto r = u.update(4000);
  BOOST_TEST((r.kind == Kind::Behind));
  BOOST_TEST(r.value == 4000);
  BOOST_TEST((u.update(3975).kind == Kind::Jump));
}
