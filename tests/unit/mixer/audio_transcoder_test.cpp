#include "mixer/audio_transcoder.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "av/av_libraries.hpp"
#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "core/format/aac_config.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using mixer::AudioTranscoder;
using mixer::CodecResult;
using mixer::EncodedAudio;

namespace {

constexpr int kSourceRate = 44100;
constexpr double kLeftHz = 440;
constexpr double kRightHz = 660;
constexpr int64_t kStartMs = 1000;  // the source's first pts: not 0, to see the anchor

const av::FilterApi& api() {
  static const av::FilterApi& table = [] -> const av::FilterApi& {
    const av::FilterApi& t = mixer_testing::filterApi();
    t.av_log_set_level(AV_LOG_ERROR);
    return t;
  }();
  return table;
}

struct SourceFrame {
  core::SharedBuffer bytes;
  int64_t ptsMs = 0;
};

struct Source {
  std::vector<uint8_t> config;  // AAC: the encoder's AudioSpecificConfig; MP3: empty
  std::vector<SourceFrame> frames;
  int64_t endMs = 0;  // where the last frame's samples end
};

void drainSource(AVCodecContext* ctx, AVPacket* pkt, int64_t& firstPts, Source& out) {
  while (api().avcodec_receive_packet(ctx, pkt) >= 0) {
    if (firstPts == AV_NOPTS_VALUE) firstPts = pkt->pts;
    int64_t ms = kStartMs + std::llround((pkt->pts - firstPts) * 1000.0 / ctx->sample_rate);
    out.frames.push_back(
        {core::SharedBuffer::copyOf(std::span<const uint8_t>(pkt->data, size_t(pkt->size))), ms});
    out.endMs = ms + std::llround(pkt->duration * 1000.0 / ctx->sample_rate);
    api().av_packet_unref(pkt);
  }
}

// `seconds` of a sine (440 Hz left, 660 Hz right; mono: 440 Hz) encoded by `encoder`
// ("aac", "libmp3lame") at `rate` Hz, 128 kbps, pts in ms from kStartMs.
Source makeSource(const char* encoder, int channels, double seconds, int rate = kSourceRate) {
  const AVCodec* codec = api().avcodec_find_encoder_by_name(encoder);
  BOOST_REQUIRE(codec);
  av::CodecContextPtr ctx = av::makeCodecContext(api(), codec);
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  ctx->sample_rate = rate;
  api().av_channel_layout_default(&ctx->ch_layout, channels);
  ctx->bit_rate = 128000;
  ctx->time_base = {1, rate};
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  BOOST_REQUIRE(api().avcodec_open2(ctx.get(), codec, nullptr) >= 0);
  Source out;
  if (ctx->extradata) out.config.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  av::PacketPtr pkt = av::makePacket(api());
  av::FramePtr frame = av::makeFrame(api());
  const int total = static_cast<int>(seconds * rate);
  int64_t firstPts = AV_NOPTS_VALUE;
  for (int at = 0; at < total; at += ctx->frame_size) {
    frame->nb_samples = ctx->frame_size;  // whole frames: the last one runs a little over
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->sample_rate = rate;
    api().av_channel_layout_default(&frame->ch_layout, channels);
    BOOST_REQUIRE(api().av_frame_get_buffer(frame.get(), 0) >= 0);
    for (int c = 0; c < channels; ++c) {
      double hz = c == 0 ? kLeftHz : kRightHz;
      auto* s = reinterpret_cast<float*>(frame->data[c]);
      for (int i = 0; i < frame->nb_samples; ++i)
        s[i] = float(0.5 * std::sin(2 * std::numbers::pi * hz * (at + i) / rate));
    }
    frame->pts = at;
    BOOST_REQUIRE(api().avcodec_send_frame(ctx.get(), frame.get()) >= 0);
    api().av_frame_unref(frame.get());
    drainSource(ctx.get(), pkt.get(), firstPts, out);
  }
  BOOST_REQUIRE(api().avcodec_send_frame(ctx.get(), nullptr) >= 0);
  drainSource(ctx.get(), pkt.get(), firstPts, out);
  BOOST_REQUIRE(!out.frames.empty());
  return out;
}

const Source& aacSource() {
  static const Source kSource = makeSource("aac", 2, 1.0);
  return kSource;
}

bool haveMp3Encoder() {
  return api().avcodec_find_encoder_by_name("libmp3lame") != nullptr;
}

void drain(AudioTranscoder& t, std::vector<EncodedAudio>& out) {
  std::string error;
  for (;;) {
    EncodedAudio a;
    CodecResult r = t.receive(a, error);
    if (r != CodecResult::Frame) {
      BOOST_REQUIRE_MESSAGE(r != CodecResult::Failed, error);
      return;
    }
    out.push_back(std::move(a));
  }
}

std::vector<EncodedAudio> transcodeAll(AudioTranscoder& t, const Source& source) {
  std::vector<EncodedAudio> out;
  std::string error;
  for (const auto& f : source.frames) {
    BOOST_REQUIRE_MESSAGE(t.send(f.bytes, f.ptsMs, error), error);
    drain(t, out);
  }
  BOOST_REQUIRE_MESSAGE(t.flush(error), error);
  drain(t, out);
  EncodedAudio a;
  BOOST_TEST((t.receive(a, error) == CodecResult::End));
  return out;
}

// The output decoded back: one vector of samples per channel.
std::vector<std::vector<float>> decodeOutput(const std::vector<uint8_t>& asc,
                                             const std::vector<EncodedAudio>& frames) {
  const AVCodec* codec = api().avcodec_find_decoder(AV_CODEC_ID_AAC);
  av::CodecContextPtr ctx = av::makeCodecContext(api(), codec);
  ctx->extradata =
      static_cast<uint8_t*>(api().av_mallocz(asc.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  std::memcpy(ctx->extradata, asc.data(), asc.size());
  ctx->extradata_size = int(asc.size());
  BOOST_REQUIRE(api().avcodec_open2(ctx.get(), codec, nullptr) >= 0);
  av::PacketPtr pkt = av::makePacket(api());
  av::FramePtr frame = av::makeFrame(api());
  std::vector<std::vector<float>> channels;
  for (const auto& f : frames) {
    BOOST_REQUIRE(api().av_new_packet(pkt.get(), int(f.payload.size())) >= 0);
    std::memcpy(pkt->data, f.payload.data(), f.payload.size());
    BOOST_REQUIRE(api().avcodec_send_packet(ctx.get(), pkt.get()) >= 0);
    api().av_packet_unref(pkt.get());
    while (api().avcodec_receive_frame(ctx.get(), frame.get()) >= 0) {
      BOOST_REQUIRE(frame->format == AV_SAMPLE_FMT_FLTP);
      channels.resize(frame->ch_layout.nb_channels);
      for (size_t c = 0; c < channels.size(); ++c) {
        auto* s = reinterpret_cast<const float*>(frame->data[c]);
        channels[c].insert(channels[c].end(), s, s + frame->nb_samples);
      }
    }
  }
  return channels;
}

// Upward zero crossings per second between `from` and `to` seconds.
double frequencyOf(const std::vector<float>& s, int rate, double from, double to) {
  size_t a = size_t(from * rate), b = std::min(s.size(), size_t(to * rate));
  BOOST_REQUIRE(b > a + 1);
  int crossings = 0;
  for (size_t i = a + 1; i < b; ++i)
    if (s[i - 1] < 0 && s[i] >= 0) ++crossings;
  return crossings / (double(b - a) / rate);
}

// Output timing: the first pts is the source's, each step 1024 samples rounded to
// ms without drift, and the frames cover the source's span to within one frame.
void checkTiming(const std::vector<EncodedAudio>& out, const Source& source, int rate) {
  BOOST_REQUIRE(!out.empty());
  BOOST_TEST(out.front().pts == source.frames.front().ptsMs);
  for (size_t k = 1; k < out.size(); ++k) {
    int64_t want = std::llround(double(k) * 1024 * 1000 / rate);
    BOOST_TEST(out[k].pts - out[0].pts == want, "frame " << k);
  }
  double outputMs = double(out.size()) * 1024 * 1000 / rate;
  double sourceMs = double(source.endMs - source.frames.front().ptsMs);
  BOOST_TEST_MESSAGE(out.size() << " frames at " << rate << " Hz: " << outputMs
                                << " ms for a source of " << sourceMs << " ms, first pts "
                                << out.front().pts << ", last " << out.back().pts);
  BOOST_TEST(std::abs(outputMs - sourceMs) <= 1024.0 * 1000 / rate + 1,
             "output " << outputMs << " ms for a source of " << sourceMs << " ms");
}

void checkSine(const std::vector<uint8_t>& asc, const std::vector<EncodedAudio>& out, int rate,
               int channels) {
  auto decoded = decodeOutput(asc, out);
  BOOST_REQUIRE_EQUAL(decoded.size(), size_t(channels));
  for (int c = 0; c < channels; ++c) {
    double hz = frequencyOf(decoded[c], rate, 0.1, 0.9);
    double want = c == 0 ? kLeftHz : kRightHz;
    BOOST_TEST(std::abs(hz - want) <= want * 0.02, "channel " << c << ": " << hz << " Hz");
  }
}

core::AacInfo ascOf(const AudioTranscoder& t) {
  std::string error;
  auto info = core::parseAudioSpecificConfig(t.audioSpecificConfig(), &error);
  BOOST_REQUIRE_MESSAGE(info, error);
  return *info;
}

std::unique_ptr<AudioTranscoder> openAac(int sampleRate = 0) {
  std::string error;
  auto t =
      AudioTranscoder::open(api(), core::Codec::AAC, aacSource().config, 96, error, sampleRate);
  BOOST_REQUIRE_MESSAGE(t, error);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(aac_at_the_source_rate_keeps_timing_and_tone) {
  auto t = openAac();
  core::AacInfo info = ascOf(*t);
  BOOST_TEST(info.objectType == 2);  // AAC-LC
  BOOST_TEST(info.sampleRate == kSourceRate);
  BOOST_TEST(info.channels == 2);
  BOOST_TEST(t->sampleRate() == kSourceRate);
  auto out = transcodeAll(*t, aacSource());
  checkTiming(out, aacSource(), kSourceRate);
  checkSine(t->audioSpecificConfig(), out, kSourceRate, 2);
  BOOST_TEST(t->resyncs() == 0);
}

BOOST_AUTO_TEST_CASE(aac_resampled_to_48k_at_96_kbps) {
  auto t = openAac(48000);
  core::AacInfo info = ascOf(*t);
  BOOST_TEST(info.objectType == 2);
  BOOST_TEST(info.sampleRate == 48000);
  BOOST_TEST(info.channels == 2);
  auto out = transcodeAll(*t, aacSource());
  checkTiming(out, aacSource(), 48000);
  checkSine(t->audioSpecificConfig(), out, 48000, 2);
  // 96 kbps: the payload bytes of the frames over their duration, within 25 %.
  size_t bytes = 0;
  for (const auto& a : out) bytes += a.payload.size();
  double kbps = bytes * 8.0 / (out.size() * 1024.0 / 48000) / 1000;
  BOOST_TEST(std::abs(kbps - 96) < 24, kbps << " kbps");
}

BOOST_AUTO_TEST_CASE(a_mono_source_stays_mono) {
  Source mono = makeSource("aac", 1, 0.5);
  std::string error;
  auto t = AudioTranscoder::open(api(), core::Codec::AAC, mono.config, 64, error, 48000);
  BOOST_REQUIRE_MESSAGE(t, error);
  BOOST_TEST(ascOf(*t).channels == 1);
  auto out = transcodeAll(*t, mono);
  checkTiming(out, mono, 48000);
  auto decoded = decodeOutput(t->audioSpecificConfig(), out);
  BOOST_REQUIRE_EQUAL(decoded.size(), 1u);
  BOOST_TEST(std::abs(frequencyOf(decoded[0], 48000, 0.1, 0.4) - kLeftHz) <= kLeftHz * 0.02);
}

BOOST_AUTO_TEST_CASE(a_5_1_source_is_mixed_down_to_stereo) {
  Source surround = makeSource("aac", 6, 0.5);
  std::string error;
  auto t = AudioTranscoder::open(api(), core::Codec::AAC, surround.config, 128, error);
  BOOST_REQUIRE_MESSAGE(t, error);
  BOOST_TEST(ascOf(*t).channels == 2);
  BOOST_TEST(ascOf(*t).sampleRate == kSourceRate);
  auto out = transcodeAll(*t, surround);
  checkTiming(out, surround, kSourceRate);
  BOOST_TEST(decodeOutput(t->audioSpecificConfig(), out).size() == 2u);
}

BOOST_AUTO_TEST_CASE(mp3_source_to_aac_48k) {
  if (!haveMp3Encoder()) {
    BOOST_TEST_MESSAGE("no libmp3lame in this FFmpeg: MP3 input not tested");
    return;
  }
  Source mp3 = makeSource("libmp3lame", 2, 1.0);
  std::string error;
  auto t = AudioTranscoder::open(api(), core::Codec::Mp3, {}, 96, error);
  BOOST_REQUIRE_MESSAGE(t, error);
  core::AacInfo info = ascOf(*t);
  BOOST_TEST(info.objectType == 2);
  BOOST_TEST(info.sampleRate == 48000);  // an MP3's rate is unknown before its first frame
  BOOST_TEST(info.channels == 2);
  auto out = transcodeAll(*t, mp3);
  checkTiming(out, mp3, 48000);
  checkSine(t->audioSpecificConfig(), out, 48000, 2);
}

BOOST_AUTO_TEST_CASE(a_frame_of_another_rate_is_refused_and_the_stream_goes_on) {
  if (!haveMp3Encoder()) {
    BOOST_TEST_MESSAGE("no libmp3lame in this FFmpeg: not tested");
    return;
  }
  Source mp3 = makeSource("libmp3lame", 2, 0.5);
  Source other = makeSource("libmp3lame", 2, 0.1, 48000);
  std::string error;
  auto t = AudioTranscoder::open(api(), core::Codec::Mp3, {}, 96, error);
  BOOST_REQUIRE_MESSAGE(t, error);
  std::vector<EncodedAudio> out;
  const size_t half = mp3.frames.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    BOOST_REQUIRE_MESSAGE(t->send(mp3.frames[i].bytes, mp3.frames[i].ptsMs, error), error);
    drain(*t, out);
  }
  // MP3 frames carry their own rate: one at 48 kHz decodes at 48 kHz and is refused.
  // NOTE: FFmpeg 5.1's mp3float labels a frame with the rate of the header before
  // it (seen here), so the refusal comes with the 48 kHz frame or the one after.
  int refused = 0;
  const SourceFrame& next = mp3.frames[half];
  for (const SourceFrame* f : std::initializer_list<const SourceFrame*>{&other.frames[3], &next}) {
    std::string why;
    if (t->send(f->bytes, next.ptsMs, why)) continue;
    ++refused;
    BOOST_TEST(why ==
                   "mp3 audio: audio format changed: 48000 Hz stereo fltp where the stream has "
                   "44100 Hz stereo fltp",
               why);
  }
  BOOST_TEST(refused == 1);
  drain(*t, out);
  for (size_t i = half + 1; i < mp3.frames.size(); ++i) {
    BOOST_TEST(t->send(mp3.frames[i].bytes, mp3.frames[i].ptsMs, error), error);
    drain(*t, out);
  }
  BOOST_REQUIRE(t->flush(error));
  drain(*t, out);
  checkTiming(out, mp3, 48000);
}

BOOST_AUTO_TEST_CASE(a_corrupt_frame_is_refused_and_the_next_ones_come_out) {
  auto t = openAac(48000);
  const auto& frames = aacSource().frames;
  std::vector<EncodedAudio> out;
  std::string error;
  for (size_t i = 0; i < 10; ++i) {
    BOOST_REQUIRE_MESSAGE(t->send(frames[i].bytes, frames[i].ptsMs, error), error);
    drain(*t, out);
  }
  const size_t before = out.size();
  std::mt19937 rng(16);
  int refused = 0;
  for (int n = 0; n < 20; ++n) {
    std::vector<uint8_t> bytes(1 + rng() % 700);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    error.clear();
    if (!t->send(core::SharedBuffer::copyOf(std::span<const uint8_t>(bytes)), 500, error)) {
      BOOST_TEST(error.find("aac audio: ") == 0u, error);
      ++refused;
    }
    drain(*t, out);
  }
  BOOST_TEST_MESSAGE("random frames refused: " << refused << " of 20");
  BOOST_TEST(refused >= 18);
  BOOST_TEST(!t->send(core::SharedBuffer(), 600, error));
  BOOST_TEST(error == "aac audio: a 0-byte frame at 600 ms");
  for (size_t i = 10; i < frames.size(); ++i) {
    BOOST_TEST(t->send(frames[i].bytes, frames[i].ptsMs, error), error);
    drain(*t, out);
  }
  BOOST_REQUIRE(t->flush(error));
  drain(*t, out);
  // Every later source frame (1024 samples at 44.1 kHz) comes out: about 0.93 frame
  // of 48 kHz each, give or take what the decoder made of the garbage.
  size_t after = out.size() - before;
  size_t want = (frames.size() - 10) * 48000 / kSourceRate;
  BOOST_TEST(after + 3 >= want, after << " frames after the garbage, want ~" << want);
  for (size_t k = 1; k < out.size(); ++k) BOOST_TEST(out[k].pts > out[k - 1].pts);
  BOOST_TEST(!t->send(frames[0].bytes, 0, error));  // after the flush
}

BOOST_AUTO_TEST_CASE(random_bytes_into_the_mp3_decoder_are_refused) {
  if (!haveMp3Encoder()) {
    BOOST_TEST_MESSAGE("no libmp3lame in this FFmpeg: not tested");
    return;
  }
  Source mp3 = makeSource("libmp3lame", 2, 0.5);
  std::string error;
  auto t = AudioTranscoder::open(api(), core::Codec::Mp3, {}, 96, error);
  BOOST_REQUIRE_MESSAGE(t, error);
  std::vector<EncodedAudio> out;
  std::mt19937 rng(3);
  int refused = 0;
  for (size_t i = 0; i < mp3.frames.size(); ++i) {
    if (i == 5) {
      for (int n = 0; n < 20; ++n) {
        std::vector<uint8_t> bytes(1 + rng() % 700);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng());
        std::string why;
        if (!t->send(core::SharedBuffer::copyOf(std::span<const uint8_t>(bytes)), 1100, why)) {
          BOOST_TEST(why.find("mp3 audio: ") == 0u, why);
          ++refused;
        }
        drain(*t, out);
      }
    }
    BOOST_TEST(t->send(mp3.frames[i].bytes, mp3.frames[i].ptsMs, error), error);
    drain(*t, out);
  }
  BOOST_REQUIRE(t->flush(error));
  drain(*t, out);
  BOOST_TEST_MESSAGE("random MP3 frames refused: " << refused << " of 20");
  BOOST_TEST(refused >= 18);
  BOOST_TEST(out.back().pts >= mp3.frames.back().ptsMs);  // the stream went on to its end
  for (size_t k = 1; k < out.size(); ++k) BOOST_TEST(out[k].pts > out[k - 1].pts);
}

BOOST_AUTO_TEST_CASE(a_gap_in_the_source_moves_the_output_with_it) {
  auto t = openAac(48000);
  const auto& frames = aacSource().frames;
  std::vector<EncodedAudio> out;
  std::string error;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i >= 20 && i < 25) continue;                       // five frames lost
    int64_t pts = frames[i].ptsMs + (i >= 25 ? 2000 : 0);  // and 2 s of silence
    BOOST_REQUIRE_MESSAGE(t->send(frames[i].bytes, pts, error), error);
    drain(*t, out);
  }
  BOOST_REQUIRE(t->flush(error));
  drain(*t, out);
  BOOST_TEST(t->resyncs() == 1);
  const int64_t resume = frames[25].ptsMs + 2000;
  auto at = std::find_if(out.begin(), out.end(), [&](const auto& a) { return a.pts >= resume; });
  BOOST_REQUIRE(at != out.end());
  BOOST_TEST(std::abs(at->pts - resume) <= 22, at->pts << " ms, the source resumed at " << resume);
  BOOST_TEST(std::prev(at)->pts < frames[25].ptsMs);  // nothing in the gap
  for (size_t k = 1; k < out.size(); ++k) BOOST_TEST(out[k].pts > out[k - 1].pts);
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_decode_or_encode_with_the_reason) {
  std::string error;
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::RoomEvent, {}, 96, error));
  BOOST_TEST(error == "cannot decode room event audio");
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::Opus, {}, 96, error, 0, core::Codec::Mp3));
  BOOST_TEST(error == "cannot encode mp3 audio");
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::Unknown, {}, 96, error));
  BOOST_TEST(error == "cannot decode unknown audio");
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::H264, {}, 96, error));
  BOOST_TEST(error == "cannot decode h264 audio");
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::AAC, {}, 96, error));
  BOOST_TEST(error.find("cannot open the AAC decoder: the stream's AudioSpecificConfig: ") == 0u,
             error);
  std::vector<uint8_t> garbage{0xff, 0xff, 0xff};
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::AAC, garbage, 96, error));
  BOOST_TEST(error.find("cannot open the AAC decoder: ") == 0u, error);
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::AAC, aacSource().config, 4, error));
  BOOST_TEST(error == "AAC encoder: 4 kbps out of range (8..512)");
  BOOST_TEST(!AudioTranscoder::open(api(), core::Codec::AAC, aacSource().config, 96, error, 45000));
  BOOST_TEST(error == "cannot open the AAC encoder: it does not take 45000 Hz");
}
