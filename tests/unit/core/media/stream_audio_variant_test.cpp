// The Stream's audio variant (Stream::addAudioVariant): per-codec config caching,
// each sink given the audio codecs it takes, the publisher's clock left alone.
#include <boost/test/unit_test.hpp>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/media/stream.hpp"
#include "core/media/stream_registry.hpp"

using namespace core;

namespace {

// What RTMP, FLV, HLS and the recorder are: the default audio codecs (AAC, MP3).
struct AacSink : MediaSink {
  std::vector<MediaPacket> packets;
  std::unique_ptr<Subscription> sub;
  void onPacket(const MediaPacket& p) override { packets.push_back(p); }
  void onStreamEnd(std::string_view) override { sub.reset(); }
  std::vector<MediaPacket> audio() const {
    std::vector<MediaPacket> out;
    for (const auto& p : packets)
      if (p.isAudio()) out.push_back(p);
    return out;
  }
  size_t count(MediaKind kind) const {
    size_t n = 0;
    for (const auto& p : packets) n += p.kind == kind;
    return n;
  }
};
// What WHEP is: Opus only.
struct OpusSink : AacSink {
  uint32_t audioCodecs() const override { return kOpusAudio; }
};

MediaPacket variantAudio(Codec codec, int64_t dts, bool config = false) {
  MediaPacket p;
  p.kind = MediaKind::Audio;
  p.codec = codec;
  p.dts = p.pts = dts;
  p.config = config;
  // AAC-LC 48 kHz stereo AudioSpecificConfig for a config packet.
  p.payload = SharedBuffer::adopt(config ? std::vector<uint8_t>{0x11, 0x90}
                                         : std::vector<uint8_t>{9, 9, 9});
  return p;
}

MediaPacket video(int64_t dts, bool key) {
  MediaPacket p;
  p.kind = MediaKind::Video;
  p.codec = Codec::H264;
  p.dts = p.pts = dts;
  p.keyframe = key;
  p.payload = SharedBuffer::adopt(std::vector<uint8_t>{0, 0, 0, 1, 0x65});
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_opus_stream_gives_each_sink_its_codec_and_new_sinks_the_aac_config) {
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  std::string error;
  auto lease = registry.publish("live", "w", "whip", nullptr, error);
  BOOST_REQUIRE(lease);
  Stream& stream = lease->stream();
  AacSink rtmp;
  OpusSink whep;
  rtmp.sub = registry.subscribe("live", "w", rtmp, "rtmp");
  whep.sub = registry.subscribe("live", "w", whep, "webrtc");

  lease->push(video(0, true));
  lease->push(variantAudio(Codec::Opus, 0));
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::AAC, 0, /*config=*/true)));
  lease->push(variantAudio(Codec::Opus, 20));
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::AAC, 0)));
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::AAC, 21)));

  // The AAC sink: the variant's config and frames, no Opus; the WHEP sink: Opus only.
  auto a = rtmp.audio();
  BOOST_REQUIRE(a.size() == 3u);
  BOOST_TEST(a[0].config);
  for (const auto& p : a) BOOST_TEST((p.codec == Codec::AAC));
  auto o = whep.audio();
  BOOST_REQUIRE(o.size() == 2u);
  for (const auto& p : o) BOOST_TEST((p.codec == Codec::Opus));
  BOOST_TEST(rtmp.count(MediaKind::Video) == 1u);
  BOOST_TEST(whep.count(MediaKind::Video) == 1u);

  BOOST_TEST(stream.info().audioCodec == "opus");
  BOOST_TEST(stream.info().audioVariant == "aac");
  BOOST_TEST(stream.info().codecs.find("mp4a.40.2") != std::string::npos);
  BOOST_TEST((stream.publisherAudioCodec() == Codec::Opus));

  // A sink joining now: the cached AAC config, then the GOP with its own codec only.
  AacSink late;
  late.sub = registry.subscribe("live", "w", late, "flv");
  auto l = late.audio();
  BOOST_REQUIRE(l.size() == 3u);
  BOOST_TEST(l[0].config);
  BOOST_TEST((l[0].codec == Codec::AAC));
  BOOST_TEST(l[2].dts == 21);
  OpusSink lateWhep;
  lateWhep.sub = registry.subscribe("live", "w", lateWhep, "webrtc");
  BOOST_TEST(lateWhep.audio().size() == 2u);
  for (const auto& p : lateWhep.audio()) BOOST_TEST((p.codec == Codec::Opus));
}

BOOST_AUTO_TEST_CASE(a_variant_is_refused_in_the_publishers_codec_backwards_or_unpublished) {
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  std::string error;
  auto lease = registry.publish("live", "r", "rtmp", nullptr, error);
  BOOST_REQUIRE(lease);
  Stream& stream = lease->stream();
  lease->push(variantAudio(Codec::AAC, 0, true));
  lease->push(variantAudio(Codec::AAC, 100));
  BOOST_TEST(!stream.addAudioVariant(variantAudio(Codec::AAC, 100)));  // the publisher's codec
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::Opus, 100)));
  BOOST_TEST(!stream.addAudioVariant(variantAudio(Codec::Mp3, 120)));  // a second variant codec
  BOOST_TEST(!stream.addAudioVariant(variantAudio(Codec::Opus, 80)));  // backwards
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::Opus, 120)));
  BOOST_TEST(stream.info().audioVariant == "opus");

  // The variant does not move the publisher's clock.
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::Opus, 5000)));
  BOOST_TEST(stream.lastDts() == 100);

  stream.endAudioVariant();
  BOOST_TEST(stream.info().audioVariant.empty());
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::Mp3, 130)));  // another may start

  // A new publisher: the old variant is gone with the old headers.
  lease.reset();
  BOOST_TEST(!stream.addAudioVariant(variantAudio(Codec::Mp3, 140)));  // no publisher
  auto again = registry.publish("live", "r", "rtmp", nullptr, error);
  BOOST_REQUIRE(again);
  BOOST_TEST(stream.info().audioVariant.empty());
  BOOST_TEST((stream.audioVariantCodec() == Codec::Unknown));
  OpusSink whep;
  whep.sub = registry.subscribe("live", "r", whep, "webrtc");
  BOOST_TEST(whep.audio().empty());
}

BOOST_AUTO_TEST_CASE(room_events_before_audio_a_sink_skips_still_reach_it) {
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  std::string error;
  auto lease = registry.publish("live", "e", "rtmp", nullptr, error);
  BOOST_REQUIRE(lease);
  OpusSink whep;
  whep.sub = registry.subscribe("live", "e", whep, "webrtc");
  lease->push(video(0, true));
  MediaPacket event;
  event.codec = Codec::RoomEvent;
  event.dts = event.pts = 10;
  event.payload = SharedBuffer::adopt(std::vector<uint8_t>{1});
  lease->stream().injectData(event);
  lease->push(variantAudio(Codec::AAC, 20));  // releases the event; WHEP skips the AAC
  BOOST_TEST(whep.count(MediaKind::Data) == 1u);
  BOOST_TEST(whep.audio().empty());
}

BOOST_AUTO_TEST_CASE(an_announced_audio_codec_is_the_publishers_before_its_first_packet) {
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  PublishSpec spec;
  spec.app = "live";
  spec.name = "a";
  spec.peer = "whip";
  spec.origin = StreamOrigin::WebRtc;
  spec.audio = Codec::Opus;
  std::string error;
  auto lease = registry.publish(spec, nullptr, error);
  BOOST_REQUIRE(lease);
  Stream& stream = lease->stream();
  BOOST_TEST((stream.publisherAudioCodec() == Codec::Opus));
  BOOST_TEST(!stream.addAudioVariant(variantAudio(Codec::Opus, 0)));
  BOOST_TEST(stream.addAudioVariant(variantAudio(Codec::AAC, 0, /*config=*/true)));
  AacSink rtmp;
  rtmp.sub = registry.subscribe("live", "a", rtmp, "rtmp");
  BOOST_REQUIRE(rtmp.audio().size() == 1u);  // the variant's config, before any frame
  BOOST_TEST(rtmp.audio()[0].config);
}
