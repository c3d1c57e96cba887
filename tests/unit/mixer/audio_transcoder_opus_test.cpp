// AudioTranscoder with Opus: a WHIP publisher's Opus to AAC (RTMP/HLS/recording) and
// an RTMP publisher's AAC to Opus (WHEP): frame sizes, configs, tone, and pts that
// step by the frame's samples without drift over 10 s.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "core/format/aac_config.hpp"
#include "mixer/audio_transcoder.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using mixer::AudioTranscoder;
using mixer::CodecResult;
using mixer::EncodedAudio;

namespace {

constexpr int kRate = 48000;
constexpr double kLeftHz = 440;
constexpr double kRightHz = 660;
constexpr int64_t kStartMs = 5000;
constexpr double kSeconds = 10.0;

const av::FilterApi& api() {
  static const av::FilterApi& table = [] -> const av::FilterApi& {
    const av::FilterApi& t = mixer_testing::filterApi();
    t.av_log_set_level(AV_LOG_ERROR);
    return t;
  }();
  return table;
}

struct Frames {
  std::vector<uint8_t> config;  // AAC: the AudioSpecificConfig
  std::vector<EncodedAudio> frames;
  int frameSize = 0;
};

// kSeconds of a stereo sine (440 Hz left, 660 Hz right) from `encoder` ("libopus",
// "aac") at 48 kHz; frame n stamped kStartMs + n * frame duration (as the hub would).
Frames makeSource(const char* encoder, AVSampleFormat format) {
  const AVCodec* codec = api().avcodec_find_encoder_by_name(encoder);
  BOOST_REQUIRE_MESSAGE(codec, "no encoder " << encoder);
  av::CodecContextPtr ctx = av::makeCodecContext(api(), codec);
  ctx->sample_fmt = format;
  ctx->sample_rate = kRate;
  api().av_channel_layout_default(&ctx->ch_layout, 2);
  ctx->bit_rate = 128000;
  ctx->time_base = {1, kRate};
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  BOOST_REQUIRE(api().avcodec_open2(ctx.get(), codec, nullptr) >= 0);
  Frames out;
  out.frameSize = ctx->frame_size;
  if (format == AV_SAMPLE_FMT_FLTP && ctx->extradata)
    out.config.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  av::PacketPtr pkt = av::makePacket(api());
  av::FramePtr frame = av::makeFrame(api());
  auto drainOut = [&] {
    while (api().avcodec_receive_packet(ctx.get(), pkt.get()) >= 0) {
      const int64_t ms =
          kStartMs + std::llround(double(out.frames.size()) * ctx->frame_size * 1000.0 / kRate);
      out.frames.push_back(
          {core::SharedBuffer::copyOf(std::span<const uint8_t>(pkt->data, size_t(pkt->size))), ms});
      api().av_packet_unref(pkt.get());
    }
  };
  const int total = static_cast<int>(kSeconds * kRate);
  for (int at = 0; at < total; at += ctx->frame_size) {
    frame->nb_samples = ctx->frame_size;
    frame->format = format;
    frame->sample_rate = kRate;
    api().av_channel_layout_default(&frame->ch_layout, 2);
    BOOST_REQUIRE(api().av_frame_get_buffer(frame.get(), 0) >= 0);
    for (int i = 0; i < frame->nb_samples; ++i)
      for (int c = 0; c < 2; ++c) {
        const double hz = c == 0 ? kLeftHz : kRightHz;
        const float v = float(0.5 * std::sin(2 * std::numbers::pi * hz * (at + i) / kRate));
        if (format == AV_SAMPLE_FMT_FLTP)
          reinterpret_cast<float*>(frame->data[c])[i] = v;
        else
          reinterpret_cast<float*>(frame->data[0])[2 * i + c] = v;
      }
    frame->pts = at;
    BOOST_REQUIRE(api().avcodec_send_frame(ctx.get(), frame.get()) >= 0);
    api().av_frame_unref(frame.get());
    drainOut();
  }
  BOOST_REQUIRE(api().avcodec_send_frame(ctx.get(), nullptr) >= 0);
  drainOut();
  BOOST_REQUIRE(!out.frames.empty());
  return out;
}

std::vector<EncodedAudio> transcodeAll(AudioTranscoder& t, const Frames& source) {
  std::vector<EncodedAudio> out;
  std::string error;
  auto drain = [&] {
    for (;;) {
      EncodedAudio a;
      CodecResult r = t.receive(a, error);
      BOOST_REQUIRE_MESSAGE(r != CodecResult::Failed, error);
      if (r != CodecResult::Frame) return;
      out.push_back(std::move(a));
    }
  };
  for (const auto& f : source.frames) {
    BOOST_REQUIRE_MESSAGE(t.send(f.payload, f.pts, error), error);
    drain();
  }
  BOOST_REQUIRE_MESSAGE(t.flush(error), error);
  drain();
  return out;
}

// Decoded output (`id` AAC with `config`, or Opus as RTP carries it): the per-channel
// samples, interleaved or planar alike.
std::vector<std::vector<float>> decode(AVCodecID id, const std::vector<uint8_t>& config,
                                       const std::vector<EncodedAudio>& frames) {
  const AVCodec* codec = api().avcodec_find_decoder(id);
  av::CodecContextPtr ctx = av::makeCodecContext(api(), codec);
  if (!config.empty()) {
    ctx->extradata =
        static_cast<uint8_t*>(api().av_mallocz(config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    std::memcpy(ctx->extradata, config.data(), config.size());
    ctx->extradata_size = int(config.size());
  } else {
    ctx->sample_rate = kRate;
    api().av_channel_layout_default(&ctx->ch_layout, 2);
  }
  BOOST_REQUIRE(api().avcodec_open2(ctx.get(), codec, nullptr) >= 0);
  av::PacketPtr pkt = av::makePacket(api());
  av::FramePtr frame = av::makeFrame(api());
  std::vector<std::vector<float>> channels(2);
  for (const auto& f : frames) {
    BOOST_REQUIRE(api().av_new_packet(pkt.get(), int(f.payload.size())) >= 0);
    std::memcpy(pkt->data, f.payload.data(), f.payload.size());
    BOOST_REQUIRE(api().avcodec_send_packet(ctx.get(), pkt.get()) >= 0);
    api().av_packet_unref(pkt.get());
    while (api().avcodec_receive_frame(ctx.get(), frame.get()) >= 0) {
      BOOST_REQUIRE(frame->ch_layout.nb_channels == 2);
      const bool planar = frame->format == AV_SAMPLE_FMT_FLTP;
      BOOST_REQUIRE((planar || frame->format == AV_SAMPLE_FMT_FLT));
      for (int i = 0; i < frame->nb_samples; ++i)
        for (int c = 0; c < 2; ++c)
          channels[c].push_back(planar ? reinterpret_cast<const float*>(frame->data[c])[i]
                                       : reinterpret_cast<const float*>(frame->data[0])[2 * i + c]);
    }
  }
  return channels;
}

void checkTone(const std::vector<std::vector<float>>& channels) {
  for (int c = 0; c < 2; ++c) {
    const auto& s = channels[c];
    const size_t a = kRate / 2, b = std::min(s.size(), size_t(9 * kRate));
    BOOST_REQUIRE(b > a + kRate);
    int crossings = 0;
    for (size_t i = a + 1; i < b; ++i)
      if (s[i - 1] < 0 && s[i] >= 0) ++crossings;
    const double hz = crossings / (double(b - a) / kRate);
    const double want = c == 0 ? kLeftHz : kRightHz;
    BOOST_TEST(std::abs(hz - want) <= want * 0.02, "channel " << c << ": " << hz << " Hz");
  }
}

// Output pts: the first at the source's (within a frame's rounding), then exactly
// `samples` per frame at 48 kHz from it (no drift over 10 s), strictly increasing,
// and the frames cover the source's span to within one frame.
void checkTiming(const std::vector<EncodedAudio>& out, int samples, const Frames& source) {
  BOOST_REQUIRE(out.size() > 100u);
  BOOST_TEST(std::abs(out.front().pts - kStartMs) <= 1, "first pts " << out.front().pts);
  size_t off = 0;
  for (size_t k = 1; k < out.size(); ++k) {
    const int64_t want = std::llround(double(k) * samples * 1000 / kRate);
    if (out[k].pts - out[0].pts != want) ++off;
    BOOST_TEST(out[k].pts > out[k - 1].pts);
  }
  BOOST_TEST(off == 0u, off << " frames off the sample clock");
  const double outMs = double(out.size()) * samples * 1000 / kRate;
  const double srcMs = double(source.frames.size()) * source.frameSize * 1000 / kRate;
  BOOST_TEST(std::abs(outMs - srcMs) <= double(samples) * 1000 / kRate + 25,
             outMs << " ms out of " << srcMs << " ms");
}

}  // namespace

BOOST_AUTO_TEST_CASE(opus_from_webrtc_becomes_aac_lc_48k_stereo) {
  const Frames opus = makeSource("libopus", AV_SAMPLE_FMT_FLT);
  BOOST_TEST(opus.frameSize == 960);
  std::string error;
  auto t = AudioTranscoder::open(api(), core::Codec::Opus, {}, 128, error);
  BOOST_REQUIRE_MESSAGE(t, error);
  BOOST_TEST((t->outputCodec() == core::Codec::AAC));
  BOOST_TEST(t->frameSamples() == 1024);
  auto asc = core::parseAudioSpecificConfig(t->audioSpecificConfig(), &error);
  BOOST_REQUIRE_MESSAGE(asc, error);
  BOOST_TEST(asc->objectType == 2);
  BOOST_TEST(asc->sampleRate == 48000);
  BOOST_TEST(asc->channels == 2);
  auto out = transcodeAll(*t, opus);
  checkTiming(out, 1024, opus);
  checkTone(decode(AV_CODEC_ID_AAC, t->audioSpecificConfig(), out));
  BOOST_TEST(t->resyncs() == 0);
}

BOOST_AUTO_TEST_CASE(aac_from_rtmp_becomes_opus_in_20_ms_frames) {
  const Frames aac = makeSource("aac", AV_SAMPLE_FMT_FLTP);
  std::string error;
  auto t =
      AudioTranscoder::open(api(), core::Codec::AAC, aac.config, 64, error, 0, core::Codec::Opus);
  BOOST_REQUIRE_MESSAGE(t, error);
  BOOST_TEST((t->outputCodec() == core::Codec::Opus));
  BOOST_TEST(t->frameSamples() == 960);
  BOOST_TEST(t->sampleRate() == 48000);
  BOOST_TEST(t->channels() == 2);
  BOOST_TEST(t->audioSpecificConfig().empty());  // RTP's Opus has no config
  auto out = transcodeAll(*t, aac);
  checkTiming(out, 960, aac);
  // Every step exactly 20 ms: 48 kHz RTP timestamps 960 apart.
  for (size_t k = 1; k < out.size(); ++k) BOOST_TEST(out[k].pts - out[k - 1].pts == 20);
  checkTone(decode(AV_CODEC_ID_OPUS, {}, out));
  // The bitrate is the encoder's: libopus's VBR spends more than asked on two pure
  // tones, so 24 kbps is compared with 64 kbps rather than with a figure.
  auto bytesOf = [](const std::vector<EncodedAudio>& frames) {
    size_t bytes = 0;
    for (const auto& a : frames) bytes += a.payload.size();
    return double(bytes);
  };
  auto low =
      AudioTranscoder::open(api(), core::Codec::AAC, aac.config, 24, error, 0, core::Codec::Opus);
  BOOST_REQUIRE_MESSAGE(low, error);
  const double ratio = bytesOf(out) / bytesOf(transcodeAll(*low, aac));
  BOOST_TEST(ratio > 1.6, "64 kbps / 24 kbps = " << ratio);
}
