#include "core/media/send_queue.hpp"

#include <boost/test/unit_test.hpp>

using core::MediaKind;
using core::SendQueue;
using Verdict = SendQueue::Verdict;

namespace {
SendQueue::Item item(int64_t dts, MediaKind kind, bool key = false, bool mandatory = false,
                     size_t bytes = 1000) {
  SendQueue::Item it;
  it.bytes = core::SharedBuffer::adopt(std::vector<uint8_t>(bytes, 0));
  it.dts = dts;
  it.kind = kind;
  it.keyframe = key;
  it.mandatory = mandatory;
  return it;
}

std::vector<SendQueue::Item> takeAll(SendQueue& q) {
  std::vector<SendQueue::Item> out;
  q.takeAll(out);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(queues_within_the_soft_limit) {
  SendQueue q({1000, 5000, 1 << 20});
  for (int i = 0; i <= 30; ++i)
    BOOST_TEST((q.push(item(i * 33, MediaKind::Video, i == 0)) == Verdict::Queued));
  BOOST_TEST(takeAll(q).size() == 31u);
  BOOST_TEST(q.empty());
  BOOST_TEST(q.droppedPackets() == 0u);
}

BOOST_AUTO_TEST_CASE(taking_swaps_storage_so_a_steady_flow_reuses_it) {
  SendQueue q({1000, 5000, 1 << 20});
  std::vector<SendQueue::Item> taken;
  for (int i = 0; i < 8; ++i) q.push(item(i * 33, MediaKind::Video, i == 0));
  q.takeAll(taken);
  BOOST_TEST(taken.size() == 8u);
  BOOST_TEST(q.bytes() == 0u);
  const auto* first = taken.data();
  for (int i = 8; i < 12; ++i) q.push(item(i * 33, MediaKind::Video));
  q.takeAll(taken);  // the old items are cleared, the storages trade places
  BOOST_TEST(taken.size() == 4u);
  BOOST_TEST(taken.front().dts == 8 * 33);
  for (int i = 12; i < 16; ++i) q.push(item(i * 33, MediaKind::Video));
  q.takeAll(taken);
  BOOST_TEST(taken.data() == first);
  BOOST_TEST(taken.size() == 4u);
  BOOST_TEST(taken.front().dts == 12 * 33);
}

BOOST_AUTO_TEST_CASE(behind_the_soft_limit_skips_to_the_next_keyframe) {
  SendQueue q({1000, 10000, 1 << 20});
  q.push(item(0, MediaKind::Video, false, true));  // config: mandatory
  q.push(item(0, MediaKind::Video, true));
  for (int t = 33; t <= 990; t += 33) q.push(item(t, MediaKind::Video));
  q.push(item(1000, MediaKind::Audio));
  // Past 1000 ms of queued media: everything droppable goes.
  BOOST_TEST((q.push(item(1023, MediaKind::Video)) == Verdict::Dropped));
  BOOST_TEST(q.skippingToKeyframe());
  BOOST_TEST(q.droppedPackets() > 30u);
  // Audio and inter frames are dropped until a video keyframe arrives.
  BOOST_TEST((q.push(item(1050, MediaKind::Audio)) == Verdict::Dropped));
  BOOST_TEST((q.push(item(1056, MediaKind::Video)) == Verdict::Dropped));
  BOOST_TEST((q.push(item(2000, MediaKind::Video, true)) == Verdict::Queued));
  BOOST_TEST(!q.skippingToKeyframe());
  BOOST_TEST((q.push(item(2010, MediaKind::Audio)) == Verdict::Queued));

  auto items = takeAll(q);
  BOOST_REQUIRE(items.size() == 3u);
  BOOST_TEST(items[0].mandatory);  // the config survived the drop
  BOOST_TEST(items[1].keyframe);
  BOOST_TEST(items[1].dts == 2000);
  BOOST_TEST(q.dropEpisodes() == 1u);
}

BOOST_AUTO_TEST_CASE(leading_bytes_survive_when_their_packet_is_dropped) {
  SendQueue q({1000, 10000, 1 << 20});
  // A packet of 1000 bytes after one byte of room events.
  auto led = [](int64_t dts, MediaKind kind, char tag) {
    auto it = item(dts, kind);
    std::string bytes(1001, '.');
    bytes[0] = tag;
    it.bytes = core::SharedBuffer::copyOf(std::string_view(bytes));
    it.leadBytes = 1;
    return it;
  };
  q.push(item(0, MediaKind::Video, true));
  q.push(led(33, MediaKind::Video, 'a'));
  for (int t = 66; t <= 990; t += 33) q.push(item(t, MediaKind::Video));
  BOOST_TEST(q.bytes() == 31u * 1000 + 1);  // counted whole while queued
  // Over the soft limit: the queued media goes, the leading bytes of one stay.
  BOOST_TEST((q.push(item(1023, MediaKind::Video)) == Verdict::Dropped));
  BOOST_TEST(q.skippingToKeyframe());
  BOOST_TEST(q.bytes() == 1u);
  // While skipping to a keyframe, a packet's leading bytes still go.
  BOOST_TEST((q.push(led(1056, MediaKind::Audio, 'b')) == Verdict::Dropped));
  BOOST_TEST((q.push(led(2000, MediaKind::Video, 'c')) == Verdict::Dropped));
  BOOST_TEST(q.skippingToKeyframe());
  auto resume = led(2033, MediaKind::Video, 'd');
  resume.keyframe = true;
  BOOST_TEST((q.push(std::move(resume)) == Verdict::Queued));
  BOOST_TEST(q.bytes() == 3u + 1001);

  auto items = takeAll(q);
  BOOST_REQUIRE(items.size() == 4u);
  for (size_t i = 0; i < 3; ++i) {
    BOOST_TEST(items[i].mandatory);
    BOOST_TEST(items[i].leadBytes == 0u);
    BOOST_TEST(items[i].due == SendQueue::kNever);
    BOOST_TEST(items[i].bytes.view() == std::string(1, "abc"[i]));
  }
  BOOST_TEST(items[3].keyframe);
  BOOST_TEST(items[3].leadBytes == 1u);
  BOOST_TEST(items[3].bytes.view().substr(0, 2) == "d.");
  BOOST_TEST(items[3].bytes.size() == 1001u);
  BOOST_TEST(q.droppedPackets() == 34u);  // 32 by the drop, 2 while skipping
}

BOOST_AUTO_TEST_CASE(a_keyframe_that_crosses_the_soft_limit_is_kept) {
  SendQueue q({1000, 10000, 1 << 20});
  q.push(item(0, MediaKind::Video, true));
  for (int t = 33; t < 1000; t += 33) q.push(item(t, MediaKind::Video));
  BOOST_TEST((q.push(item(1100, MediaKind::Video, true)) == Verdict::Dropped));
  BOOST_TEST(!q.skippingToKeyframe());
  auto items = takeAll(q);
  BOOST_REQUIRE(items.size() == 1u);
  BOOST_TEST(items[0].dts == 1100);
}

BOOST_AUTO_TEST_CASE(bytes_in_flight_count_toward_the_hard_limit) {
  SendQueue q({1000, 3000, 1 << 20});
  // The socket still holds a packet from dts 0: a viewer 3 s behind is cut off
  // even though its own queue is short (it was emptied by drops).
  BOOST_TEST((q.push(item(2000, MediaKind::Video, true), 0) == Verdict::Queued));
  BOOST_TEST((q.push(item(3001, MediaKind::Video), 0) == Verdict::Overflow));
  // Without anything in flight the same span is fine.
  SendQueue fresh({1000, 3000, 1 << 20});
  BOOST_TEST((fresh.push(item(3001, MediaKind::Video, true)) == Verdict::Queued));
}

BOOST_AUTO_TEST_CASE(byte_limit_drops_too) {
  SendQueue q({100000, 200000, 5000});
  q.push(item(0, MediaKind::Video, true, false, 2000));
  q.push(item(33, MediaKind::Video, false, false, 2000));
  BOOST_TEST((q.push(item(66, MediaKind::Video, false, false, 2000)) == Verdict::Dropped));
  BOOST_TEST(q.bytes() == 0u);
  BOOST_TEST(q.skippingToKeyframe());
}

BOOST_AUTO_TEST_CASE(mandatory_bytes_alone_over_the_byte_limit_overflow) {
  SendQueue q({100000, 200000, 1500});
  q.push(item(0, MediaKind::Data, false, true, 1000));
  BOOST_TEST((q.push(item(1, MediaKind::Data, false, true, 1000)) == Verdict::Overflow));
}

BOOST_AUTO_TEST_CASE(an_audio_only_viewer_resumes_at_the_next_audio_frame) {
  SendQueue q({1000, 10000, 1 << 20});
  for (int t = 0; t <= 1000; t += 21) q.push(item(t, MediaKind::Audio));
  BOOST_TEST((q.push(item(1030, MediaKind::Audio)) == Verdict::Dropped));
  // No video in this stream: the newest audio frame survived and playback goes on.
  BOOST_TEST(!q.skippingToKeyframe());
  BOOST_TEST((q.push(item(1051, MediaKind::Audio)) == Verdict::Queued));
  BOOST_TEST(takeAll(q).size() == 2u);
}

BOOST_AUTO_TEST_CASE(protocol_messages_never_count_as_lag) {
  SendQueue q({1000, 3000, 1 << 20});
  // Status replies queued before any media (a viewer whose socket is slow to
  // start), then media from a stream that has been live for a minute.
  q.push(item(0, MediaKind::Data, false, true));
  q.push(item(0, MediaKind::Data, false, true));
  BOOST_TEST((q.push(item(60000, MediaKind::Video, true)) == Verdict::Queued));
  BOOST_TEST((q.push(item(60033, MediaKind::Video)) == Verdict::Queued));
  auto items = takeAll(q);
  BOOST_TEST(SendQueue::oldestDue(items) == 60000);
}

BOOST_AUTO_TEST_CASE(a_join_burst_of_a_long_gop_is_not_lag) {
  SendQueue q({1000, 3000, 1 << 20});
  q.beginBurst();
  q.push(item(0, MediaKind::Video, false, true));  // header
  q.push(item(0, MediaKind::Video, true));         // a 5 s old keyframe
  for (int t = 33; t <= 5000; t += 33) q.push(item(t, MediaKind::Video));
  q.endBurst();
  BOOST_TEST(q.droppedPackets() == 0u);
  auto burst = takeAll(q);
  BOOST_TEST(burst.size() == 153u);
  // All of it counts as due at the end of the burst: still in flight, the next
  // live packet is not behind.
  BOOST_TEST(SendQueue::oldestDue(burst) == 4983);
  BOOST_TEST(
      (q.push(item(5016, MediaKind::Video), SendQueue::oldestDue(burst)) == Verdict::Queued));
}

BOOST_AUTO_TEST_CASE(a_stalled_viewer_waiting_for_a_keyframe_still_hits_the_hard_limit) {
  SendQueue q({1000, 3000, 1 << 20});
  q.push(item(0, MediaKind::Video, true));
  for (int t = 33; t <= 1100; t += 33) q.push(item(t, MediaKind::Video));
  BOOST_TEST(q.skippingToKeyframe());
  // The socket holds dts 0 forever; inter frames keep coming (no keyframe).
  Verdict v = Verdict::Dropped;
  for (int t = 1133; t <= 4000 && v != Verdict::Overflow; t += 33)
    v = q.push(item(t, MediaKind::Video), 0);
  BOOST_TEST((v == Verdict::Overflow));
}

BOOST_AUTO_TEST_CASE(a_dropped_packet_takes_its_continuation_parts) {
  SendQueue q({1000, 10000, 1 << 20});
  const std::vector<core::SharedBuffer> more(3, core::SharedBuffer::copyOf(std::string_view("x")));
  q.push(item(0, MediaKind::Video, false, true));  // config: mandatory
  q.push(item(0, MediaKind::Video, true, false, 10), SendQueue::kNever, more);
  for (int t = 40; t <= 960; t += 40)
    q.push(item(t, MediaKind::Video, false, false, 10), SendQueue::kNever, more);
  BOOST_TEST(q.droppedPackets() == 0u);
  BOOST_TEST(q.bytes() == 1000u + 25u * 13u);
  // Over the soft limit: every packet goes with its parts, the config stays.
  BOOST_TEST((q.push(item(1040, MediaKind::Video, false, false, 10), SendQueue::kNever, more) ==
              Verdict::Dropped));
  BOOST_TEST(q.droppedPackets() == 26u);  // packets, not parts
  BOOST_TEST(q.bytes() == 1000u);
  // Skipping to a keyframe: an inter frame goes whole, a keyframe comes whole.
  q.push(item(1080, MediaKind::Video, false, false, 10), SendQueue::kNever, more);
  BOOST_TEST((q.push(item(1120, MediaKind::Video, true, false, 10), SendQueue::kNever, more) ==
              Verdict::Queued));
  const auto items = takeAll(q);
  BOOST_REQUIRE(items.size() == 5u);
  BOOST_TEST(items[0].mandatory);
  BOOST_TEST(!items[1].continuation);
  BOOST_TEST(items[1].dts == 1120);
  for (size_t i = 2; i < 5; ++i) {
    BOOST_TEST(items[i].continuation);
    BOOST_TEST(items[i].dts == 1120);
    BOOST_TEST(items[i].keyframe);
  }
}

BOOST_AUTO_TEST_CASE(the_newest_keyframe_survives_a_drop_with_its_parts) {
  SendQueue q({1000, 10000, 1 << 20});
  const std::vector<core::SharedBuffer> more(2, core::SharedBuffer::copyOf(std::string_view("x")));
  for (int t = 0; t <= 960; t += 40) q.push(item(t, MediaKind::Video, t == 0, false, 10));
  // The keyframe that crosses the soft limit is the place to resume: kept whole.
  BOOST_TEST((q.push(item(1040, MediaKind::Video, true, false, 10), SendQueue::kNever, more) ==
              Verdict::Dropped));
  BOOST_TEST(!q.skippingToKeyframe());
  const auto items = takeAll(q);
  BOOST_REQUIRE(items.size() == 3u);
  BOOST_TEST(items[0].dts == 1040);
  BOOST_TEST(!items[0].continuation);
  BOOST_TEST(items[1].continuation);
  BOOST_TEST(items[2].continuation);
}
