// The caster end to end on a real loop and real codecs: a synthetic 320x240 H.264
// source published into the hub, a Mixer pipeline with two rungs, the rungs read
// back as derived streams. Runs under ThreadSanitizer too (scripts/test).
#include "mixer/mixer.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "av/av_libraries.hpp"
#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "core/format/avc_config.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/video_encoder.hpp"
#include "tests/unit/run_loop.hpp"

using namespace core;

namespace {

constexpr int kW = 320;
constexpr int kH = 240;
constexpr int kFrames = 90;  // 3 s at 30 fps
constexpr int kGop = 30;     // a source keyframe each second

struct Collector : MediaSink {
  std::vector<MediaPacket> video, audio, data, metadata;
  std::vector<uint8_t> avcC;
  bool ended = false;
  void onPacket(const MediaPacket& p) override {
    if (p.isVideo() && p.config)
      avcC.assign(p.payload.span().begin(), p.payload.span().end());
    else if (p.isVideo())
      video.push_back(p);
    else if (p.isAudio())
      audio.push_back(p);
    else if (p.config)
      metadata.push_back(p);
    else
      data.push_back(p);
  }
  void onStreamEnd(std::string_view) override { ended = true; }
  std::set<int64_t> keys() const {
    std::set<int64_t> k;
    for (const auto& p : video)
      if (p.keyframe) k.insert(p.pts);
    return k;
  }
};

// The source: kFrames of a moving gradient, encoded by the caster's own encoder.
struct Source {
  std::vector<uint8_t> avcC;
  std::vector<mixer::EncodedUnit> units;
};

Source makeSource(const av::FilterApi& api) {
  mixer::X264Settings x;
  x.preset = "ultrafast";
  x.tune = "zerolatency";
  x.bitRate = 400000;
  x.maxRate = 440000;
  x.bufSize = 600000;
  x.gop = 300;
  x.keyintMin = 300;
  std::string error;
  auto enc = mixer::VideoEncoder::open(api, {kW, kH, 30, x}, error);
  BOOST_REQUIRE_MESSAGE(enc, error);
  Source s;
  s.avcC = enc->avcConfig();
  auto take = [&] {
    mixer::EncodedUnit u;
    while (enc->receive(u, error) == mixer::VideoEncoder::Result::Frame) s.units.push_back(u);
  };
  for (int i = 0; i < kFrames; ++i) {
    av::FramePtr f = av::makeFrame(api);
    f->width = kW;
    f->height = kH;
    f->format = AV_PIX_FMT_YUV420P;
    BOOST_REQUIRE(api.av_frame_get_buffer(f.get(), 0) == 0);
    for (int y = 0; y < kH; ++y)
      for (int x0 = 0; x0 < kW; ++x0) f->data[0][y * f->linesize[0] + x0] = uint8_t(x0 + y + i * 3);
    for (int p = 1; p < 3; ++p)
      for (int y = 0; y < kH / 2; ++y) memset(f->data[p] + y * f->linesize[p], 128, kW / 2);
    f->pts = 1000 + i * 1000 / 30;
    BOOST_REQUIRE_MESSAGE(enc->send(f.get(), i % kGop == 0, error), error);
    take();
  }
  BOOST_REQUIRE(enc->flush(error));
  take();
  BOOST_REQUIRE_EQUAL(s.units.size(), size_t(kFrames));
  return s;
}

const av::FilterApi& api(av::Libraries& libs) {
  std::string error;
  const av::FilterApi* t = libs.filter(error);
  BOOST_REQUIRE_MESSAGE(t, error);
  return *t;
}

MediaPacket videoPacket(const mixer::EncodedUnit& u) {
  MediaPacket p;
  p.kind = MediaKind::Video;
  p.codec = Codec::H264;
  p.dts = u.dts;
  p.pts = u.pts;
  p.keyframe = u.key;
  p.payload = u.payload;
  return p;
}

MediaPacket videoConfig(const Source& src, int64_t dts) {
  MediaPacket p;
  p.kind = MediaKind::Video;
  p.codec = Codec::H264;
  p.config = true;
  p.dts = p.pts = dts;
  p.payload = SharedBuffer::copyOf(src.avcC);
  return p;
}

MixerConfig config() {
  MixerConfig c;
  c.threads = 2;
  c.queueFrames = 120;  // the test pushes all its frames at once
  return c;
}

mixer::PipelineSpec ladder() {
  mixer::PipelineSpec spec;
  spec.preset = "ultrafast";
  spec.rungs = {{180, 0, 30, 300, "", {}}, {120, 0, 30, 150, "", {}}};
  return spec;
}

// kFrames' worth of AAC (a 440 Hz tone, 44.1 kHz stereo) from libavcodec's encoder:
// the AudioSpecificConfig and each frame with its pts in ms from `startMs`.
struct AudioSource {
  std::vector<uint8_t> asc;
  std::vector<std::pair<int64_t, SharedBuffer>> frames;
};

AudioSource makeAudioSource(const av::FilterApi& api, int64_t startMs) {
  const AVCodec* codec = api.avcodec_find_encoder_by_name("aac");
  BOOST_REQUIRE(codec);
  av::CodecContextPtr ctx = av::makeCodecContext(api, codec);
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  ctx->sample_rate = 44100;
  api.av_channel_layout_default(&ctx->ch_layout, 2);
  ctx->bit_rate = 96000;
  ctx->time_base = {1, 44100};
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  BOOST_REQUIRE(api.avcodec_open2(ctx.get(), codec, nullptr) >= 0);
  AudioSource out;
  out.asc.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  av::PacketPtr pkt = av::makePacket(api);
  av::FramePtr frame = av::makeFrame(api);
  auto drain = [&] {
    while (api.avcodec_receive_packet(ctx.get(), pkt.get()) >= 0) {
      out.frames.emplace_back(startMs + pkt->pts * 1000 / 44100,
                              SharedBuffer::copyOf(std::span<const uint8_t>(pkt->data, pkt->size)));
      api.av_packet_unref(pkt.get());
    }
  };
  for (int at = 0; at < 44100 * kFrames / 30; at += ctx->frame_size) {
    frame->nb_samples = ctx->frame_size;
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->sample_rate = 44100;
    api.av_channel_layout_default(&frame->ch_layout, 2);
    BOOST_REQUIRE(api.av_frame_get_buffer(frame.get(), 0) >= 0);
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < frame->nb_samples; ++i)
        reinterpret_cast<float*>(frame->data[c])[i] =
            float(0.5 * std::sin(2 * 3.14159265358979 * 440 * (at + i) / 44100));
    frame->pts = at;
    BOOST_REQUIRE(api.avcodec_send_frame(ctx.get(), frame.get()) >= 0);
    api.av_frame_unref(frame.get());
    drain();
  }
  BOOST_REQUIRE(api.avcodec_send_frame(ctx.get(), nullptr) >= 0);
  drain();
  return out;
}

MediaPacket audioPacket(int64_t ms, SharedBuffer bytes, bool config) {
  MediaPacket p;
  p.kind = MediaKind::Audio;
  p.codec = Codec::AAC;
  p.config = config;
  p.dts = p.pts = ms;
  p.payload = std::move(bytes);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_pipeline_publishes_aligned_rungs_and_drains_when_the_source_leaves) {
  av::Libraries libs;
  const Source src = makeSource(api(libs));
  EventLoop loop;
  StreamOptions options;
  options.reconnectGraceMs = 60000;
  StreamRegistry registry(loop, options);
  const MixerConfig cfg = config();
  mixer::Mixer mixer(loop, registry, libs, cfg);
  registry.addObserver(&mixer);

  std::string error;
  auto lease = registry.publish("live", "src", "test", nullptr, error);
  BOOST_REQUIRE(lease);
  auto created = mixer.create("live", "src", ladder(), "test");
  BOOST_REQUIRE_MESSAGE(created.pipeline, created.error);
  BOOST_TEST(mixer.create("live", "src", ladder(), "test").status == 409);

  lease->push(videoConfig(src, 1000));
  BOOST_TEST(registry.find("live/src_180p") != nullptr);  // published at the config
  Collector r180, r120;
  auto s180 = registry.subscribe("live", "src_180p", r180, "test");
  auto s120 = registry.subscribe("live", "src_120p", r120, "test");
  BOOST_REQUIRE(s180 && s120);
  BOOST_TEST(registry.find("live/src_120p")->groupKey() == "live/src");
  BOOST_TEST(registry.find("live/src_120p")->derived());

  std::set<int64_t> sourceKeys;
  const int64_t eventAt = src.units[45].dts;
  for (const auto& u : src.units) {
    if (u.dts == eventAt) {  // a room event at this picture's time
      MediaPacket event;
      event.codec = Codec::RoomEvent;
      event.dts = event.pts = eventAt;
      event.payload = SharedBuffer::copyOf(std::string_view("danmaku"));
      BOOST_REQUIRE(registry.injectData("live/src", event));
    }
    lease->push(videoPacket(u));
    if (u.key) sourceKeys.insert(u.pts);
  }
  BOOST_TEST(sourceKeys.size() == size_t(kFrames / kGop));
  // Most frames come out while the source is live (the encoders hold a few).
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return r120.video.size() >= 80; }, 20000));

  // The publisher leaves: every frame still queued comes out, then the rungs wait.
  lease->release("test done");
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return created.pipeline->state() == mixer::Pipeline::State::Waiting; }, 20000));
  for (Collector* c : {&r180, &r120}) {
    BOOST_TEST(c->video.size() == size_t(kFrames));
    BOOST_TEST(c->keys() == sourceKeys);  // aligned with the source and each other
    std::set<int64_t> pts;
    for (const auto& p : c->video) pts.insert(p.pts);
    BOOST_TEST(*pts.begin() == src.units.front().pts);
  }
  // The room event rides in each rung at its own time (the source's clock).
  for (Collector* c : {&r180, &r120}) {
    BOOST_REQUIRE_EQUAL(c->data.size(), 1u);
    BOOST_TEST((c->data[0].codec == Codec::RoomEvent));
    BOOST_TEST(c->data[0].dts == eventAt);
    BOOST_TEST(c->data[0].payload.view() == "danmaku");
  }
  BOOST_TEST(r180.metadata.size() == 1u);  // the rung's own onMetaData
  auto info = parseAvcDecoderConfig(r180.avcC);
  BOOST_REQUIRE(info);
  BOOST_TEST(info->width == 240);
  BOOST_TEST(info->height == 180);
  info = parseAvcDecoderConfig(r120.avcC);
  BOOST_REQUIRE(info);
  BOOST_TEST(info->width == 160);
  BOOST_TEST(info->height == 120);
  const auto j = created.pipeline->describe();
  BOOST_TEST(j["state"] == "waiting");
  s180.reset();
  s120.reset();
}

BOOST_AUTO_TEST_CASE(a_viewers_keyframe_request_keys_the_next_frame_of_every_rung) {
  av::Libraries libs;
  const Source src = makeSource(api(libs));
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  const MixerConfig cfg = config();
  mixer::Mixer mixer(loop, registry, libs, cfg);
  std::string error;
  auto lease = registry.publish("live", "src", "test", nullptr, error);
  auto created = mixer.create("live", "src", ladder(), "test");
  BOOST_REQUIRE(created.pipeline);
  lease->push(videoConfig(src, 0));
  Collector r180, r120;
  auto s180 = registry.subscribe("live", "src_180p", r180, "test");
  auto s120 = registry.subscribe("live", "src_120p", r120, "test");
  for (int i = 0; i < 45; ++i) lease->push(videoPacket(src.units[i]));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return r120.video.size() == 45 && r180.video.size() == 45; }, 20000));
  // A viewer of one rung asks (a WebRTC viewer after loss, say): all rungs key.
  BOOST_TEST(registry.requestKeyframe("live/src_120p", "test"));
  for (int i = 45; i < kFrames; ++i) lease->push(videoPacket(src.units[i]));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return r120.video.size() == size_t(kFrames); }, 20000));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return r180.video.size() == size_t(kFrames); }, 20000));
  const std::set<int64_t> expected = {src.units[0].pts, src.units[30].pts, src.units[45].pts,
                                      src.units[60].pts};
  BOOST_TEST(r120.keys() == expected);
  BOOST_TEST(r180.keys() == expected);
  s180.reset();
  s120.reset();
}

BOOST_AUTO_TEST_CASE(a_full_input_queue_drops_to_the_next_source_key_and_rungs_stay_decodable) {
  // Overload: the source arrives in bursts of 10 frames into queues of 2. The loop
  // never waits: what does not fit is dropped up to the next source keyframe (not
  // just until the queue has room again), so every run of frames a rung gets
  // starts with a key.
  av::Libraries libs;
  const Source src = makeSource(api(libs));
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  MixerConfig cfg = config();
  cfg.queueFrames = 2;
  mixer::Mixer mixer(loop, registry, libs, cfg);
  std::string error;
  auto lease = registry.publish("live", "src", "test", nullptr, error);
  auto created = mixer.create("live", "src", ladder(), "test");
  BOOST_REQUIRE(created.pipeline);
  lease->push(videoConfig(src, 0));
  Collector r120;
  auto s120 = registry.subscribe("live", "src_120p", r120, "test");
  for (size_t i = 0; i < src.units.size(); ++i) {
    lease->push(videoPacket(src.units[i]));
    if (i % 10 == 9) testing_loop::runFor(loop, 150);  // the workers catch up
  }
  const auto j = created.pipeline->describe();
  lease->release("test done");
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return created.pipeline->state() == mixer::Pipeline::State::Waiting; }, 20000));
  BOOST_TEST(j["input"]["dropped_units"].get<uint64_t>() > 0u);
  BOOST_REQUIRE(!r120.video.empty());
  BOOST_TEST(r120.video.size() < size_t(kFrames));
  // Each run of consecutive source frames a rung got starts with a key.
  std::map<int64_t, size_t> index;
  for (size_t i = 0; i < src.units.size(); ++i) index[src.units[i].pts] = i;
  std::optional<size_t> previous;
  for (const auto& p : r120.video) {
    BOOST_REQUIRE(index.count(p.pts));
    const size_t i = index[p.pts];
    if (!previous || i != *previous + 1) BOOST_TEST(p.keyframe, "frame " << i << " after a gap");
    previous = i;
  }
  s120.reset();
}

BOOST_AUTO_TEST_CASE(a_source_that_is_not_h264_fails_the_pipeline_with_the_reason) {
  av::Libraries libs;
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  const MixerConfig cfg = config();
  mixer::Mixer mixer(loop, registry, libs, cfg);
  std::string error;
  auto lease = registry.publish("live", "old", "test", nullptr, error);
  auto created = mixer.create("live", "old", ladder(), "test");
  BOOST_REQUIRE(created.pipeline);
  MediaPacket config;
  config.kind = MediaKind::Video;
  config.codec = Codec::H265;
  config.config = true;
  config.payload = SharedBuffer::copyOf(std::string_view("\x01\x02\x03"));
  lease->push(config);
  BOOST_TEST(std::string(toString(created.pipeline->state())) == "failed");
  BOOST_TEST(created.pipeline->describe()["error"].get<std::string>().find("cannot decode h265") !=
             std::string::npos);
  BOOST_TEST(registry.find("live/old_180p") == nullptr);
  BOOST_TEST(mixer.create("live", "none", ladder(), "test").status == 404);
}

BOOST_AUTO_TEST_CASE(audio_aac_is_transcoded_on_its_own_thread_into_every_rung) {
  // audio "aac": the source's AAC decoded once on the audio thread and encoded at
  // audio_kbps; each rung gets the one AAC stream (its config first), behind video.
  av::Libraries libs;
  const Source src = makeSource(api(libs));
  const AudioSource audio = makeAudioSource(api(libs), 1000);
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  const MixerConfig cfg = config();
  mixer::Mixer mixer(loop, registry, libs, cfg);
  std::string error;
  auto lease = registry.publish("live", "src", "test", nullptr, error);
  mixer::PipelineSpec spec = ladder();
  spec.audio = mixer::AudioMode::Aac;
  spec.audioKbps = 64;
  auto created = mixer.create("live", "src", spec, "test");
  BOOST_REQUIRE(created.pipeline);
  lease->push(videoConfig(src, 1000));
  lease->push(audioPacket(1000, SharedBuffer::copyOf(audio.asc), true));
  Collector r180, r120;
  auto s180 = registry.subscribe("live", "src_180p", r180, "test");
  auto s120 = registry.subscribe("live", "src_120p", r120, "test");
  // Interleaved by time, as a publisher sends them.
  size_t a = 0;
  for (const auto& u : src.units) {
    for (; a < audio.frames.size() && audio.frames[a].first <= u.dts; ++a)
      lease->push(audioPacket(audio.frames[a].first, audio.frames[a].second, false));
    lease->push(videoPacket(u));
  }
  const size_t fed = a;  // audio past the last picture waits for more video
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return r120.video.size() == size_t(kFrames); }, 20000));
  const auto j = created.pipeline->describe();  // while it runs
  lease->release("test done");
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return created.pipeline->state() == mixer::Pipeline::State::Waiting; }, 20000));
  for (Collector* c : {&r180, &r120}) {
    BOOST_REQUIRE(!c->audio.empty());
    BOOST_TEST(c->audio.front().config);  // the encoder's AudioSpecificConfig first
    size_t frames = 0;
    int64_t last = INT64_MIN;
    for (const auto& p : c->audio) {
      BOOST_TEST((p.codec == Codec::AAC));
      if (p.config) continue;
      ++frames;
      BOOST_TEST(p.dts >= last);
      last = p.dts;
    }
    // AAC frames of 1024 samples at the source's 44.1 kHz: no more than went in (the
    // encoder's priming adds one or two), and they cover the picture: a rung holds
    // audio behind its video, so the tail past the last picture may stay held when
    // the source leaves (how much depends on the threads' timing).
    BOOST_TEST(frames <= fed + 3);
    BOOST_TEST(last >= src.units.back().dts - 250);
    BOOST_TEST(c->audio[1].dts >= 1000 - 50);
  }
  // Encoded anew (not the source's bytes passed through), once for both rungs: a
  // frame of one time is the same bytes in both (each rung starts its audio at its
  // own first picture, so the first frame or two may be in one only).
  std::set<std::string> source;
  for (const auto& [ms, bytes] : audio.frames) source.insert(std::string(bytes.view()));
  std::map<int64_t, std::string> by180;
  for (const auto& p : r180.audio)
    if (!p.config) by180[p.dts] = std::string(p.payload.view());
  size_t common = 0;
  for (const auto& p : r120.audio) {
    if (p.config || !by180.count(p.dts)) continue;
    ++common;
    BOOST_TEST(by180[p.dts] == std::string(p.payload.view()), "frame at " << p.dts);
    BOOST_TEST(!source.count(by180[p.dts]));
  }
  BOOST_TEST(common + 10 >= fed);
  BOOST_TEST(j["audio"]["mode"] == "aac");
  BOOST_TEST(j["audio"]["transcoding"] == true);
  BOOST_TEST(j["audio"]["frames_out"].get<uint64_t>() > 0u);
  BOOST_TEST(j["audio"]["thread"].get<std::string>().ends_with("-aac"));
  s180.reset();
  s120.reset();
}

BOOST_AUTO_TEST_CASE(the_webrtc_rendition_is_shared_source_sized_and_stops_after_its_grace) {
  av::Libraries libs;
  const Source src = makeSource(api(libs));
  EventLoop loop;
  StreamRegistry registry(loop, StreamOptions{});
  const MixerConfig cfg = config();
  mixer::Mixer mixer(loop, registry, libs, cfg);
  std::string error;
  BOOST_TEST(!mixer.holdWebrtcRendition("live/src", error));  // not live
  BOOST_TEST(error == "live/src is not a live source");
  auto lease = registry.publish("live", "src", "test", nullptr, error);
  BOOST_REQUIRE(lease);
  auto first = mixer.holdWebrtcRendition("live/src", error);
  BOOST_REQUIRE_MESSAGE(first, error);
  BOOST_TEST(first->key() == "live/src_webrtc");
  auto second = mixer.holdWebrtcRendition("live/src", error);
  BOOST_REQUIRE(second);
  BOOST_TEST(mixer.webrtcRenditions() == 1u);  // one for both viewers
  lease->push(videoConfig(src, 0));
  Collector r;
  auto sub = registry.subscribe("live", "src_webrtc", r, "test");
  BOOST_REQUIRE(sub);
  for (int i = 0; i < 40; ++i) lease->push(videoPacket(src.units[i]));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return r.video.size() >= 30; }, 20000));
  auto info = parseAvcDecoderConfig(r.avcC);
  BOOST_REQUIRE(info);
  BOOST_TEST(info->width == kW);  // the source's size
  BOOST_TEST(info->height == kH);
  for (const auto& p : r.video) BOOST_TEST(p.pts == p.dts);  // no B-frames
  // Both viewers leave: it goes after the grace period, not at once.
  first.reset();
  second.reset();
  BOOST_TEST(mixer.webrtcRenditions() == 1u);
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return mixer.webrtcRenditions() == 0; }, mixer::Mixer::kWebrtcGraceMs + 3000));
  sub.reset();
  MixerConfig off = config();
  off.enabled = false;
  mixer::Mixer disabled(loop, registry, libs, off);
  BOOST_TEST(!disabled.holdWebrtcRendition("live/src", error));
  BOOST_TEST(error == "the mixer is off (mixer.enabled)");
}
