#include "core/media/stream.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <utility>

#include "core/format/aac_config.hpp"
#include "core/format/avc_config.hpp"
#include "core/format/timed_metadata.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"
#include "core/media/stream_registry.hpp"
#include "tests/unit/run_loop.hpp"

using namespace core;

namespace {

struct RecordingSink : MediaSink {
  std::vector<MediaPacket> packets;
  int starts = 0, gone = 0, ends = 0;
  std::unique_ptr<Subscription> sub;
  void onStreamStart(const Stream&) override { ++starts; }
  void onPacket(const MediaPacket& p) override { packets.push_back(p); }
  void onPublisherGone(std::string_view) override { ++gone; }
  void onStreamEnd(std::string_view) override {
    ++ends;
    sub.reset();
  }
};

// Takes the room events inside the packet they precede (as FLV and RTMP do).
struct LeadingSink : RecordingSink {
  bool takesLeadingData() const override { return true; }
};

MediaPacket packet(MediaKind kind, int64_t dts, bool key = false, bool config = false) {
  MediaPacket p;
  p.kind = kind;
  p.codec = kind == MediaKind::Video   ? Codec::H264
            : kind == MediaKind::Audio ? Codec::AAC
                                       : Codec::Amf0;
  p.dts = dts;
  p.pts = dts + (kind == MediaKind::Video && !config ? 66 : 0);
  p.keyframe = key;
  p.config = config;
  p.payload = SharedBuffer::adopt(std::vector<uint8_t>{1, 2, 3});
  return p;
}

StreamOptions options(int64_t graceMs = 200) {
  StreamOptions o;
  o.reconnectGraceMs = graceMs;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_second_publisher_is_refused_unless_takeover_is_on) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto first = registry.publish("live", "a", "peer1", nullptr, error);
  BOOST_REQUIRE(first);
  auto second = registry.publish("live", "a", "peer2", nullptr, error);
  BOOST_TEST(!second);
  BOOST_TEST(error.find("peer1") != std::string::npos);

  StreamOptions takeover = options();
  takeover.publisherTakeover = true;
  StreamRegistry registry2(loop, takeover);
  std::string revoked;
  auto a = registry2.publish(
      "live", "a", "peer1", [&](std::string_view why) { revoked = why; }, error);
  auto b = registry2.publish("live", "a", "peer2", nullptr, error);
  BOOST_TEST(bool(b));
  BOOST_TEST(revoked.find("peer2") != std::string::npos);
  BOOST_TEST(registry2.find("live/a")->publisherPeer() == "peer2");
}

BOOST_AUTO_TEST_CASE(a_late_viewer_gets_headers_then_the_gop_from_its_keyframe) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "a", "peer", nullptr, error);
  lease->push(packet(MediaKind::Data, 0, false, true));   // onMetaData
  lease->push(packet(MediaKind::Video, 0, true, true));   // AVC config
  lease->push(packet(MediaKind::Audio, 0, false, true));  // AAC config
  lease->push(packet(MediaKind::Video, 0, true));
  lease->push(packet(MediaKind::Video, 33));
  lease->push(packet(MediaKind::Video, 2000, true));
  lease->push(packet(MediaKind::Audio, 2010));
  lease->push(packet(MediaKind::Video, 2033));

  RecordingSink sink;
  sink.sub = registry.subscribe("live", "a", sink, "test");
  BOOST_REQUIRE(sink.sub);
  BOOST_REQUIRE(sink.packets.size() == 6u);
  BOOST_TEST((sink.packets[0].kind == MediaKind::Data));
  BOOST_TEST((sink.packets[1].isVideo() && sink.packets[1].config));
  BOOST_TEST((sink.packets[2].isAudio() && sink.packets[2].config));
  // Headers are stamped at the GOP's start so the viewer's clock begins there.
  BOOST_TEST(sink.packets[1].dts == 2000);
  BOOST_TEST((sink.packets[3].keyframe && sink.packets[3].dts == 2000));
  BOOST_TEST(sink.packets[5].dts == 2033);
  BOOST_TEST(sink.packets[5].pts == 2033 + 66);  // composition offset kept

  lease->push(packet(MediaKind::Video, 2066));
  BOOST_TEST(sink.packets.size() == 7u);
  BOOST_TEST(registry.find("live/a")->viewersByProtocol().at("test") == 1);
}

BOOST_AUTO_TEST_CASE(viewers_survive_a_publisher_reconnect_within_the_grace_period) {
  EventLoop loop;
  StreamRegistry registry(loop, options(5000));
  std::string error;
  auto lease = registry.publish("live", "a", "peer", nullptr, error);
  lease->push(packet(MediaKind::Video, 0, true, true));
  lease->push(packet(MediaKind::Video, 0, true));
  lease->push(packet(MediaKind::Video, 1000));
  RecordingSink sink;
  sink.sub = registry.subscribe("live", "a", sink, "test");
  lease.reset();
  BOOST_TEST(sink.gone == 1);
  BOOST_TEST(!registry.find("live/a")->hasPublisher());

  auto again = registry.publish("live", "a", "peer2", nullptr, error);
  BOOST_REQUIRE(again);
  BOOST_TEST(sink.starts == 2);
  again->push(packet(MediaKind::Video, 0, true, true));  // headers resent
  again->push(packet(MediaKind::Video, 0, true));
  BOOST_TEST(sink.packets.back().keyframe);
  BOOST_TEST(sink.packets.back().dts > 1000);  // the clock continues, never rewinds
  BOOST_TEST(sink.ends == 0);
}

BOOST_AUTO_TEST_CASE(the_stream_ends_when_the_grace_period_passes) {
  EventLoop loop;
  StreamRegistry registry(loop, options(50));
  std::string error;
  auto lease = registry.publish("live", "a", "peer", nullptr, error);
  RecordingSink sink;
  sink.sub = registry.subscribe("live", "a", sink, "test");
  lease.reset();
  Timer guard(loop, [&] { loop.stop(); });
  guard.start(2000);
  Timer check(loop, [&] {
    if (sink.ends == 1) loop.stop();
  });
  check.start(10, 10);
  loop.run();
  BOOST_TEST(sink.ends == 1);
  BOOST_TEST(registry.find("live/a") == nullptr);
  BOOST_TEST(!registry.subscribe("live", "a", sink, "test"));
}

BOOST_AUTO_TEST_CASE(a_sink_may_unsubscribe_another_during_dispatch) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "a", "peer", nullptr, error);
  RecordingSink victim;
  struct Killer : RecordingSink {
    RecordingSink* victim = nullptr;
    void onPacket(const MediaPacket& p) override {
      RecordingSink::onPacket(p);
      victim->sub.reset();
    }
  } killer;
  killer.victim = &victim;
  killer.sub = registry.subscribe("live", "a", killer, "test");
  victim.sub = registry.subscribe("live", "a", victim, "test");
  lease->push(packet(MediaKind::Audio, 10));
  lease->push(packet(MediaKind::Audio, 20));
  BOOST_TEST(killer.packets.size() == 2u);
  BOOST_TEST(victim.packets.size() == 0u);
  BOOST_TEST(registry.find("live/a")->sinkCount() == 1u);
}

BOOST_AUTO_TEST_CASE(the_stream_clock_runs_from_the_newest_packet_capped_and_monotonic) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  BOOST_TEST(!registry.find("live/c"));
  std::string error;
  auto lease = registry.publish("live", "c", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  const Stream* s = registry.find("live/c");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->clockNowMs().value_or(-1) == 0);  // published, nothing sent yet
  lease->push(packet(MediaKind::Video, 1000, true));
  const int64_t at = s->clockNowMs().value_or(-1);
  BOOST_TEST(at >= 1000);  // the packet's dts (the first one is kept as is)
  BOOST_TEST(at <= 1005);
  // Wall time since the packet counts (busy-wait: the loop's cached time is not used).
  const uint64_t until = uv_hrtime() + 30'000'000;
  while (uv_hrtime() < until) {
  }
  const int64_t later = s->clockNowMs().value_or(-1);
  BOOST_TEST(later >= at + 30);
  BOOST_TEST(later <= at + 200);
  // A packet that does not move the clock forward never moves it back.
  lease->push(packet(MediaKind::Audio, 1000));
  BOOST_TEST(s->clockNowMs().value_or(-1) >= later);
  // A stalled publisher: the clock runs at most kClockRunAheadMs past its last packet.
  const uint64_t stall = uv_hrtime() + (Stream::kClockRunAheadMs + 100) * 1'000'000;
  while (uv_hrtime() < stall) {
  }
  BOOST_TEST(s->clockNowMs().value_or(-1) == s->lastDts() + Stream::kClockRunAheadMs);
  lease.reset();  // publisher gone: no clock
  BOOST_TEST(!s->clockNowMs());
}

BOOST_AUTO_TEST_CASE(injected_data_reaches_sinks_and_a_sticky_one_greets_new_sinks) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  MediaPacket event = packet(MediaKind::Data, 0);
  event.codec = Codec::RoomEvent;
  BOOST_TEST(!registry.injectData("live/d", event));  // no such stream
  std::string error;
  auto lease = registry.publish("live", "d", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  lease->push(packet(MediaKind::Video, 0, true, true));
  lease->push(packet(MediaKind::Video, 0, true));
  RecordingSink first;
  first.sub = registry.subscribe("live", "d", first, "flv");
  first.packets.clear();
  event.dts = event.pts = 40;
  BOOST_TEST(registry.injectData("live/d", event, /*sticky=*/true));
  MediaPacket plain = event;
  plain.dts = plain.pts = 50;
  BOOST_TEST(registry.injectData("live/d", plain));
  // Held until the media reaches them; each goes out just before the first media
  // packet at or past its time.
  BOOST_TEST(first.packets.empty());
  lease->push(packet(MediaKind::Audio, 40));
  BOOST_REQUIRE(first.packets.size() == 2);
  BOOST_TEST(first.packets[0].dts == 40);  // on the stream clock as given, not corrected
  BOOST_TEST((first.packets[0].codec == Codec::RoomEvent));
  BOOST_TEST((first.packets[1].kind == MediaKind::Audio));
  lease->push(packet(MediaKind::Video, 66));
  BOOST_REQUIRE(first.packets.size() == 4);
  BOOST_TEST((first.packets[2].codec == Codec::RoomEvent));
  BOOST_TEST(first.packets[2].dts == 50);
  BOOST_TEST((first.packets[3].kind == MediaKind::Video));

  // A new sink: headers, then the sticky event re-stamped to its start, then the
  // GOP; the non-sticky one is not replayed.
  RecordingSink second;
  second.sub = registry.subscribe("live", "d", second, "flv");
  int roomEvents = 0;
  for (const auto& p : second.packets) roomEvents += p.codec == Codec::RoomEvent;
  BOOST_TEST(roomEvents == 1);
  BOOST_TEST(second.packets.size() == 5);  // video config, sticky event, GOP of 3
  BOOST_TEST((second.packets[1].codec == Codec::RoomEvent));
  BOOST_TEST(second.packets[1].dts == 0);

  lease.reset();
  BOOST_TEST(!registry.injectData("live/d", event));  // publisher gone
  first.sub.reset();
  second.sub.reset();
}

BOOST_AUTO_TEST_CASE(a_sink_that_takes_leading_data_gets_held_events_inside_the_next_packet) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "l", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  lease->push(packet(MediaKind::Video, 0, true));
  LeadingSink taker;
  RecordingSink other;
  taker.sub = registry.subscribe("live", "l", taker, "flv");
  other.sub = registry.subscribe("live", "l", other, "hls");
  taker.packets.clear();
  other.packets.clear();
  MediaPacket event = packet(MediaKind::Data, 30);
  event.codec = Codec::RoomEvent;
  event.payload = SharedBuffer::copyOf(std::string_view("first"));
  BOOST_TEST(registry.injectData("live/l", event));
  event.dts = event.pts = 35;
  event.payload = SharedBuffer::copyOf(std::string_view("second"));
  event.wire = std::make_shared<WireCache>();  // a copy shares the forms of the first
  BOOST_TEST(registry.injectData("live/l", event));
  lease->push(packet(MediaKind::Audio, 40));

  // The taker: one packet, the two events inside it in order.
  BOOST_REQUIRE(taker.packets.size() == 1);
  const MediaPacket& led = taker.packets[0];
  BOOST_TEST((led.kind == MediaKind::Audio));
  BOOST_REQUIRE(led.leading);
  BOOST_REQUIRE(led.leading->packets.size() == 2);
  BOOST_TEST(led.leading->packets[0].payload.view() == "first");
  BOOST_TEST(led.leading->packets[1].dts == 35);
  // Their wire form: each one's, then the packet's, in one buffer built once; the
  // packet's own form is a slice of it.
  int appends = 0;
  auto append = [&appends](std::vector<uint8_t>& out, const MediaPacket& p) {
    ++appends;
    out.insert(out.end(), p.payload.data(), p.payload.data() + p.payload.size());
  };
  size_t leadBytes = 0;
  const SharedBuffer& all = led.wireFormWithLeading(WireFormat::FlvTag, append, leadBytes);
  BOOST_TEST(all.view() == std::string_view("firstsecond\x01\x02\x03", 14));
  BOOST_TEST(leadBytes == 11u);
  BOOST_TEST(appends == 3);
  leadBytes = 0;
  BOOST_TEST(led.wireFormWithLeading(WireFormat::FlvTag, append, leadBytes).data() == all.data());
  BOOST_TEST(leadBytes == 11u);
  BOOST_TEST(appends == 3);
  auto never = [](const MediaPacket&) -> SharedBuffer { throw std::logic_error("built again"); };
  BOOST_TEST(led.wireForm(WireFormat::FlvTag, never).data() == all.data() + 11);
  BOOST_TEST(led.wireForm(WireFormat::FlvTag, never).size() == 3u);
  // A packet whose own form was built before: copied after its events.
  led.wireForm(WireFormat::RtmpChunks,
               [](const MediaPacket&) { return SharedBuffer::copyOf(std::string_view("own")); });
  BOOST_TEST(led.wireFormWithLeading(WireFormat::RtmpChunks, append, leadBytes).view() ==
             "firstsecondown");
  BOOST_TEST(leadBytes == 11u);
  // Any other sink: the events on their own, then the packet without them.
  BOOST_REQUIRE(other.packets.size() == 3);
  BOOST_TEST((other.packets[0].codec == Codec::RoomEvent));
  BOOST_TEST((other.packets[1].codec == Codec::RoomEvent));
  BOOST_TEST(other.packets[1].dts == 35);
  BOOST_TEST(!other.packets[2].leading);
  BOOST_TEST((other.packets[2].kind == MediaKind::Audio));

  // The next packet has nothing before it; a late viewer's GOP has no events.
  lease->push(packet(MediaKind::Video, 66));
  BOOST_REQUIRE(taker.packets.size() == 2);
  BOOST_TEST(!taker.packets[1].leading);
  LeadingSink late;
  late.sub = registry.subscribe("live", "l", late, "flv");
  BOOST_TEST(late.packets.size() == 3);
  for (const auto& p : late.packets) {
    BOOST_TEST(!p.leading);
    BOOST_TEST((p.codec != Codec::RoomEvent));
  }

  // An event released alone (the media stalled) comes on its own to every sink.
  event.dts = event.pts = 500;
  BOOST_TEST(registry.injectData("live/l", event));
  lease.reset();  // the publisher leaves: held data goes out first
  BOOST_REQUIRE(taker.packets.size() == 3);
  BOOST_TEST((taker.packets[2].codec == Codec::RoomEvent));
  BOOST_TEST(!taker.packets[2].leading);
  taker.sub.reset();
  other.sub.reset();
  late.sub.reset();
}

BOOST_AUTO_TEST_CASE(each_release_has_only_its_own_events_though_the_holder_is_reused) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "r", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  lease->push(packet(MediaKind::Video, 0, true));
  // Like a viewer: keeps the bytes, not the packet.
  struct BytesSink : MediaSink {
    std::vector<std::string> writes;
    std::unique_ptr<Subscription> sub;
    bool takesLeadingData() const override { return true; }
    void onPacket(const MediaPacket& p) override {
      if (!p.leading) return;
      size_t leadBytes = 0;
      const auto& all = p.wireFormWithLeading(
          WireFormat::FlvTag,
          [](std::vector<uint8_t>& out, const MediaPacket& q) {
            out.insert(out.end(), q.payload.data(), q.payload.data() + q.payload.size());
          },
          leadBytes);
      writes.emplace_back(all.view().substr(0, leadBytes));
    }
    void onStreamEnd(std::string_view) override { sub.reset(); }
  } sink;
  sink.sub = registry.subscribe("live", "r", sink, "flv");
  for (int i = 1; i <= 3; ++i) {
    for (int j = 0; j < i; ++j) {
      MediaPacket event = packet(MediaKind::Data, i * 100);
      event.codec = Codec::RoomEvent;
      event.payload = SharedBuffer::copyOf(std::string_view("e" + std::to_string(i)));
      BOOST_TEST(registry.injectData("live/r", event));
    }
    lease->push(packet(MediaKind::Audio, i * 100 + 10));
  }
  BOOST_TEST(sink.writes == (std::vector<std::string>{"e1", "e2e2", "e3e3e3"}),
             boost::test_tools::per_element());
  lease.reset();
  sink.sub.reset();
}

BOOST_AUTO_TEST_CASE(held_data_goes_out_when_the_media_stalls_or_the_publisher_leaves) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "h", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  lease->push(packet(MediaKind::Video, 0, true));
  RecordingSink sink;
  sink.sub = registry.subscribe("live", "h", sink, "flv");
  sink.packets.clear();
  MediaPacket event = packet(MediaKind::Data, 500);
  event.codec = Codec::RoomEvent;
  const uint64_t t0 = uv_hrtime();
  BOOST_TEST(registry.injectData("live/h", event));
  // No media at or past 500 ms comes: the hold ends after kDataHoldMs.
  lease->push(packet(MediaKind::Audio, 20));
  BOOST_REQUIRE(sink.packets.size() == 1);
  Timer guard(loop, [&loop] { loop.stop(); });
  guard.start(2000);
  Timer poll(loop, [&] {
    if (sink.packets.size() > 1) loop.stop();
  });
  poll.start(5, 5);
  loop.run();
  const auto waitedMs = static_cast<int64_t>((uv_hrtime() - t0) / 1'000'000);
  BOOST_REQUIRE(sink.packets.size() == 2);
  BOOST_TEST((sink.packets[1].codec == Codec::RoomEvent));
  BOOST_TEST(waitedMs >= Stream::kDataHoldMs - 5);
  BOOST_TEST(waitedMs < Stream::kDataHoldMs + 500);

  // The publisher leaves: what it held goes out before the viewers hear of it.
  event.dts = event.pts = 900;
  BOOST_TEST(registry.injectData("live/h", event));
  BOOST_TEST(sink.packets.size() == 2);
  lease.reset();
  BOOST_TEST(sink.packets.size() == 3);
  BOOST_TEST(sink.gone == 1);
  sink.sub.reset();
}

BOOST_AUTO_TEST_CASE(queued_sei_rides_in_the_next_h264_frame_after_an_aud) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "sei", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  MediaPacket cfg = packet(MediaKind::Video, 0, true, true);
  cfg.payload =
      SharedBuffer::adopt(std::vector<uint8_t>{1, 0x64, 0, 0x1f, 0xff, 0xe1});  // 4-byte lengths
  lease->push(cfg);
  RecordingSink sink;
  sink.sub = registry.subscribe("live", "sei", sink, "flv");
  BOOST_TEST(registry.queueSei("live/sei", R"({"event":"message"})"));
  BOOST_TEST(registry.queueSei("live/sei", R"({"seq":2})"));
  MediaPacket frame = packet(MediaKind::Video, 40, true);
  // AUD (type 9) then an IDR slice (type 5)
  frame.payload = SharedBuffer::adopt(
      std::vector<uint8_t>{0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 3, 0x65, 0x88, 0x84});
  lease->push(frame);
  BOOST_REQUIRE(!sink.packets.empty());
  const auto out = sink.packets.back().payload.span();
  // Walk the AVCC NAL units: AUD, SEI, SEI, IDR.
  std::vector<std::vector<uint8_t>> nals;
  for (size_t pos = 0; pos + 4 <= out.size();) {
    const size_t n = (size_t{out[pos]} << 24) | (size_t{out[pos + 1]} << 16) |
                     (size_t{out[pos + 2]} << 8) | out[pos + 3];
    BOOST_REQUIRE(pos + 4 + n <= out.size());
    nals.emplace_back(out.begin() + pos + 4, out.begin() + pos + 4 + n);
    pos += 4 + n;
  }
  BOOST_REQUIRE(nals.size() == 4u);
  BOOST_TEST((nals[0][0] & 0x1F) == 9);
  BOOST_TEST((nals[3][0] & 0x1F) == 5);
  std::array<uint8_t, 16> uuid{};
  std::vector<uint8_t> payload;
  BOOST_REQUIRE(parseSeiUserDataUnregistered(nals[1], uuid, payload, error));
  BOOST_TEST((uuid == kRoomcastSeiUuid));
  BOOST_TEST(std::string(payload.begin(), payload.end()) == R"({"event":"message"})");
  BOOST_REQUIRE(parseSeiUserDataUnregistered(nals[2], uuid, payload, error));
  BOOST_TEST(std::string(payload.begin(), payload.end()) == R"({"seq":2})");
  // Only the next frame: the one after it is untouched.
  lease->push(packet(MediaKind::Video, 80));
  BOOST_TEST(sink.packets.back().payload.size() == 3u);
  sink.sub.reset();
}

// --- batched delivery (StreamOptions::batchMs) ---------------------------------------

namespace {

// Takes batches, as the RTMP and FLV viewers do. `packets` gets the join burst and
// every batch in arrival order; `log` the order of batches and notices.
struct BatchSink : LeadingSink {
  std::vector<std::vector<MediaPacket>> batches;
  std::vector<std::string> log;
  std::function<void()> onFirstBatch;
  bool takesBatches() const override { return true; }
  void onBatch(const PacketBatch& batch, size_t from) override {
    batches.emplace_back(batch.packets().begin() + static_cast<std::ptrdiff_t>(from),
                         batch.packets().end());
    packets.insert(packets.end(), batches.back().begin(), batches.back().end());
    log.push_back("batch " + std::to_string(batches.back().size()));
    if (onFirstBatch) std::exchange(onFirstBatch, nullptr)();
  }
  void onPublisherGone(std::string_view) override { log.push_back("gone"); }
  void onStreamStart(const Stream&) override { log.push_back("start"); }
};

StreamOptions batched(int64_t batchMs = 20) {
  StreamOptions o = options(5000);
  o.batchMs = batchMs;
  return o;
}

std::vector<int64_t> dtsOf(const std::vector<MediaPacket>& packets) {
  std::vector<int64_t> out;
  for (const auto& p : packets) out.push_back(p.dts);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(batched_sinks_get_each_window_at_once_and_the_others_each_packet) {
  EventLoop loop;
  StreamRegistry registry(loop, batched());
  std::string error;
  auto lease = registry.publish("live", "b", "peer", nullptr, error);
  lease->push(packet(MediaKind::Video, 0, true));
  RecordingSink plain;
  BatchSink viewer;
  plain.sub = registry.subscribe("live", "b", plain, "hls");
  viewer.sub = registry.subscribe("live", "b", viewer, "rtmp");
  BOOST_TEST(viewer.packets.size() == 1u);  // the join burst comes at once
  lease->push(packet(MediaKind::Video, 33));
  lease->push(packet(MediaKind::Audio, 40));
  lease->push(packet(MediaKind::Video, 66));
  BOOST_TEST(plain.packets.size() == 4u);
  BOOST_TEST(viewer.batches.empty());
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !viewer.batches.empty(); }));
  BOOST_REQUIRE(viewer.batches.size() == 1u);
  BOOST_TEST((dtsOf(viewer.batches[0]) == std::vector<int64_t>{33, 40, 66}));
  BOOST_TEST((dtsOf(viewer.packets) == dtsOf(plain.packets)));
  // The next window starts with the next packet.
  lease->push(packet(MediaKind::Video, 100));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return viewer.batches.size() == 2; }));
  BOOST_TEST((dtsOf(viewer.batches[1]) == std::vector<int64_t>{100}));
  BOOST_TEST(registry.find("live/b")->viewersByProtocol().at("rtmp") == 1);
}

BOOST_AUTO_TEST_CASE(a_sink_that_joins_mid_window_gets_no_packet_twice) {
  EventLoop loop;
  StreamRegistry registry(loop, batched());
  std::string error;
  auto lease = registry.publish("live", "j", "peer", nullptr, error);
  BatchSink early, late;
  early.sub = registry.subscribe("live", "j", early, "rtmp");
  lease->push(packet(MediaKind::Video, 0, true, true));  // AVC config
  lease->push(packet(MediaKind::Video, 0, true));
  lease->push(packet(MediaKind::Video, 33));
  late.sub = registry.subscribe("live", "j", late, "rtmp");  // its burst has them
  BOOST_TEST(late.packets.size() == 3u);
  lease->push(packet(MediaKind::Video, 66));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return !early.batches.empty() && !late.batches.empty(); }));
  BOOST_TEST((dtsOf(early.batches[0]) == std::vector<int64_t>{0, 0, 33, 66}));
  BOOST_TEST((dtsOf(late.batches[0]) == std::vector<int64_t>{66}));
  BOOST_TEST((dtsOf(late.packets) == std::vector<int64_t>{0, 0, 33, 66}));
}

BOOST_AUTO_TEST_CASE(the_gathered_window_goes_out_before_publisher_news) {
  EventLoop loop;
  StreamOptions o = batched(1000);  // a window that would not end during the test
  o.publisherTakeover = true;
  StreamRegistry registry(loop, o);
  std::string error;
  auto lease = registry.publish("live", "n", "peer1", nullptr, error);
  lease->push(packet(MediaKind::Video, 0, true));
  BatchSink viewer;
  viewer.sub = registry.subscribe("live", "n", viewer, "rtmp");
  viewer.log.clear();
  lease->push(packet(MediaKind::Video, 33));
  lease->push(packet(MediaKind::Video, 66));
  auto second = registry.publish("live", "n", "peer2", nullptr, error);  // takes over
  BOOST_REQUIRE(second);
  second->push(packet(MediaKind::Video, 0, true));
  second->release("bye");
  BOOST_TEST(
      (viewer.log == std::vector<std::string>{"batch 2", "gone", "start", "batch 1", "gone"}));
}

BOOST_AUTO_TEST_CASE(room_events_ride_in_the_batch_inside_their_packet_or_alone) {
  EventLoop loop;
  StreamRegistry registry(loop, batched());
  std::string error;
  auto lease = registry.publish("live", "e", "peer", nullptr, error);
  lease->push(packet(MediaKind::Video, 0, true));
  BatchSink viewer;
  viewer.sub = registry.subscribe("live", "e", viewer, "rtmp");
  MediaPacket event = packet(MediaKind::Data, 10);
  event.codec = Codec::RoomEvent;
  BOOST_TEST(registry.injectData("live/e", event));
  lease->push(packet(MediaKind::Video, 33));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !viewer.batches.empty(); }));
  BOOST_REQUIRE(viewer.batches[0].size() == 1u);
  BOOST_REQUIRE(viewer.batches[0][0].leading);
  BOOST_TEST(viewer.batches[0][0].leading->packets.size() == 1u);
  // No media for kDataHoldMs: the event goes alone, in its own window.
  event.dts = event.pts = 50;
  BOOST_TEST(registry.injectData("live/e", event));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return viewer.batches.size() == 2; }));
  BOOST_TEST((viewer.batches[1].size() == 1u && viewer.batches[1][0].codec == Codec::RoomEvent));
}

BOOST_AUTO_TEST_CASE(a_large_hand_out_is_sliced_and_sinks_may_come_and_go_during_it) {
  EventLoop loop;
  StreamOptions o = batched();
  o.batchSliceMs = 1e-6;  // a slice ends at the first clock read: every 16 sinks
  StreamRegistry registry(loop, o);
  std::string error;
  auto lease = registry.publish("live", "s", "peer", nullptr, error);
  lease->push(packet(MediaKind::Video, 0, true));
  std::vector<std::unique_ptr<BatchSink>> sinks;
  for (int i = 0; i < 40; ++i) {
    sinks.push_back(std::make_unique<BatchSink>());
    sinks.back()->sub = registry.subscribe("live", "s", *sinks.back(), "rtmp");
  }
  auto served = [&] {
    int n = 0;
    for (const auto& s : sinks) n += s->batches.empty() ? 0 : 1;
    return n;
  };
  int servedAtNextTick = -1;
  core::Timer tick(loop, [&] { servedAtNextTick = served(); });
  BatchSink newcomer;
  sinks[0]->onFirstBatch = [&] {
    tick.start(0);           // fires at the loop's next turn
    sinks[30]->sub.reset();  // not reached yet: gets nothing, and nothing breaks
    newcomer.sub = registry.subscribe("live", "s", newcomer, "rtmp");
  };
  lease->push(packet(MediaKind::Video, 33));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return served() == 39; }));
  BOOST_TEST(servedAtNextTick > 0);
  BOOST_TEST(servedAtNextTick < 39);  // the loop turned between slices
  BOOST_TEST(sinks[30]->batches.empty());
  BOOST_TEST(newcomer.batches.empty());  // its join burst had the packet
  BOOST_TEST((dtsOf(newcomer.packets) == std::vector<int64_t>{0, 33}));
  lease->push(packet(MediaKind::Video, 66));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return newcomer.batches.size() == 1; }));
  BOOST_TEST((dtsOf(newcomer.packets) == std::vector<int64_t>{0, 33, 66}));
  for (auto& s : sinks) s->sub.reset();
  newcomer.sub.reset();
}

BOOST_AUTO_TEST_CASE(a_publishers_timestamps_past_2_32_are_kept_not_truncated) {
  // The hub's clock is 64-bit: a protocol that extended its timestamps (RTMP past
  // 49.7 days) hands them in as they are.
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "a", "peer", nullptr, error);
  RecordingSink sink;
  sink.sub = registry.subscribe("live", "a", sink, "test");
  const int64_t t = (int64_t{1} << 32) + 7000;
  lease->push(packet(MediaKind::Video, t, true));
  lease->push(packet(MediaKind::Video, t + 33));
  BOOST_REQUIRE(sink.packets.size() == 2u);
  BOOST_TEST(sink.packets[0].dts == t);
  BOOST_TEST(sink.packets[1].dts == t + 33);
  BOOST_TEST(sink.packets[1].pts == t + 33 + 66);
  BOOST_TEST(registry.find("live/a")->lastDts() == t + 33);
}

BOOST_AUTO_TEST_CASE(the_codecs_string_follows_the_config_packets) {
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  auto lease = registry.publish("live", "c", "peer", nullptr, error);
  const Stream& stream = *registry.find("live/c");
  BOOST_TEST(stream.info().codecs == "");
  // 1280x720 High 3.1 (libx264) SPS and PPS.
  const std::vector<uint8_t> sps = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05,
                                    0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
                                    0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60};
  const std::vector<uint8_t> pps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
  MediaPacket video = packet(MediaKind::Video, 0, true, true);
  video.payload = SharedBuffer::adopt(makeAvcDecoderConfig({sps}, {pps}));
  lease->push(video);
  BOOST_TEST(stream.info().codecs == "avc1.64001f");
  MediaPacket audio = packet(MediaKind::Audio, 0, false, true);
  audio.payload = SharedBuffer::adopt(makeAudioSpecificConfig(2, 48000, 2));
  lease->push(audio);
  BOOST_TEST(stream.info().codecs == "avc1.64001f,mp4a.40.2");

  // A codec the string cannot name makes it unknown rather than wrong.
  MediaPacket hevc = packet(MediaKind::Video, 0, true, true);
  hevc.codec = Codec::H265;
  lease->push(hevc);
  BOOST_TEST(stream.info().codecs == "");

  // The next publisher starts without one.
  lease.reset();
  auto next = registry.publish("live", "c", "peer2", nullptr, error);
  BOOST_REQUIRE(next);
  BOOST_TEST(registry.find("live/c")->info().codecs == "");

  // MP3 comes without a config packet: its first frame names it, and the string
  // (which names AAC only) becomes unknown instead of claiming a video-only stream.
  next->push(video);
  BOOST_TEST(registry.find("live/c")->info().codecs == "avc1.64001f");
  MediaPacket mp3 = packet(MediaKind::Audio, 10);
  mp3.codec = Codec::Mp3;
  next->push(mp3);
  BOOST_TEST(registry.find("live/c")->info().audioCodec == "mp3");
  BOOST_TEST(registry.find("live/c")->info().codecs == "");
}

BOOST_AUTO_TEST_CASE(a_derived_stream_keeps_its_producers_timestamps_across_a_republish) {
  // A rung's pts must stay the source's: a client's republish continues the clock
  // (Smooth), the mixer's does not (Passthrough).
  EventLoop loop;
  StreamRegistry registry(loop, options());
  std::string error;
  PublishSpec rung{.app = "live", .name = "a_360p", .peer = "mixer",
                   .origin = StreamOrigin::Mixer, .group = "live/a", .label = "360p"};
  RecordingSink sink;
  auto lease = registry.publish(rung, nullptr, error);
  BOOST_REQUIRE(lease);
  sink.sub = registry.subscribe("live", "a_360p", sink, "test");
  lease->push(packet(MediaKind::Video, 5000, true));
  lease->push(packet(MediaKind::Video, 5033));
  lease->release("drain");
  lease = registry.publish(rung, nullptr, error);
  BOOST_REQUIRE(lease);
  lease->push(packet(MediaKind::Video, 9000, true));
  lease->push(packet(MediaKind::Video, 9033));
  BOOST_TEST((dtsOf(sink.packets) == std::vector<int64_t>{5000, 5033, 9000, 9033}));

  // The same republish from a client continues its clock after the last packet.
  auto client = registry.publish("live", "b", "peer", nullptr, error);
  RecordingSink viewer;
  viewer.sub = registry.subscribe("live", "b", viewer, "test");
  client->push(packet(MediaKind::Video, 5000, true));
  client->release("gone");
  client = registry.publish("live", "b", "peer", nullptr, error);
  client->push(packet(MediaKind::Video, 9000, true));
  BOOST_REQUIRE(viewer.packets.size() == 2u);
  BOOST_TEST(viewer.packets[1].dts < 9000);
  sink.sub.reset();
  viewer.sub.reset();
}
