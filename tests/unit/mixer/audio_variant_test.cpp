// The Mixer's audio variants on a real loop and real codecs, across the variant's
// thread and the Mailbox (runs under ThreadSanitizer too, scripts/test): Opus for
// WHEP from an AAC publisher while a token is held, AAC from a WHIP publisher's Opus.
#include "mixer/audio_variant.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "av/av_libraries.hpp"
#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "core/format/aac_config.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/mixer.hpp"
#include "tests/unit/run_loop.hpp"

using namespace core;

namespace {

struct AudioSink : MediaSink {
  uint32_t mask = kFlvAudioCodecs;
  std::vector<MediaPacket> audio;
  uint32_t audioCodecs() const override { return mask; }
  void onPacket(const MediaPacket& p) override {
    if (p.isAudio()) audio.push_back(p);
  }
  void onStreamEnd(std::string_view) override {}
  size_t frames(Codec codec) const {
    size_t n = 0;
    for (const auto& p : audio) n += p.codec == codec && !p.config;
    return n;
  }
};

struct Encoded {
  std::vector<uint8_t> config;
  std::vector<std::pair<int64_t, SharedBuffer>> frames;  // ms, bytes
};

// `seconds` of a 440 Hz stereo tone at 48 kHz from `encoder` ("aac", "libopus"),
// stamped from `startMs` by frame duration.
Encoded encodeTone(const av::FilterApi& api, const char* encoder, AVSampleFormat format,
                   double seconds, int64_t startMs) {
  const AVCodec* codec = api.avcodec_find_encoder_by_name(encoder);
  BOOST_REQUIRE(codec);
  av::CodecContextPtr ctx = av::makeCodecContext(api, codec);
  ctx->sample_fmt = format;
  ctx->sample_rate = 48000;
  api.av_channel_layout_default(&ctx->ch_layout, 2);
  ctx->bit_rate = 96000;
  ctx->time_base = {1, 48000};
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  BOOST_REQUIRE(api.avcodec_open2(ctx.get(), codec, nullptr) >= 0);
  Encoded out;
  if (format == AV_SAMPLE_FMT_FLTP)
    out.config.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  av::PacketPtr pkt = av::makePacket(api);
  av::FramePtr frame = av::makeFrame(api);
  auto take = [&] {
    while (api.avcodec_receive_packet(ctx.get(), pkt.get()) >= 0) {
      const int64_t ms =
          startMs + std::llround(double(out.frames.size()) * ctx->frame_size * 1000 / 48000);
      out.frames.emplace_back(
          ms, SharedBuffer::copyOf(std::span<const uint8_t>(pkt->data, size_t(pkt->size))));
      api.av_packet_unref(pkt.get());
    }
  };
  for (int at = 0; at < int(seconds * 48000); at += ctx->frame_size) {
    frame->nb_samples = ctx->frame_size;
    frame->format = format;
    frame->sample_rate = 48000;
    api.av_channel_layout_default(&frame->ch_layout, 2);
    BOOST_REQUIRE(api.av_frame_get_buffer(frame.get(), 0) >= 0);
    for (int i = 0; i < frame->nb_samples; ++i)
      for (int c = 0; c < 2; ++c) {
        const float v = float(0.4 * std::sin(2 * std::numbers::pi * 440 * (at + i) / 48000));
        if (format == AV_SAMPLE_FMT_FLTP)
          reinterpret_cast<float*>(frame->data[c])[i] = v;
        else
          reinterpret_cast<float*>(frame->data[0])[2 * i + c] = v;
      }
    frame->pts = at;
    BOOST_REQUIRE(api.avcodec_send_frame(ctx.get(), frame.get()) >= 0);
    api.av_frame_unref(frame.get());
    take();
  }
  return out;
}

MediaPacket audioPacket(Codec codec, int64_t ms, SharedBuffer bytes, bool config = false) {
  MediaPacket p;
  p.kind = MediaKind::Audio;
  p.codec = codec;
  p.dts = p.pts = ms;
  p.config = config;
  p.payload = std::move(bytes);
  return p;
}

const av::FilterApi& filterApi(av::Libraries& libs) {
  std::string error;
  const av::FilterApi* api = libs.filter(error);
  BOOST_REQUIRE_MESSAGE(api, error);
  return *api;
}

}  // namespace

BOOST_AUTO_TEST_CASE(whep_demand_makes_opus_from_aac_once_for_every_viewer) {
  av::Libraries libs;
  const Encoded aac = encodeTone(filterApi(libs), "aac", AV_SAMPLE_FMT_FLTP, 2.0, 1000);
  EventLoop loop;
  StreamOptions options;
  options.reconnectGraceMs = 100;
  StreamRegistry registry(loop, options);
  MixerConfig cfg;
  cfg.variantLingerMs = 300;
  mixer::Mixer mixer(loop, registry, libs, cfg);
  std::string error;
  auto lease = registry.publish("live", "src", "test", nullptr, error);
  BOOST_REQUIRE(lease);
  lease->push(audioPacket(Codec::AAC, 1000, SharedBuffer::copyOf(aac.config), true));
  AudioSink whep, rtmp;
  whep.mask = kOpusAudio;
  auto subWhep = registry.subscribe("live", "src", whep, "webrtc");
  auto subRtmp = registry.subscribe("live", "src", rtmp, "rtmp");
  auto first = mixer.wantOpus("live/src");
  auto second = mixer.wantOpus("live/src");  // a second viewer: the same variant
  BOOST_REQUIRE(first && second);
  BOOST_REQUIRE(mixer.variant("live/src"));
  for (const auto& [ms, bytes] : aac.frames) lease->push(audioPacket(Codec::AAC, ms, bytes));
  // 2 s of AAC: about 100 Opus frames of 20 ms (the encoders' delays cost a few).
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return whep.frames(Codec::Opus) >= 90; }, 20000));
  BOOST_TEST(whep.frames(Codec::AAC) == 0u);
  BOOST_TEST(rtmp.frames(Codec::Opus) == 0u);
  BOOST_TEST(rtmp.frames(Codec::AAC) == aac.frames.size());
  for (size_t k = 1; k < whep.audio.size(); ++k)
    BOOST_TEST(whep.audio[k].dts - whep.audio[k - 1].dts == 20);
  BOOST_TEST(std::abs(whep.audio.front().dts - 1000) <= 1);
  const Stream* stream = registry.find("live/src");
  BOOST_TEST(stream->info().audioVariant == "opus");
  first.reset();
  BOOST_TEST(mixer.variant("live/src"));  // one viewer still plays
  second.reset();  // the variant lingers (mixer.variantLingerMs) for the next viewer
  BOOST_TEST(mixer.variant("live/src"));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return !mixer.variant("live/src"); }, 5000));
  BOOST_TEST(stream->info().audioVariant.empty());
  // A new viewer: the variant starts again with the source's next frames.
  const size_t before = whep.frames(Codec::Opus);
  auto third = mixer.wantOpus("live/src");
  for (const auto& [ms, bytes] : aac.frames) lease->push(audioPacket(Codec::AAC, ms + 3000, bytes));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return whep.frames(Codec::Opus) >= before + 90; }, 20000));
  BOOST_TEST(stream->info().audioVariant == "opus");
  third.reset();
  // The source ends: the variant stops and is removed.
  lease.reset();
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return registry.find("live/src") == nullptr || !mixer.variant("live/src"); },
      20000));
  subWhep.reset();
  subRtmp.reset();
}

BOOST_AUTO_TEST_CASE(a_whip_publishers_opus_gets_its_aac_config_at_once_then_frames) {
  av::Libraries libs;
  const Encoded opus = encodeTone(filterApi(libs), "libopus", AV_SAMPLE_FMT_FLT, 2.0, 500);
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  MixerConfig cfg;
  mixer::Mixer mixer(loop, registry, libs, cfg);
  registry.addObserver(&mixer);
  PublishSpec spec;
  spec.app = "live";
  spec.name = "whip";
  spec.peer = "test";
  spec.origin = StreamOrigin::WebRtc;
  spec.audio = Codec::Opus;
  std::string error;
  auto lease = registry.publish(spec, nullptr, error);
  BOOST_REQUIRE(lease);
  AudioSink rtmp;
  auto sub = registry.subscribe("live", "whip", rtmp, "rtmp");
  // The AAC config comes before any Opus frame was sent.
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return !rtmp.audio.empty(); }, 20000));
  BOOST_TEST(rtmp.audio.front().config);
  BOOST_TEST((rtmp.audio.front().codec == Codec::AAC));
  auto asc = parseAudioSpecificConfig(rtmp.audio.front().payload.span(), &error);
  BOOST_REQUIRE_MESSAGE(asc, error);
  BOOST_TEST(asc->sampleRate == 48000);
  BOOST_TEST(asc->channels == 2);
  for (const auto& [ms, bytes] : opus.frames) lease->push(audioPacket(Codec::Opus, ms, bytes));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return rtmp.frames(Codec::AAC) >= 85; }, 20000));
  BOOST_TEST(rtmp.frames(Codec::Opus) == 0u);
  int64_t last = INT64_MIN;
  for (const auto& p : rtmp.audio) {
    if (p.config) continue;
    BOOST_TEST(p.dts > last);
    last = p.dts;
  }
  BOOST_TEST(registry.find("live/whip")->info().audioVariant == "aac");
  sub.reset();
}
