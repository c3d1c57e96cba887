// The output-clocked compositor on its real threads: two H.264 inputs (red, blue)
// side by side; the blue one stops (repeated, then the slate) and comes back, while
// the program's frames keep their interval. Also under ThreadSanitizer.
#include "mixer/compositor.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "av/av_libraries.hpp"
#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "mixer/input_audio.hpp"
#include "mixer/input_decoder.hpp"
#include "mixer/mix_encoder.hpp"
#include "mixer/slate_renderer.hpp"
#include "mixer/video_decoder.hpp"
#include "mixer/video_encoder.hpp"
#include "mixer/worker_thread.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using namespace mixer;

namespace {

constexpr uint32_t kRed = 0xFF0000, kBlue = 0x0000FF, kSlate = 0x00FF00;
constexpr int kPw = 320, kPh = 180, kFps = 30;

const av::FilterApi& api() {
  return mixer_testing::filterApi();
}

av::Libraries& libs() {
  static av::Libraries l;
  return l;
}

struct Input {
  std::vector<uint8_t> avcC;
  std::vector<EncodedUnit> units;  // 30 frames at 30 fps, a key every 10
};

// 160x90: `rgb`, its right half `right` when given.
Input encodeSolid(uint32_t rgb, std::optional<uint32_t> right = std::nullopt) {
  api().av_log_set_level(AV_LOG_ERROR);
  EncoderSettings s;
  s.width = 160;
  s.height = 90;
  s.fps = 30;
  s.x264.preset = "ultrafast";
  s.x264.tune = "zerolatency";
  s.x264.bitRate = 300'000;
  s.x264.maxRate = 330'000;
  s.x264.bufSize = 450'000;
  s.x264.gop = 300;
  s.x264.keyintMin = 10;
  s.x264.threads = 1;
  std::string error;
  auto e = VideoEncoder::open(api(), s, error);
  BOOST_REQUIRE_MESSAGE(e, error);
  Input in{e->avcConfig(), {}};
  auto drain = [&] {
    EncodedUnit u;
    while (e->receive(u, error) == CodecResult::Frame) in.units.push_back(std::move(u));
  };
  for (int i = 0; i < 30; ++i) {
    av::FramePtr f = av::makeFrame(api());
    f->width = 160;
    f->height = 90;
    f->format = AV_PIX_FMT_YUV420P;
    BOOST_REQUIRE(api().av_frame_get_buffer(f.get(), 0) >= 0);
    Compositor::fill(f.get(), {0, 0, 160, 90}, rgb);
    if (right) Compositor::fill(f.get(), {80, 0, 80, 90}, *right);
    f->pts = i * 1000 / 30;
    BOOST_REQUIRE_MESSAGE(e->send(f.get(), i % 10 == 0, error), error);
    drain();
  }
  BOOST_REQUIRE(e->send(nullptr, false, error));
  drain();
  BOOST_REQUIRE_EQUAL(in.units.size(), 30u);
  return in;
}

struct Posted {
  std::mutex mutex;
  std::vector<uint8_t> avcC, asc;
  std::vector<EncodedUnit> units;
  std::vector<EncodedAudio> audio;
};

// `frames` AAC frames (48 kHz stereo) of a 440 Hz sine at amplitude 0.25.
Input encodeTone(int frames) {
  std::string error;
  auto e = MixEncoder::open(api(), 96, error);
  BOOST_REQUIRE_MESSAGE(e, error);
  Input in{e->audioSpecificConfig(), {}};
  std::vector<EncodedAudio> out;
  float l[MixEncoder::kFrameSamples], r[MixEncoder::kFrameSamples];
  for (int f = 0; f < frames; ++f) {
    for (int i = 0; i < MixEncoder::kFrameSamples; ++i)
      l[i] = r[i] =
          0.25f * std::sin(2 * M_PI * 440 * (f * MixEncoder::kFrameSamples + i) / 48000.0);
    BOOST_REQUIRE_MESSAGE(e->encode(l, r, out, error), error);
  }
  for (EncodedAudio& a : out) in.units.push_back(EncodedUnit{a.payload, a.pts, a.pts, false});
  return in;
}

// RMS of the program's audio from `fromMs` on, decoded through an InputAudio.
double programRms(const Posted& p, int64_t fromMs) {
  std::string error;
  MixBus bus(1, 0, 1 << 22);
  auto dec = InputAudio::open(api(), p.asc, bus, 0, error);
  BOOST_REQUIRE_MESSAGE(dec, error);
  for (const EncodedAudio& a : p.audio) BOOST_REQUIRE_MESSAGE(dec->send(a.payload, error), error);
  const size_t n = bus.stats(0).queued, skip = static_cast<size_t>(fromMs) * 48;
  BOOST_REQUIRE_GT(n, skip + 4800);
  std::vector<float> l(n), r(n);
  bus.mix(l.data(), r.data(), n, {1.0f});
  double sum = 0;
  for (size_t i = skip; i < n; ++i) sum += double(l[i]) * l[i];
  return std::sqrt(sum / double(n - skip));
}

// Mean Y, U, V over a rect of a decoded yuv420p frame.
std::array<double, 3> meanYuv(const AVFrame* f, int x0, int y0, int x1, int y1) {
  std::array<double, 3> sum{0, 0, 0};
  int n = 0;
  for (int y = y0; y < y1; y += 2)
    for (int x = x0; x < x1; x += 2, ++n) {
      sum[0] += f->data[0][y * f->linesize[0] + x];
      sum[1] += f->data[1][(y / 2) * f->linesize[1] + x / 2];
      sum[2] += f->data[2][(y / 2) * f->linesize[2] + x / 2];
    }
  for (double& v : sum) v /= n;
  return sum;
}

bool near(const std::array<double, 3>& got, uint32_t rgb) {
  const Compositor::Yuv want = Compositor::toYuv(rgb);
  return std::abs(got[0] - want.y) < 14 && std::abs(got[1] - want.u) < 14 &&
         std::abs(got[2] - want.v) < 14;
}

}  // namespace

BOOST_AUTO_TEST_CASE(colour_conversion_and_fill) {
  const Compositor::Yuv white = Compositor::toYuv(0xFFFFFF);
  BOOST_TEST(white.y == 235);
  BOOST_TEST(white.u == 128);
  const Compositor::Yuv red = Compositor::toYuv(kRed);
  BOOST_TEST(red.y == 81);
  BOOST_TEST(red.v == 240);
}

BOOST_AUTO_TEST_CASE(side_by_side_stall_slate_and_return_keep_the_clock) {
  const Input red = encodeSolid(kRed), blue = encodeSolid(kBlue), tone = encodeTone(140);
  auto posted = std::make_shared<Posted>();
  CompositorSettings s;
  s.id = 7;
  s.key = "test/pgm";
  s.width = kPw;
  s.height = kPh;
  s.fps = kFps;
  s.kbps = 400;
  s.preset = "ultrafast";
  s.queueFrames = 64;
  Scene scene;
  scene.layers = SceneSpec{{LayoutKind::SideBySide, {}}, {}}.resolved(9);
  scene.slateRgb = kSlate;
  scene.policy = StallPolicy{150, 300};
  auto post = [posted](MixerEvent e) {
    std::lock_guard lock(posted->mutex);
    if (auto* c = std::get_if<RungConfig>(&e.body)) posted->avcC = c->avcC;
    if (auto* u = std::get_if<EncodedUnit>(&e.body)) posted->units.push_back(std::move(*u));
    if (auto* a = std::get_if<AudioConfig>(&e.body)) posted->asc = a->asc;
    if (auto* a = std::get_if<EncodedAudio>(&e.body)) posted->audio.push_back(std::move(*a));
    if (auto* err = std::get_if<StageError>(&e.body)) BOOST_ERROR(err->stage + ": " + err->reason);
    return true;
  };
  auto state = std::make_shared<CompositorState>(s, libs(), post, 2, scene);
  std::vector<std::unique_ptr<WorkerThread>> threads;
  threads.push_back(std::make_unique<WorkerThread>(
      "t-pgm", [state] { Compositor(*state).run(); }, [] {}));
  for (size_t i = 0; i < 2; ++i)
    threads.push_back(std::make_unique<WorkerThread>(
        "t-in" + std::to_string(i), [state, i] { InputDecoder(*state, i).run(); }, [] {}));

  auto push = [&](size_t slot, const Input& in, int i) {
    if (i == 0) {
      InputItem config{EncodedUnit{core::SharedBuffer::copyOf(in.avcC), 0, 0, true}, true};
      BOOST_REQUIRE(state->slots[slot]->queue.tryPush(config));
    }
    InputItem item{in.units[i % in.units.size()], false};
    BOOST_REQUIRE(state->slots[slot]->queue.tryPush(item));
  };
  // The red input's audio: a tone, pushed at its own pace beside the pictures.
  size_t toneSent = 0;
  auto pushTone = [&](int i) {
    if (toneSent == 0) {
      InputItem config{EncodedUnit{core::SharedBuffer::copyOf(tone.avcC), 0, 0, false}, true, true};
      BOOST_REQUIRE(state->slots[0]->queue.tryPush(config));
    }
    while (toneSent < tone.units.size() && toneSent * 1024 * 30 <= size_t(i + 1) * 48000) {
      InputItem item{tone.units[toneSent++], false, true};
      BOOST_REQUIRE(state->slots[0]->queue.tryPush(item));
    }
  };
  std::map<int, InputShow> shownAt;  // input 1's state as the compositor showed it
  const auto t0 = std::chrono::steady_clock::now();
  // 0..1 s both inputs, 1..2 s only red (blue stalls), 2..2.7 s both again.
  for (int i = 0; i < 81; ++i) {
    push(0, red, i);
    pushTone(i);
    if (i < 30) push(1, blue, i);
    if (i >= 60) push(1, blue, i - 60);
    if (i == 52 || i == 75) shownAt[i] = static_cast<InputShow>(state->slots[1]->shown.load());
    std::this_thread::sleep_until(t0 + std::chrono::milliseconds((i + 1) * 1000 / 30));
  }
  state->stopAll();
  for (auto& t : threads)
    while (!t->tryJoin()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  BOOST_TEST((shownAt[52] == InputShow::Slate));  // 1.73 s: stalled 0.7 s > 150 + 300 ms
  BOOST_TEST((shownAt[75] == InputShow::Live));
  BOOST_TEST(state->slots[1]->framesIn.load() == 51u);

  // The program's clock: one frame every 33-34 ms through the stall. NOTE: a tick
  // is skipped only when this thread gets no CPU for a whole interval (a loaded CI
  // machine, TSan): a few are allowed, and counted by the clock as such.
  std::lock_guard lock(posted->mutex);
  BOOST_REQUIRE_GT(posted->units.size(), 70u);
  size_t irregular = 0;
  for (size_t i = 1; i < posted->units.size(); ++i) {
    const int64_t d = posted->units[i].pts - posted->units[i - 1].pts;
    BOOST_TEST_CONTEXT("frame " << i) {
      BOOST_TEST((d >= 33 && d <= 100));
    }
    irregular += d != 33 && d != 34;
  }
  BOOST_TEST(irregular <= 3u);
  BOOST_TEST(irregular <= state->counters.skipped.load());

  // What the frames show: left red all along; right blue, repeated blue, slate, blue.
  std::string error;
  auto dec = VideoDecoder::open(api(), core::Codec::H264, posted->avcC, 1, error);
  BOOST_REQUIRE_MESSAGE(dec, error);
  av::FramePtr f = av::makeFrame(api());
  std::map<int64_t, std::pair<std::array<double, 3>, std::array<double, 3>>> colours;
  for (const EncodedUnit& u : posted->units) {
    BOOST_REQUIRE_MESSAGE(dec->send(u, error), error);
    while (dec->receive(f.get(), error) == CodecResult::Frame)
      colours[f->pts] = {meanYuv(f.get(), 40, 60, 120, 120), meanYuv(f.get(), 200, 60, 280, 120)};
  }
  auto at = [&](int64_t pts) { return colours.lower_bound(pts)->second; };
  BOOST_TEST(near(at(800).first, kRed));
  BOOST_TEST(near(at(800).second, kBlue));
  BOOST_TEST(near(at(1150).second, kBlue));  // stalled 150 ms: the last frame repeated
  BOOST_TEST(near(at(1750).first, kRed));
  BOOST_TEST(near(at(1750).second, kSlate));
  BOOST_TEST(near(at(2500).second, kBlue));  // back

  // The audio: the tone mixed in (RMS of a 0.25 sine: 0.177), on the same clock.
  BOOST_TEST(state->slots[0]->audioErrors.load() == 0u);
  const double rms = programRms(*posted, 1000);
  BOOST_TEST_MESSAGE("program audio rms " << rms);
  BOOST_TEST(rms > 0.12);
  BOOST_TEST(rms < 0.25);
  const int64_t audioMs = int64_t(posted->audio.size()) * 1024 * 1000 / 48000;
  BOOST_TEST(std::abs(audioMs - posted->units.back().pts) < 100);
}

BOOST_AUTO_TEST_CASE(a_layout_change_moves_a_repeated_picture) {
  const Input red = encodeSolid(kRed);
  auto posted = std::make_shared<Posted>();
  CompositorSettings s;
  s.id = 8;
  s.key = "test/pip";
  s.width = kPw;
  s.height = kPh;
  s.fps = 15;
  s.kbps = 300;
  s.preset = "ultrafast";
  Scene scene;
  scene.layers = SceneSpec{{LayoutKind::Single, {}}, {}}.resolved(9);
  scene.policy = StallPolicy{5000, 5000};
  auto state = std::make_shared<CompositorState>(
      s, libs(),
      [posted](MixerEvent e) {
        std::lock_guard lock(posted->mutex);
        if (auto* u = std::get_if<EncodedUnit>(&e.body)) posted->units.push_back(std::move(*u));
        if (auto* c = std::get_if<RungConfig>(&e.body)) posted->avcC = c->avcC;
        return true;
      },
      1, scene);
  WorkerThread pgm(
      "t-pgm", [state] { Compositor(*state).run(); }, [] {});
  WorkerThread in(
      "t-in0", [state] { InputDecoder(*state, 0).run(); }, [] {});
  InputItem config{EncodedUnit{core::SharedBuffer::copyOf(red.avcC), 0, 0, true}, true};
  BOOST_REQUIRE(state->slots[0]->queue.tryPush(config));
  for (int i = 0; i < 3; ++i) {
    InputItem item{red.units[i], false};
    BOOST_REQUIRE(state->slots[0]->queue.tryPush(item));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // Side by side: the input (no new frames since) is rescaled into its half at once.
  scene.layers = SceneSpec{{LayoutKind::SideBySide, {}}, {}}.resolved(9);
  state->setScene(scene);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  state->stopAll();
  while (!pgm.tryJoin() || !in.tryJoin()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::lock_guard lock(posted->mutex);
  std::string error;
  auto dec = VideoDecoder::open(api(), core::Codec::H264, posted->avcC, 1, error);
  BOOST_REQUIRE_MESSAGE(dec, error);
  av::FramePtr f = av::makeFrame(api());
  std::array<double, 3> before{}, leftAfter{}, rightAfter{};
  for (const EncodedUnit& u : posted->units) {
    BOOST_REQUIRE_MESSAGE(dec->send(u, error), error);
    while (dec->receive(f.get(), error) == CodecResult::Frame) {
      if (f->pts <= 300) before = meanYuv(f.get(), 200, 60, 280, 120);
      leftAfter = meanYuv(f.get(), 40, 60, 120, 120);
      rightAfter = meanYuv(f.get(), 200, 60, 280, 120);
    }
  }
  BOOST_TEST(near(before, kRed));     // single: the whole canvas
  BOOST_TEST(near(leftAfter, kRed));  // side by side: input 0 on the left
  BOOST_TEST(near(rightAfter, 0));    // and nothing (black) on the right
}

BOOST_AUTO_TEST_CASE(slate_with_text) {
  const std::string font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
  std::string error;
  auto bright = [](const AVFrame* f) {
    int n = 0;
    for (int y = 0; y < f->height; ++y)
      for (int x = 0; x < f->width; ++x) n += f->data[0][y * f->linesize[0] + x] > 200;
    return n;
  };
  av::FramePtr plain = SlateRenderer::render(api(), 320, 180, kSlate, "", font, error);
  BOOST_REQUIRE_MESSAGE(plain, error);
  BOOST_TEST(bright(plain.get()) == 0);
  av::FramePtr text =
      SlateRenderer::render(api(), 320, 180, kSlate, "%{pts} back soon: 稍后回来", font, error);
  BOOST_REQUIRE_MESSAGE(text, error);
  BOOST_TEST(text->width == 320);
  BOOST_TEST(text->format == AV_PIX_FMT_YUV420P);
  BOOST_TEST(bright(text.get()) > 100);  // white glyphs on green
  // The corners keep the slate's colour.
  BOOST_TEST(near(meanYuv(text.get(), 0, 0, 20, 20), kSlate));
  BOOST_TEST(!SlateRenderer::render(api(), 320, 180, kSlate, "x", "/nonexistent.ttf", error));
  BOOST_TEST(error.find("/nonexistent.ttf") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pip_draws_the_guest_inset_over_the_host) {
  const Input red = encodeSolid(kRed), blue = encodeSolid(kBlue);
  auto posted = std::make_shared<Posted>();
  CompositorSettings s;
  s.id = 9;
  s.key = "test/pip";
  s.width = kPw;
  s.height = kPh;
  s.fps = 15;
  s.kbps = 300;
  s.preset = "ultrafast";
  Scene scene;
  scene.layers = SceneSpec{{LayoutKind::Pip, FracRect{0.5, 0.5, 0.5, 0.5}}, {}}.resolved(
      9);  // bottom-right quarter
  scene.policy = StallPolicy{5000, 5000};
  auto state = std::make_shared<CompositorState>(
      s, libs(),
      [posted](MixerEvent e) {
        std::lock_guard lock(posted->mutex);
        if (auto* u = std::get_if<EncodedUnit>(&e.body)) posted->units.push_back(std::move(*u));
        if (auto* c = std::get_if<RungConfig>(&e.body)) posted->avcC = c->avcC;
        return true;
      },
      2, scene);
  WorkerThread pgm(
      "t-pgm", [state] { Compositor(*state).run(); }, [] {});
  WorkerThread in0(
      "t-in0", [state] { InputDecoder(*state, 0).run(); }, [] {});
  WorkerThread in1(
      "t-in1", [state] { InputDecoder(*state, 1).run(); }, [] {});
  for (size_t slot = 0; slot < 2; ++slot) {
    const Input& in = slot == 0 ? red : blue;
    InputItem config{EncodedUnit{core::SharedBuffer::copyOf(in.avcC), 0, 0, true}, true};
    BOOST_REQUIRE(state->slots[slot]->queue.tryPush(config));
    for (int i = 0; i < 3; ++i) {
      InputItem item{in.units[i], false};
      BOOST_REQUIRE(state->slots[slot]->queue.tryPush(item));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  state->stopAll();
  while (!pgm.tryJoin() || !in0.tryJoin() || !in1.tryJoin())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::lock_guard lock(posted->mutex);
  std::string error;
  auto dec = VideoDecoder::open(api(), core::Codec::H264, posted->avcC, 1, error);
  BOOST_REQUIRE_MESSAGE(dec, error);
  av::FramePtr f = av::makeFrame(api());
  std::array<double, 3> host{}, guest{};
  for (const EncodedUnit& u : posted->units) {
    BOOST_REQUIRE_MESSAGE(dec->send(u, error), error);
    while (dec->receive(f.get(), error) == CodecResult::Frame) {
      host = meanYuv(f.get(), 20, 20, 140, 80);      // top left: the host only
      guest = meanYuv(f.get(), 200, 110, 300, 160);  // inside the inset
    }
  }
  BOOST_TEST(near(host, kRed));
  BOOST_TEST(near(guest, kBlue));
}

BOOST_AUTO_TEST_CASE(an_input_the_layout_leaves_out_reports_its_state) {
  // Co-host waits for the guest's "live" before it shows the guest: an input
  // decoded but not drawn (layout single) must say so.
  const Input red = encodeSolid(kRed), blue = encodeSolid(kBlue);
  CompositorSettings s;
  s.id = 10;
  s.key = "test/single";
  s.width = kPw;
  s.height = kPh;
  s.fps = 15;
  s.kbps = 300;
  s.preset = "ultrafast";
  Scene scene;
  scene.layers = SceneSpec{{LayoutKind::Single, {}}, {}}.resolved(9);
  scene.policy = StallPolicy{5000, 5000};
  auto state = std::make_shared<CompositorState>(
      s, libs(), [](MixerEvent) { return true; }, 2, scene);
  WorkerThread pgm(
      "t-pgm", [state] { Compositor(*state).run(); }, [] {});
  WorkerThread in0(
      "t-in0", [state] { InputDecoder(*state, 0).run(); }, [] {});
  WorkerThread in1(
      "t-in1", [state] { InputDecoder(*state, 1).run(); }, [] {});
  BOOST_TEST((static_cast<InputShow>(state->slots[1]->shown.load()) == InputShow::Slate));
  for (size_t slot = 0; slot < 2; ++slot) {
    const Input& in = slot == 0 ? red : blue;
    InputItem config{EncodedUnit{core::SharedBuffer::copyOf(in.avcC), 0, 0, true}, true};
    BOOST_REQUIRE(state->slots[slot]->queue.tryPush(config));
    InputItem item{in.units[0], false};
    BOOST_REQUIRE(state->slots[slot]->queue.tryPush(item));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto shown1 = static_cast<InputShow>(state->slots[1]->shown.load());
  state->stopAll();
  while (!pgm.tryJoin() || !in0.tryJoin() || !in1.tryJoin())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_TEST(state->slots[1]->framesIn.load() == 1u);
  BOOST_TEST((shown1 == InputShow::Live));
}

BOOST_AUTO_TEST_CASE(a_cropped_layer_and_the_preview_stream_from_one_decoder) {
  // The input: red on the left, blue on the right. The program shows its right half
  // stretched over the canvas (all blue); the preview (160x90, 10 fps, rung 1) shows
  // all of it. One decoder thread scales it for both.
  const Input split = encodeSolid(kRed, kBlue);
  struct Out {
    std::mutex mutex;
    std::map<size_t, std::vector<uint8_t>> avcC;
    std::map<size_t, std::vector<EncodedUnit>> units;
  };
  auto out = std::make_shared<Out>();
  CompositorSettings s;
  s.id = 11;
  s.key = "test/crop";
  s.width = kPw;
  s.height = kPh;
  s.fps = 15;
  s.kbps = 300;
  s.preset = "ultrafast";
  s.previewWidth = 160;
  s.previewHeight = 90;
  s.previewFps = 10;
  Scene scene;
  LayerSpec crop;
  crop.crop = {0.5, 0, 0.5, 1};
  crop.fit = LayerFit::Stretch;
  scene.layers = {crop};
  scene.preview = {LayerSpec{}};
  scene.policy = StallPolicy{5000, 5000};
  auto state = std::make_shared<CompositorState>(
      s, libs(),
      [out](MixerEvent e) {
        std::lock_guard lock(out->mutex);
        if (auto* u = std::get_if<EncodedUnit>(&e.body)) out->units[e.rung].push_back(*u);
        if (auto* c = std::get_if<RungConfig>(&e.body)) out->avcC[e.rung] = c->avcC;
        if (auto* err = std::get_if<StageError>(&e.body))
          BOOST_ERROR(err->stage + ": " + err->reason);
        return true;
      },
      1, scene);
  WorkerThread pgm(
      "t-pgm", [state] { Compositor(*state).run(); }, [] {});
  WorkerThread pvw(
      "t-pvw", [state] { Compositor(*state, true).run(); }, [] {});
  WorkerThread in(
      "t-in0", [state] { InputDecoder(*state, 0).run(); }, [] {});
  InputItem config{EncodedUnit{core::SharedBuffer::copyOf(split.avcC), 0, 0, true}, true};
  BOOST_REQUIRE(state->slots[0]->queue.tryPush(config));
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(state->slots[0]->queue.tryPush({split.units[i]}));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  state->stopAll();
  while (!pgm.tryJoin() || !pvw.tryJoin() || !in.tryJoin())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::lock_guard lock(out->mutex);
  std::string error;
  auto last = [&](size_t rung) {
    auto dec = VideoDecoder::open(api(), core::Codec::H264, out->avcC[rung], 1, error);
    BOOST_REQUIRE_MESSAGE(dec, error);
    av::FramePtr f = av::makeFrame(api()), kept;
    for (const EncodedUnit& u : out->units[rung]) {
      BOOST_REQUIRE_MESSAGE(dec->send(u, error), error);
      while (dec->receive(f.get(), error) == CodecResult::Frame) {
        kept = av::makeFrame(api());
        api().av_frame_ref(kept.get(), f.get());
      }
    }
    BOOST_REQUIRE(kept);
    return kept;
  };
  av::FramePtr program = last(0), preview = last(1);
  BOOST_TEST(program->width == kPw);
  BOOST_TEST(near(meanYuv(program.get(), 20, 20, 140, 160), kBlue));  // the crop, stretched
  BOOST_TEST(near(meanYuv(program.get(), 180, 20, 300, 160), kBlue));
  BOOST_TEST(preview->width == 160);
  BOOST_TEST(preview->height == 90);
  BOOST_TEST(near(meanYuv(preview.get(), 10, 20, 70, 70), kRed));  // all of it
  BOOST_TEST(near(meanYuv(preview.get(), 90, 20, 150, 70), kBlue));
  BOOST_TEST(out->units[1].size() < out->units[0].size());  // 10 fps against 15
}
