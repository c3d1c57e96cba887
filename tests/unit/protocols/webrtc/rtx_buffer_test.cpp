#include "protocols/webrtc/rtx_buffer.hpp"

#include <boost/test/unit_test.hpp>
#include <span>
#include <string>
#include <vector>

using webrtc::RtxBuffer;

namespace {

constexpr size_t kTestSlot = 64;

// Packets of different lengths, so a slot's length is checked too.
std::string rtxText(uint16_t seq) {
  return "rtp-" + std::to_string(seq) + std::string(seq % 7, '.');
}

// Valid until the next call (thread_local scratch keeps the span alive for the store).
std::span<const uint8_t> rtxPacket(uint16_t seq) {
  thread_local std::string text;
  text = rtxText(seq);
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string rtxString(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool rtxHolds(const RtxBuffer& buffer, uint16_t seq) {
  auto found = buffer.find(seq);
  return found && rtxString(*found) == rtxText(seq);
}

}  // namespace

BOOST_AUTO_TEST_CASE(capacity_is_a_power_of_two) {
  BOOST_TEST(RtxBuffer(1000, kTestSlot).capacity() == 1024u);
  BOOST_TEST(RtxBuffer(512, kTestSlot).capacity() == 512u);
  BOOST_TEST(RtxBuffer(0, kTestSlot).capacity() == 1u);
  BOOST_TEST(RtxBuffer(1u << 20, kTestSlot).capacity() == 32768u);
}

BOOST_AUTO_TEST_CASE(a_stored_packet_is_found_as_a_copy_in_its_slot) {
  RtxBuffer buffer(8, kTestSlot);
  std::vector<uint8_t> packet(40);
  for (size_t i = 0; i < packet.size(); ++i) packet[i] = static_cast<uint8_t>(i * 7);
  BOOST_TEST(buffer.store(100, packet));
  const std::vector<uint8_t> sent = packet;
  packet.assign(packet.size(), 0xEE);  // the sender reuses (and encrypts) its buffer
  auto found = buffer.find(100);
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST(found->data() != packet.data());  // a copy, not the sender's bytes
  BOOST_TEST((std::vector<uint8_t>(found->begin(), found->end()) == sent));
  BOOST_TEST(!buffer.find(101).has_value());  // never sent
  BOOST_TEST(!buffer.find(99).has_value());   // never stored
  BOOST_TEST(buffer.stats().hits == 1u);
  BOOST_TEST(buffer.stats().misses == 2u);
  BOOST_TEST(!RtxBuffer(8, kTestSlot).find(0).has_value());  // empty
}

BOOST_AUTO_TEST_CASE(an_old_seq_resends_its_own_bytes_among_many) {
  // 1000 packets through a 256-slot ring: each of the last 256 answers with exactly
  // the bytes stored under its seq (and length), the others miss.
  RtxBuffer buffer(256, kTestSlot);
  for (uint16_t seq = 1000; seq < 2000; ++seq)
    BOOST_TEST_REQUIRE(buffer.store(seq, rtxPacket(seq)));
  for (uint16_t seq = 1000; seq < 1744; ++seq) BOOST_TEST(!buffer.find(seq).has_value());
  for (uint16_t seq = 1744; seq < 2000; ++seq) BOOST_TEST(rtxHolds(buffer, seq));
  BOOST_TEST(rtxString(*buffer.find(1744)) == "rtp-1744" + std::string(1744 % 7, '.'));
}

BOOST_AUTO_TEST_CASE(a_packet_longer_than_a_slot_is_not_stored) {
  RtxBuffer buffer(8, 16);
  BOOST_TEST(buffer.slotBytes() == 16u);
  const std::vector<uint8_t> fits(16, 1), big(17, 2);
  BOOST_TEST(buffer.store(1, fits));
  BOOST_TEST(!buffer.store(2, big));
  BOOST_TEST(buffer.find(1).has_value());
  BOOST_TEST(!buffer.find(2).has_value());
  BOOST_TEST(buffer.stats().tooBig == 1u);
  BOOST_TEST(buffer.stats().stored == 1u);
}

BOOST_AUTO_TEST_CASE(an_overwritten_packet_is_a_miss) {
  RtxBuffer buffer(8, kTestSlot);
  for (uint16_t seq = 0; seq < 20; ++seq) buffer.store(seq, rtxPacket(seq));
  for (uint16_t seq = 0; seq < 12; ++seq) BOOST_TEST(!buffer.find(seq).has_value());
  for (uint16_t seq = 12; seq < 20; ++seq) BOOST_TEST(rtxHolds(buffer, seq));
}

BOOST_AUTO_TEST_CASE(the_ring_works_across_the_seq_wrap) {
  RtxBuffer buffer(16, kTestSlot);
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
  RtxBuffer buffer(16, kTestSlot);
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
  RtxBuffer buffer(8, kTestSlot);
  for (uint16_t seq = 100; seq < 108; ++seq) buffer.store(seq, rtxPacket(seq));
  buffer.store(92, rtxPacket(92));  // same slot as 100, but older than the ring
  BOOST_TEST(rtxHolds(buffer, 100));
  BOOST_TEST(!buffer.find(92).has_value());
}

BOOST_AUTO_TEST_CASE(a_resend_tells_whether_the_packet_was_asked_before) {
  RtxBuffer buffer(8, kTestSlot);
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
