#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "av/av_libraries.hpp"
#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "core/format/avc_config.hpp"
#include "mixer/video_decoder.hpp"
#include "mixer/video_encoder.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using mixer::CodecResult;
using mixer::EncodedUnit;
using mixer::EncoderSettings;
using mixer::VideoDecoder;
using mixer::VideoEncoder;

namespace {

constexpr int kW = 320;
constexpr int kH = 240;
constexpr int kFrames = 60;
constexpr int kSecondKey = 30;

// One filter table for the whole test process (av::Libraries is owned by main).
const av::FilterApi& api() {
  return mixer_testing::filterApi();
}

int64_t ptsOf(int i) {
  return int64_t{i} * 1000 / 30;
}

uint8_t lumaAt(int x, int y, int i) {
  return static_cast<uint8_t>(16 + (x + y + 4 * i) % 200);
}

// Frame i of a moving gradient, 320x240 yuv420p.
av::FramePtr sourceFrame(int i) {
  av::FramePtr f = av::makeFrame(api());
  BOOST_REQUIRE(f);
  f->width = kW;
  f->height = kH;
  f->format = AV_PIX_FMT_YUV420P;
  BOOST_REQUIRE(api().av_frame_get_buffer(f.get(), 0) >= 0);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) f->data[0][y * f->linesize[0] + x] = lumaAt(x, y, i);
  for (int y = 0; y < kH / 2; ++y) {
    std::memset(f->data[1] + y * f->linesize[1], 96 + i, kW / 2);
    std::memset(f->data[2] + y * f->linesize[2], 160 - i, kW / 2);
  }
  f->pts = ptsOf(i);
  return f;
}

EncoderSettings settings() {
  EncoderSettings s;
  s.width = kW;
  s.height = kH;
  s.fps = 30;
  s.x264.preset = "ultrafast";
  s.x264.tune = "zerolatency";
  s.x264.bitRate = 600'000;
  s.x264.maxRate = 660'000;
  s.x264.bufSize = 900'000;
  s.x264.gop = 300;
  s.x264.keyintMin = 300;
  s.x264.scThreshold = 0;
  s.x264.forcedIdr = true;
  s.x264.threads = 1;
  return s;
}

void drain(VideoEncoder& e, std::vector<EncodedUnit>& out) {
  std::string error;
  for (;;) {
    EncodedUnit u;
    CodecResult r = e.receive(u, error);
    if (r == CodecResult::Again || r == CodecResult::End) return;
    BOOST_REQUIRE_MESSAGE(r == CodecResult::Frame, error);
    out.push_back(std::move(u));
  }
}

struct Encoded {
  std::vector<uint8_t> avcC;
  std::vector<EncodedUnit> units;
};

// The 60 frames encoded with keys forced at 0 and 30 only. Every tenth frame
// carries pict_type I, as a decoded intra frame of a source would: the encoder must
// not take it for a forced key.
Encoded encodeAll() {
  api().av_log_set_level(AV_LOG_ERROR);  // x264's banner and statistics
  std::string error;
  auto e = VideoEncoder::open(api(), settings(), error);
  BOOST_REQUIRE_MESSAGE(e, error);
  Encoded out;
  out.avcC = e->avcConfig();
  for (int i = 0; i < kFrames; ++i) {
    av::FramePtr f = sourceFrame(i);
    f->pict_type = i % 10 == 5 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_P;
    BOOST_REQUIRE_MESSAGE(e->send(f.get(), i == 0 || i == kSecondKey, error), error);
    drain(*e, out.units);
  }
  BOOST_REQUIRE_MESSAGE(e->send(nullptr, false, error), error);
  drain(*e, out.units);
  EncodedUnit u;
  BOOST_TEST((e->receive(u, error) == CodecResult::End));
  return out;
}

const Encoded& encoded() {
  static const Encoded kEncoded = encodeAll();
  return kEncoded;
}

// The AVCC units of `payload` (4-byte lengths), or empty if the lengths do not tile it.
std::vector<int> nalTypes(const core::SharedBuffer& payload) {
  std::vector<int> types;
  size_t at = 0;
  while (at + 4 <= payload.size()) {
    size_t len = (size_t{payload[at]} << 24) | (size_t{payload[at + 1]} << 16) |
                 (size_t{payload[at + 2]} << 8) | payload[at + 3];
    at += 4;
    if (len == 0 || at + len > payload.size()) return {};
    types.push_back(payload[at] & 0x1f);
    at += len;
  }
  if (at != payload.size()) return {};
  return types;
}

std::unique_ptr<VideoDecoder> decoder() {
  std::string error;
  auto d = VideoDecoder::open(api(), core::Codec::H264, encoded().avcC, 2, error);
  BOOST_REQUIRE_MESSAGE(d, error);
  return d;
}

struct Decoded {
  int64_t pts;
  bool key;
  int width, height, format;
  double lumaError;  // mean |decoded - source| of the Y plane
};

double lumaError(const AVFrame* f) {
  int i = -1;
  for (int k = 0; k < kFrames; ++k)
    if (ptsOf(k) == f->pts) i = k;
  if (i < 0 || f->width != kW || f->height != kH) return 255;
  double sum = 0;
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      sum += std::abs(f->data[0][y * f->linesize[0] + x] - lumaAt(x, y, i));
  return sum / (kW * kH);
}

// Receives until Again/End; a Failed receive is recorded, not fatal.
void drain(VideoDecoder& d, std::vector<Decoded>& out, int* failures = nullptr) {
  av::FramePtr f = av::makeFrame(api());
  std::string error;
  for (;;) {
    CodecResult r = d.receive(f.get(), error);
    if (r == CodecResult::Again || r == CodecResult::End) return;
    if (r == CodecResult::Failed) {
      BOOST_REQUIRE_MESSAGE(failures, error);
      ++*failures;
      return;
    }
    out.push_back({f->pts, f->key_frame != 0, f->width, f->height, f->format, lumaError(f.get())});
  }
}

void decodeRange(VideoDecoder& d, int from, int to, std::vector<Decoded>& out) {
  std::string error;
  for (int i = from; i < to; ++i) {
    BOOST_REQUIRE_MESSAGE(d.send(encoded().units.at(i), error), error);
    drain(d, out);
  }
}

void finish(VideoDecoder& d, std::vector<Decoded>& out) {
  std::string error;
  BOOST_REQUIRE_MESSAGE(d.flush(error), error);
  drain(d, out);
  av::FramePtr f = av::makeFrame(api());
  BOOST_TEST((d.receive(f.get(), error) == CodecResult::End));
}

}  // namespace

BOOST_AUTO_TEST_CASE(encoder_keys_exactly_where_forced) {
  const auto& units = encoded().units;
  BOOST_REQUIRE_EQUAL(units.size(), size_t(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    BOOST_TEST(units[i].pts == ptsOf(i), "unit " << i);
    BOOST_TEST(units[i].dts == ptsOf(i), "unit " << i);  // zerolatency: no reordering
    BOOST_TEST(units[i].key == (i == 0 || i == kSecondKey), "unit " << i);
    std::vector<int> types = nalTypes(units[i].payload);
    BOOST_TEST(!types.empty(), "unit " << i << " is not AVCC with 4-byte lengths");
    bool idr = std::find(types.begin(), types.end(), 5) != types.end();
    BOOST_TEST(idr == units[i].key, "unit " << i << ": an IDR slice iff key");
  }
}

BOOST_AUTO_TEST_CASE(encoder_avc_config_is_a_record) {
  const auto& avcC = encoded().avcC;
  BOOST_REQUIRE(avcC.size() > 7);
  BOOST_TEST(avcC[0] == 1);        // configurationVersion
  BOOST_TEST(avcC[1] != 0);        // AVCProfileIndication
  BOOST_TEST((avcC[4] & 3) == 3);  // 4-byte NAL lengths
  std::string error;
  auto info = core::parseAvcDecoderConfig(avcC, &error);
  BOOST_REQUIRE_MESSAGE(info, error);
  BOOST_TEST(info->profile == avcC[1]);
  BOOST_TEST(info->width == kW);
  BOOST_TEST(info->height == kH);
}

BOOST_AUTO_TEST_CASE(decoder_round_trip_keeps_pts_size_and_keys) {
  auto d = decoder();
  std::vector<Decoded> frames;
  decodeRange(*d, 0, kFrames, frames);
  finish(*d, frames);
  BOOST_REQUIRE_EQUAL(frames.size(), size_t(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    BOOST_TEST(frames[i].pts == ptsOf(i), "frame " << i);
    BOOST_TEST(frames[i].width == kW);
    BOOST_TEST(frames[i].height == kH);
    BOOST_TEST(frames[i].format == int(AV_PIX_FMT_YUV420P));
    BOOST_TEST(frames[i].lumaError < 8.0, "frame " << i << " luma error " << frames[i].lumaError);
  }
  BOOST_TEST(frames[0].key);
  BOOST_TEST(frames[kSecondKey].key);
  BOOST_TEST(!frames[kSecondKey - 1].key);
}

BOOST_AUTO_TEST_CASE(decoder_reset_starts_again_for_a_new_publisher) {
  auto d = decoder();
  std::vector<Decoded> frames;
  decodeRange(*d, 0, 10, frames);
  finish(*d, frames);
  BOOST_TEST(frames.size() == 10u);
  std::string error;
  BOOST_TEST(!d->send(encoded().units.at(10), error));  // after EOF
  d->reset();
  frames.clear();
  decodeRange(*d, kSecondKey, kFrames, frames);
  finish(*d, frames);
  BOOST_REQUIRE_EQUAL(frames.size(), size_t(kFrames - kSecondKey));
  BOOST_TEST(frames.front().pts == ptsOf(kSecondKey));
  BOOST_TEST(frames.front().key);
}

BOOST_AUTO_TEST_CASE(decoder_survives_corrupt_units_and_recovers_at_the_next_key) {
  auto d = decoder();
  std::vector<Decoded> frames;
  decodeRange(*d, 0, 10, frames);
  std::mt19937 rng(16);
  std::vector<std::vector<uint8_t>> garbage;
  for (int n = 0; n < 20; ++n) {
    std::vector<uint8_t> bytes(1 + rng() % 400);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    if (n % 2 == 1 && bytes.size() > 5) {  // a plausible length and slice header
      uint32_t len = static_cast<uint32_t>(bytes.size() - 4);
      bytes[0] = 0, bytes[1] = 0, bytes[2] = uint8_t(len >> 8), bytes[3] = uint8_t(len);
      bytes[4] = n % 4 == 1 ? 0x65 : 0x41;
    }
    garbage.push_back(std::move(bytes));
  }
  const auto& cut = encoded().units.at(10).payload;  // a unit cut short
  garbage.emplace_back(cut.data(), cut.data() + cut.size() / 2);
  int rejected = 0, failures = 0;
  std::string error;
  for (const auto& bytes : garbage) {
    EncodedUnit u{core::SharedBuffer::copyOf(std::span<const uint8_t>(bytes)), 400, 400, false};
    if (!d->send(u, error)) {
      BOOST_TEST(!error.empty());
      ++rejected;
    }
    drain(*d, frames, &failures);
  }
  BOOST_TEST_MESSAGE("corrupt units rejected: " << rejected << ", receive failures: " << failures);
  // The caller goes on with what follows; from the next key on, every frame decodes.
  for (int i = 10; i < kFrames; ++i) {
    if (!d->send(encoded().units.at(i), error)) BOOST_TEST(i < kSecondKey, error);
    drain(*d, frames, &failures);
  }
  finish(*d, frames);
  std::vector<int64_t> after;
  for (const auto& f : frames) {
    if (f.pts < ptsOf(kSecondKey)) continue;
    after.push_back(f.pts);
    if (f.pts == ptsOf(kSecondKey)) BOOST_TEST(f.key);
    BOOST_TEST(f.width == kW);
    BOOST_TEST(f.lumaError < 8.0, "frame at " << f.pts << " luma error " << f.lumaError);
  }
  std::vector<int64_t> want;
  for (int i = kSecondKey; i < kFrames; ++i) want.push_back(ptsOf(i));
  BOOST_TEST(after == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(decoder_refuses_other_codecs_and_bad_records) {
  std::string error;
  BOOST_TEST(!VideoDecoder::open(api(), core::Codec::H265, encoded().avcC, 1, error));
  BOOST_TEST(error == "cannot decode h265: the caster takes H.264");
  error.clear();
  std::vector<uint8_t> garbage{0x17, 0x42, 0x99, 0x00, 0xff, 0x13};
  BOOST_TEST(!VideoDecoder::open(api(), core::Codec::H264, garbage, 1, error));
  BOOST_TEST(error.find("cannot open the H.264 decoder: ") == 0u, error);
  error.clear();
  BOOST_TEST(!VideoDecoder::open(api(), core::Codec::H264, {}, 1, error));
  BOOST_TEST(error.find("cannot open the H.264 decoder: ") == 0u, error);
  // A record whose SPS is cut short.
  std::vector<uint8_t> cut = encoded().avcC;
  cut.resize(12);
  error.clear();
  BOOST_TEST(!VideoDecoder::open(api(), core::Codec::H264, cut, 1, error));
  BOOST_TEST(error.find("cannot open the H.264 decoder: the stream's avcC: ") == 0u, error);
}

// NOTE: libavcodec 5.1 opens with a PPS it cannot parse (it only logs); the units
// that need it are then refused one by one, which the caller counts.
BOOST_AUTO_TEST_CASE(decoder_with_an_unusable_pps_refuses_units_without_crashing) {
  std::vector<uint8_t> badPps = encoded().avcC;
  size_t spsLen = (size_t{badPps[6]} << 8) | badPps[7];
  size_t ppsAt = 8 + spsLen + 3;  // numOfPictureParameterSets, 2-byte length
  BOOST_REQUIRE(badPps.size() > ppsAt + 1);
  for (size_t k = ppsAt + 1; k < badPps.size(); ++k) badPps[k] = 0;  // pps_id: no end
  std::string error;
  auto d = VideoDecoder::open(api(), core::Codec::H264, badPps, 1, error);
  BOOST_REQUIRE_MESSAGE(d, error);
  std::vector<Decoded> frames;
  int rejected = 0, failures = 0;
  for (int i = 0; i < 5; ++i) {
    if (!d->send(encoded().units.at(i), error)) ++rejected;
    drain(*d, frames, &failures);
  }
  BOOST_TEST(rejected == 5);
  BOOST_TEST(frames.empty());
}

BOOST_AUTO_TEST_CASE(encoder_refuses_absurd_settings_with_a_reason) {
  std::string error;
  EncoderSettings s = settings();
  s.width = 0;
  s.height = 0;
  BOOST_TEST(!VideoEncoder::open(api(), s, error));
  BOOST_TEST(error == "libx264 0x0@30: size out of range (even, 16..8192)");
  s = settings();
  s.height = 241;
  BOOST_TEST(!VideoEncoder::open(api(), s, error));
  BOOST_TEST(error.find("size out of range") != std::string::npos, error);
  s = settings();
  s.fps = 0;
  BOOST_TEST(!VideoEncoder::open(api(), s, error));
  BOOST_TEST(error.find("frame rate out of range") != std::string::npos, error);
  s = settings();
  s.x264.preset = "warp";
  BOOST_TEST(!VideoEncoder::open(api(), s, error));
  BOOST_TEST(error.find("libx264 320x240@30: cannot open (preset warp, tune zerolatency): ") == 0u,
             error);
}

BOOST_AUTO_TEST_CASE(encoder_refuses_wrong_frames_and_frames_after_flush) {
  std::string error;
  auto e = VideoEncoder::open(api(), settings(), error);
  BOOST_REQUIRE_MESSAGE(e, error);
  av::FramePtr small = av::makeFrame(api());
  small->width = 160;
  small->height = 120;
  small->format = AV_PIX_FMT_YUV420P;
  BOOST_REQUIRE(api().av_frame_get_buffer(small.get(), 0) >= 0);
  BOOST_TEST(!e->send(small.get(), true, error));
  BOOST_TEST(error.find("a 160x120 frame") != std::string::npos, error);
  BOOST_TEST(e->flush(error));
  av::FramePtr f = sourceFrame(0);
  BOOST_TEST(!e->send(f.get(), true, error));
  EncodedUnit u;
  BOOST_TEST((e->receive(u, error) == CodecResult::End));
}
