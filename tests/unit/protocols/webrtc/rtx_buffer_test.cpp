#include "protocols/webrtc/rtx_buffer.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using webrtc::RtxBuffer;

namespace {

core::SharedBuffer rtxPacket(uint16_t seq) {
  return core::SharedBuffer::copyOf("rtp-" + std::to_string(seq));
}

bool rtxHolds(const RtxBuffer& buffer, uint16_t seq) {
  auto found = buffer.find(seq);
  return found && found->view() == "rtp-" + std::to_string(seq);
}

}  // namespace

BOOST_AUTO_TEST_CASE(capacity_is_a_power_of_two) {
  BOOST_TEST(RtxBuffer(1000).capacity() == 1024u);
  BOOST_TEST(RtxBuffer(512).capacity() == 512u);
  BOOST_TEST(RtxBuffer(0).capacity() == 1u);
  BOOST_TEST(RtxBuffer(1u << 20).capacity() == 32768u);
}

BOOST_AUTO_TEST_CASE(a_stored_packet_is_found_and_shares_its_bytes) {
  RtxBuffer buffer(8);
  const auto packet = rtxPacket(100);
  buffer.store(100, packet);
  auto found = buffer.find(100);
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST(found->data() == packet.data());  // a refcount, not a copy
  BOOST_TEST(!buffer.find(101).has_value());   // never sent
  BOOST_TEST(!buffer.find(99).has_value());    // never stored
  BOOST_TEST(buffer.stats().hits == 1u);
  BOOST_TEST(buffer.stats().misses == 2u);
  BOOST_TEST(!RtxBuffer(8).find(0).has_value());  // empty
}

BOOST_AUTO_TEST_CASE(an_overwritten_packet_is_a_miss) {
  RtxBuffer buffer(8);
  for (uint16_t seq = 0; seq < 20; ++seq) buffer.store(seq, rtxPacket(seq));
  for (uint16_t seq = 0; seq < 12; ++seq) BOOST_TEST(!buffer.find(seq).has_value());
  for (uint16_t seq = 12; seq < 20; ++seq) BOOST_TEST(rtxHolds(buffer, seq));
}

BOOST_AUTO_TEST_CASE(the_ring_works_across_the_seq_wrap) {
  RtxBuffer buffer(16);
  for (uint32_t i = 0; i < 20; ++i) {
    const auto seq = static_cast<uint16_t>(65530 + i);  // 65530 .. 65535, 0 .. 13
    buffer.store(seq, rtxPacket(seq));
  }
  BOOST_TEST(!buffer.find(65530).has_value());
  BOOST_TEST(!buffer.find(65533).has_value());
  BOOST_TEST(rtxHolds(buffer, 65534));
  BOOST_TEST(rtxHolds(buffer, 65535));
  BOOST_TEST(rtxHolds(buffer, 0));
  BOOST_TEST(rtxHolds(buffer, 13));
  BOOST_TEST(!buffer.find(14).has_value());  // not sent yet
}

BOOST_AUTO_TEST_CASE(a_slot_from_a_previous_cycle_never_answers) {
  // Sparse seqs (a sender that skips): 5 of the last cycle stays in its slot while the
  // seqs go once round; a NACK for 5 (3 behind the newest, 8) must not get it.
  RtxBuffer buffer(16);
  buffer.store(5, rtxPacket(5));
  uint16_t seq = 5;
  for (int i = 0; i < 8; ++i) {  // 65539 in steps below 32768, never on slot 5
    seq = static_cast<uint16_t>(seq + (i == 7 ? 8188 : 8193));
    buffer.store(seq, rtxPacket(seq));
  }
  BOOST_TEST(seq == 8);
  BOOST_TEST(!buffer.find(5).has_value());
  BOOST_TEST(rtxHolds(buffer, 8));
}

BOOST_AUTO_TEST_CASE(a_very_old_store_does_not_evict_a_newer_packet) {
  RtxBuffer buffer(8);
  for (uint16_t seq = 100; seq < 108; ++seq) buffer.store(seq, rtxPacket(seq));
  buffer.store(92, rtxPacket(92));  // same slot as 100, but older than the ring
  BOOST_TEST(rtxHolds(buffer, 100));
  BOOST_TEST(!buffer.find(92).has_value());
}

BOOST_AUTO_TEST_CASE(a_resend_tells_whether_the_packet_was_asked_before) {
  RtxBuffer buffer(8);
  for (uint16_t seq = 10; seq < 14; ++seq) buffer.store(seq, rtxPacket(seq));
  bool first = false;
  BOOST_TEST(buffer.findForResend(11, first).has_value());
  BOOST_TEST(first);
  BOOST_TEST(buffer.findForResend(11, first).has_value());  // the NACK repeated
  BOOST_TEST(!first);
  BOOST_TEST(!buffer.findForResend(99, first).has_value());  // never sent
  BOOST_TEST(!first);
  // The slot's next packet (8 seqs on) is a new one: asked for the first time.
  for (uint16_t seq = 14; seq < 20; ++seq) buffer.store(seq, rtxPacket(seq));
  BOOST_TEST(buffer.findForResend(19, first).has_value());
  BOOST_TEST(first);
}
