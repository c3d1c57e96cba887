#include "mixer/audio_variant.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "av/av_libraries.hpp"
#include "mixer/audio_transcoder.hpp"
#include "mixer/bounded_queue.hpp"

namespace mixer {

// What a run's thread shares with the loop: fixed settings, the frame queue, the
// stop flag and counters (relaxed: stats only).
struct VariantRunState {
  VariantRunState(uint64_t i, std::string k, core::Codec s, core::Codec t, std::vector<uint8_t> c,
                  int b, av::Libraries& l, std::function<bool(MixerEvent)> p)
      : id(i),
        key(std::move(k)),
        source(s),
        target(t),
        config(std::move(c)),
        kbps(b),
        libs(l),
        post(std::move(p)),
        queue(AudioVariant::kQueueFrames) {}
  const uint64_t id;
  const std::string key;
  const core::Codec source, target;
  const std::vector<uint8_t> config;  // AAC: the source's AudioSpecificConfig
  const int kbps;
  av::Libraries& libs;
  const std::function<bool(MixerEvent)> post;
  BoundedQueue<EncodedAudio> queue;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> framesIn{0}, framesOut{0}, refused{0};
};

namespace {

constexpr uint64_t kVariantLoggedRefusals = 5;

void variantPost(VariantRunState& s, MixerEvent::Body body) {
  s.post(MixerEvent{s.id, kAudioStage, false, std::move(body)});
}

// The body of a run's thread: open the transcoder, then frames until told to stop.
void variantWork(VariantRunState& s) {
  std::string error;
  const av::FilterApi* api = s.libs.filter(error);
  std::unique_ptr<AudioTranscoder> t;
  if (api) t = AudioTranscoder::open(*api, s.source, s.config, s.kbps, error, 0, s.target);
  if (!t) return variantPost(s, StageError{"audio variant", error});
  variantPost(s, AudioConfig{t->audioSpecificConfig()});
  while (true) {
    std::optional<EncodedAudio> in = s.queue.pop(s.stop);
    if (s.stop.load(std::memory_order_acquire)) return;
    if (!in) continue;
    s.framesIn.fetch_add(1, std::memory_order_relaxed);
    std::string why;
    if (!t->send(in->payload, in->pts, why)) {
      // A corrupt frame costs itself, not the variant.
      const uint64_t n = s.refused.fetch_add(1, std::memory_order_relaxed);
      if (n < kVariantLoggedRefusals)
        spdlog::warn("audio variant {}: frame at {} ms refused: {}", s.key, in->pts, why);
    }
    for (;;) {
      EncodedAudio out;
      const CodecResult r = t->receive(out, error);
      if (r == CodecResult::Failed) return variantPost(s, StageError{"audio variant", error});
      if (r != CodecResult::Frame) break;
      s.framesOut.fetch_add(1, std::memory_order_relaxed);
      variantPost(s, std::move(out));
    }
  }
}

}  // namespace

AudioVariant::AudioVariant(Context& ctx, std::string app, std::string name)
    : ctx_(ctx),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(core::StreamRegistry::makeKey(app_, name_)),
      linger_(ctx.loop, [this] {
        if (demanded_ || wanted()) return;
        stop("no WHEP viewer for " + std::to_string(ctx_.lingerMs) + " ms");
        ctx_.ended();
      }) {}

AudioVariant::~AudioVariant() {
  endRun("removed");
}

bool AudioVariant::start(std::string& error) {
  sub_ = ctx_.registry.subscribe(app_, name_, *this, "");
  if (!sub_) {
    error = "no stream " + key_ + " is live";
    ended_ = true;
    return false;
  }
  return true;
}

void AudioVariant::stop(std::string_view reason) {
  endRun(reason);
  linger_.stop();
  sub_.reset();
  ended_ = true;
}

void AudioVariant::setDemanded(bool demanded) {
  demanded_ = demanded;
  if (demanded)
    linger_.stop();
  else
    linger_.start(ctx_.lingerMs);
}

core::Codec AudioVariant::targetOf(core::Codec source) {
  switch (source) {
    case core::Codec::Opus:
      return core::Codec::AAC;
    case core::Codec::AAC:
    case core::Codec::Mp3:
      return core::Codec::Opus;
    default:
      return core::Codec::Unknown;
  }
}

bool AudioVariant::wanted() const {
  if (demanded_) return true;
  // NOTE: a WHIP publisher's Opus always gets its AAC: RTMP/HLS viewers may come at
  // any time and a recording starts at publish.
  const core::Stream* s = ctx_.registry.find(key_);
  return s && s->origin() == core::StreamOrigin::WebRtc;
}

void AudioVariant::startRun(core::Codec source) {
  if (failed_ || run_ || ended_ || !wanted()) return;
  const core::Codec target = targetOf(source);
  if (target == core::Codec::Unknown) return;
  if (source == core::Codec::AAC && aacConfig_.empty()) return;  // its decoder needs it
  const int kbps = target == core::Codec::AAC ? ctx_.aacKbps : ctx_.opusKbps;
  const uint64_t id = ctx_.route(this);
  run_ = std::make_shared<VariantRunState>(id, key_, source, target, aacConfig_, kbps, ctx_.libs,
                                           ctx_.post);
  target_ = target;
  dropped_ = 0;
  auto state = run_;
  thread_ = std::make_unique<WorkerThread>(
      "rc" + std::to_string(id % 100000) + "-av", [state] { variantWork(*state); },
      [state] { variantPost(*state, StageDone{}); });
  spdlog::info("audio variant {}: {} made from the publisher's {} at {} kbps ({})", key_,
               core::codecName(target), core::codecName(source), kbps,
               demanded_ ? "WHEP viewers want it" : "a WHIP publisher");
}

void AudioVariant::endRun(std::string_view why) {
  if (!run_) return;
  run_->stop.store(true, std::memory_order_release);
  run_->queue.wake();
  spdlog::info("audio variant {}: {} stopped ({}): {} frames in, {} out, {} dropped, {} refused",
               key_, core::codecName(target_), why, run_->framesIn.load(), run_->framesOut.load(),
               dropped_, run_->refused.load());
  ctx_.unroute(run_->id);
  ctx_.retire(std::move(thread_));
  run_.reset();
  target_ = core::Codec::Unknown;
  ctx_.registry.endAudioVariant(key_);
}

void AudioVariant::onStreamStart(const core::Stream& stream) {
  // A new publisher: its own config and codec; the variant restarts with its audio.
  endRun("new publisher");
  aacConfig_.clear();
  failed_ = false;
  // NOTE: a WHIP publisher announces Opus: its AAC config then reaches the hub
  // before the first picture, so HLS and the recorder start with an audio track.
  if (stream.hasPublisher() && stream.publisherAudioCodec() == core::Codec::Opus)
    startRun(core::Codec::Opus);
}

void AudioVariant::onPacket(const core::MediaPacket& packet) {
  if (ended_ || !packet.isAudio()) return;
  // NOTE: not sub_->stream(): the join burst comes inside subscribe().
  const core::Stream* s = ctx_.registry.find(key_);
  if (!s || packet.codec != s->publisherAudioCodec()) return;  // the variant itself
  if (run_ && run_->source != packet.codec) endRun("the publisher's audio codec changed");
  if (packet.config) {
    if (packet.codec != core::Codec::AAC) return;
    const auto bytes = packet.payload.span();
    if (run_ && !std::equal(bytes.begin(), bytes.end(), aacConfig_.begin(), aacConfig_.end()))
      endRun("new AAC configuration");
    aacConfig_.assign(bytes.begin(), bytes.end());
    return;
  }
  if (!run_) startRun(packet.codec);
  if (!run_) return;
  EncodedAudio frame{packet.payload, packet.dts};
  if (run_->queue.tryPush(frame)) return;
  // NOTE: the thread is behind: this frame is lost (a click), the loop never waits.
  if (dropped_++ % 100 == 0)
    spdlog::warn("audio variant {}: queue full, {} frames dropped so far", key_, dropped_);
}

void AudioVariant::onEvent(MixerEvent&& event) {
  if (!run_ || event.run != run_->id) return;
  if (auto* config = std::get_if<AudioConfig>(&event.body)) {
    if (config->asc.empty()) return;  // Opus: no config packet
    core::MediaPacket p;
    p.kind = core::MediaKind::Audio;
    p.codec = target_;
    p.config = true;
    const core::Stream* s = ctx_.registry.find(key_);
    p.dts = p.pts = s ? s->lastDts() : 0;
    p.payload = core::SharedBuffer::copyOf(config->asc);
    ctx_.registry.addAudioVariant(key_, std::move(p));
  } else if (auto* frame = std::get_if<EncodedAudio>(&event.body)) {
    core::MediaPacket p;
    p.kind = core::MediaKind::Audio;
    p.codec = target_;
    p.dts = p.pts = frame->pts;
    p.payload = std::move(frame->payload);
    ctx_.registry.addAudioVariant(key_, std::move(p));
  } else if (auto* error = std::get_if<StageError>(&event.body)) {
    spdlog::error("audio variant {}: {}: {}", key_, error->stage, error->reason);
    failed_ = true;  // until the next publisher
    endRun("failed");
  }
}

void AudioVariant::onPublisherGone(std::string_view) {
  endRun("publisher gone");
}

void AudioVariant::onStreamEnd(std::string_view reason) {
  endRun("stream ended");
  sub_.reset();
  linger_.stop();
  ended_ = true;
  ctx_.ended();
}

}  // namespace mixer
