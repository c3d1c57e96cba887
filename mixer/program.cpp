#include "mixer/program.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "mixer/compositor.hpp"
#include "mixer/input_decoder.hpp"

namespace mixer {

namespace {
constexpr size_t kProgramInputQueue = 256;  // units: ~3 s of 30 fps video and its AAC
}  // namespace

Program::Program(ProgramContext& ctx, uint64_t id, ProgramSpec spec)
    : ctx_(ctx),
      id_(id),
      spec_(std::move(spec)),
      sinceMs_(static_cast<int64_t>(ctx.loop.nowMs())),
      rateTimer_(ctx.loop, [this] { sampleRates(); }),
      fadeTimer_(ctx.loop, [this] { endFade(); }) {
  CompositorSettings s;
  s.id = id_;
  s.key = spec_.key();
  s.width = spec_.width;
  s.height = spec_.height;
  s.fps = spec_.fps;
  s.kbps = spec_.kbps;
  s.gopMs = spec_.gopMs;
  s.preset = spec_.preset;
  s.audioKbps = spec_.audioKbps;
  s.fontFile = ctx.fontFile;
  s.assetsDir = ctx.assetsDir;
  if (spec_.previewStream) {
    s.previewWidth = spec_.previewWidth;
    s.previewHeight = spec_.previewHeight;
    s.previewFps = spec_.previewFps;
  }
  s.danmaku = spec_.danmaku;
  // NOTE: units, not frames: a join burst (the hub's GOP cache, audio and video)
  // is taken whole rather than cut at the next keyframe.
  s.queueFrames = std::max<size_t>(ctx.queueFrames, kProgramInputQueue);
  state_ = std::make_shared<CompositorState>(std::move(s), ctx.libs, ctx.post, spec_.inputs.size(),
                                             sceneOf(spec_));
  for (size_t i = 0; i < spec_.inputs.size(); ++i)
    inputs_.push_back(std::make_unique<ProgramInput>(ctx.loop, ctx.registry, *state_->slots[i],
                                                     spec_.inputs[i], spec_.key(), i));
  inRates_.resize(spec_.inputs.size());
  if (spec_.danmaku)
    danmaku_ = std::make_unique<DanmakuFeed>(
        ctx.loop, ctx.registry, state_->danmaku,
        spec_.danmaku->room.empty() ? spec_.inputs.front().key() : spec_.danmaku->room,
        spec_.key());
  PlannedRung rung;
  rung.width = spec_.width;
  rung.height = spec_.height;
  rung.fps = spec_.fps;
  rung.kbps = spec_.kbps;
  output_ = std::make_unique<RungOutput>(ctx.registry, spec_.app, spec_.name, "", rung);
  if (spec_.previewStream) {
    PlannedRung small = rung;
    small.width = spec_.previewWidth;
    small.height = spec_.previewHeight;
    small.fps = spec_.previewFps;
    small.kbps = std::max(100, spec_.kbps / 8);
    preview_ =
        std::make_unique<RungOutput>(ctx.registry, spec_.app, spec_.name + "_preview", "", small);
    preview_->setVideoOnly(true);
  }
}

Program::~Program() {
  stop("program removed");
  // NOTE: the ProgramSet destroys a program only once tryReap() said its threads
  // returned (or at shutdown, when they were told to stop a frame ago).
  threads_.clear();
}

Scene Program::sceneOf(const ProgramSpec& spec) const {
  Scene s;
  s.layers = spec.scene.resolved(spec.inputs.size());
  s.preview = spec.preview.resolved(spec.inputs.size());
  if (fade_) {
    s.incoming = std::move(s.layers);
    s.layers = fade_->from;
    s.fadeStartMs = fade_->startMs;
    s.fadeMs = fade_->ms;
  }
  s.slateRgb = parseRgb(spec.slateColor).value_or(0x202040);
  s.slateText = spec.slateText;
  s.policy = StallPolicy{spec.stallMs, spec.repeatMs};
  for (const ProgramInputSpec& in : spec.inputs)
    s.gains.push_back(in.mute ? 0.0f : static_cast<float>(in.gain));
  return s;
}

bool Program::start(std::string& error) {
  std::weak_ptr<CompositorState> weak = state_;
  if (!output_->open(
          [weak] {
            if (auto s = weak.lock()) s->keyRequested.store(true, std::memory_order_relaxed);
          },
          error))
    return false;
  if (preview_ && !preview_->open(
                      [weak] {
                        if (auto s = weak.lock())
                          s->previewKeyRequested.store(true, std::memory_order_relaxed);
                      },
                      error)) {
    output_->close("its preview could not start");
    return false;
  }
  const std::string tag = "rcP" + std::to_string(id_);
  std::shared_ptr<CompositorState> state = state_;
  auto done = [state, id = id_] { state->post(MixerEvent{id, 0, false, StageDone{}}); };
  threads_.push_back(std::make_unique<WorkerThread>(
      tag + "-pgm", [state] { Compositor(*state).run(); }, done));
  if (preview_)
    threads_.push_back(std::make_unique<WorkerThread>(
        tag + "-pvw", [state] { Compositor(*state, true).run(); }, done));
  for (size_t i = 0; i < inputs_.size(); ++i)
    threads_.push_back(std::make_unique<WorkerThread>(
        tag + "-in" + std::to_string(i), [state, i] { InputDecoder(*state, i).run(); }, done));
  for (auto& in : inputs_) in->trySubscribe();
  if (danmaku_) danmaku_->trySubscribe();
  rateTimer_.start(1000, 1000);
  sampledAtMs_ = ctx_.loop.nowMs();
  spdlog::info("program {}: started, {} inputs, {}x{} {} fps, {}, preview {}", spec_.key(),
               inputs_.size(), spec_.width, spec_.height, spec_.fps,
               spec_.scene.layers.empty()
                   ? std::string(LayoutGeometry::name(spec_.scene.layout.kind))
                   : std::to_string(spec_.scene.layers.size()) + " layers",
               preview_ ? preview_->key() : std::string("off"));
  return true;
}

void Program::stop(std::string_view reason) {
  if (stopped_) return;
  stopped_ = true;
  rateTimer_.stop();
  fadeTimer_.stop();
  state_->stopAll();
  for (auto& in : inputs_) in->detach();
  if (danmaku_) danmaku_->detach();
  if (output_) output_->close(reason);
  if (preview_) preview_->close(reason);
}

bool Program::tryReap() {
  for (auto& t : threads_)
    if (!t->tryJoin()) return false;
  return true;
}

void Program::update(const ProgramSpec& spec) {
  for (size_t i = 0; i < inputs_.size() && i < spec.inputs.size(); ++i)
    inputs_[i]->retarget(spec.inputs[i]);
  spec_ = spec;
  state_->setScene(sceneOf(spec_));
}

bool Program::take(int fadeMs, std::string& error) {
  if (fade_) {
    error = "a fade is running";
    return false;
  }
  if (fadeMs > 0) {
    fade_ = Fade{spec_.scene.resolved(spec_.inputs.size()), compositorNowMs(), fadeMs};
    fadeTimer_.start(static_cast<uint64_t>(fadeMs));
  }
  spec_.scene = spec_.preview;
  state_->setScene(sceneOf(spec_));
  spdlog::info("program {}: take, {}", spec_.key(),
               fadeMs > 0 ? "fade " + std::to_string(fadeMs) + " ms" : std::string("cut"));
  return true;
}

void Program::endFade() {
  // NOTE: the compositor already paints the new scene alone once the ramp is over;
  // this only drops the old one (same sizes: the decoders' pictures still match).
  fade_.reset();
  state_->setScene(sceneOf(spec_));
}

void Program::onPublish(const core::Stream& stream) {
  if (stopped_) return;
  for (auto& in : inputs_)
    if (in->spec().key() == stream.key()) in->trySubscribe();
  if (danmaku_ && danmaku_->roomKey() == stream.key()) danmaku_->trySubscribe();
}

void Program::onPreviewEvent(MixerEvent&& event) {
  if (!preview_) return;
  if (auto* config = std::get_if<RungConfig>(&event.body)) {
    preview_->onVideoConfig(config->avcC);
  } else if (auto* unit = std::get_if<EncodedUnit>(&event.body)) {
    preview_->onVideo(*unit);
  } else if (auto* err = std::get_if<StageError>(&event.body)) {
    spdlog::error("program {}: preview: {}", spec_.key(), err->reason);
  }
}

void Program::onEvent(MixerEvent&& event) {
  if (stopped_) return;
  if (event.rung == 1) return onPreviewEvent(std::move(event));
  if (auto* config = std::get_if<RungConfig>(&event.body)) {
    output_->onVideoConfig(config->avcC);
  } else if (auto* unit = std::get_if<EncodedUnit>(&event.body)) {
    output_->onVideo(*unit);
  } else if (auto* asc = std::get_if<AudioConfig>(&event.body)) {
    core::MediaPacket p;
    p.kind = core::MediaKind::Audio;
    p.codec = core::Codec::AAC;
    p.config = true;
    p.payload = core::SharedBuffer::copyOf(asc->asc);
    output_->onAudio(p);
  } else if (auto* audio = std::get_if<EncodedAudio>(&event.body)) {
    core::MediaPacket p;
    p.kind = core::MediaKind::Audio;
    p.codec = core::Codec::AAC;
    p.dts = p.pts = audio->pts;
    p.payload = audio->payload;
    output_->onAudio(p);
  } else if (auto* err = std::get_if<StageError>(&event.body)) {
    error_ = err->stage + ": " + err->reason;
    spdlog::error("program {}: {}", spec_.key(), error_);
  }
}

void Program::sampleRates() {
  const uint64_t now = ctx_.loop.nowMs();
  const double seconds = (now - sampledAtMs_) / 1000.0;
  sampledAtMs_ = now;
  if (seconds <= 0) return;
  auto sample = [seconds](Rate& r, uint64_t frames) {
    r.fps = (frames - r.frames) / seconds;
    r.frames = frames;
  };
  sample(outRate_, state_->counters.framesOut.load(std::memory_order_relaxed));
  for (size_t i = 0; i < inRates_.size(); ++i)
    sample(inRates_[i], state_->slots[i]->framesIn.load(std::memory_order_relaxed));
}

nlohmann::json Program::describe() const {
  nlohmann::json j = spec_.toJson();
  const int64_t now = compositorNowMs();
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t i = 0; i < inputs_.size(); ++i) {
    InputSlot& slot = *state_->slots[i];
    const int64_t last = slot.lastFrameMs.load(std::memory_order_relaxed);
    std::string error;
    {
      std::lock_guard lock(slot.mutex);
      error = slot.error;
    }
    inputs.push_back(
        {{"stream", inputs_[i]->spec().key()},
         {"subscribed", inputs_[i]->subscribed()},
         {"state", StallPolicy::name(static_cast<InputShow>(slot.shown.load()))},
         {"frames_in", slot.framesIn.load(std::memory_order_relaxed)},
         {"fps_in", inRates_[i].fps},
         {"units_in", slot.unitsIn.load(std::memory_order_relaxed)},
         {"units_dropped", slot.unitsDropped.load(std::memory_order_relaxed)},
         {"decode_errors", slot.decodeErrors.load(std::memory_order_relaxed)},
         {"last_frame_age_ms", last == INT64_MIN ? nlohmann::json() : nlohmann::json(now - last)},
         {"width", slot.sourceWidth.load(std::memory_order_relaxed)},
         {"height", slot.sourceHeight.load(std::memory_order_relaxed)},
         {"audio",
          {{"frames_in", slot.audioIn.load(std::memory_order_relaxed)},
           {"dropped", slot.audioDropped.load(std::memory_order_relaxed)},
           {"errors", slot.audioErrors.load(std::memory_order_relaxed)},
           {"heard", state_->bus.stats(i).heard},
           {"queued_ms", state_->bus.stats(i).queued * 1000 / MixBus::kRate},
           {"underruns", state_->bus.stats(i).underruns},
           {"dropped_samples", state_->bus.stats(i).dropped}}},
         {"gain", inputs_[i]->spec().gain},
         {"mute", inputs_[i]->spec().mute},
         {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)}});
  }
  const CompositorCounters& c = state_->counters;
  const int64_t busyNs = c.busyNs.load(std::memory_order_relaxed);
  const int64_t mediaMs = c.mediaMs.load(std::memory_order_relaxed);
  j["inputs"] = std::move(inputs);
  j["output_stats"] = {
      {"frames", c.framesOut.load(std::memory_order_relaxed)},
      {"fps", outRate_.fps},
      {"skipped", c.skipped.load(std::memory_order_relaxed)},
      {"keyframes", c.keyframes.load(std::memory_order_relaxed)},
      {"last_pts", c.lastPts.load(std::memory_order_relaxed)},
      // Media time made per second of compose+encode time (1 = just real time).
      {"speed", busyNs > 0 ? mediaMs * 1e6 / static_cast<double>(busyNs) : 0.0},
      {"cpu_s", threads_.empty() ? 0.0 : threads_.front()->cpuSeconds()},
      {"units_out", output_ ? output_->unitsOut() : 0},
  };
  j["output_stats"]["audio_frames"] = c.audioFrames.load(std::memory_order_relaxed);
  if (danmaku_) {
    const DanmakuInbox& d = state_->danmaku;
    j["danmaku_stats"] = {{"room", danmaku_->roomKey()},
                          {"subscribed", danmaku_->subscribed()},
                          {"received", d.received.load(std::memory_order_relaxed)},
                          {"queue_dropped", d.queueDropped.load(std::memory_order_relaxed)},
                          {"shown", d.shown.load(std::memory_order_relaxed)},
                          {"dropped", d.dropped.load(std::memory_order_relaxed)},
                          {"on_screen", d.onScreen.load(std::memory_order_relaxed)}};
  }
  j["state"] = stopped_ ? "stopped" : (error_.empty() ? "running" : "failed");
  j["error"] = error_.empty() ? nlohmann::json() : nlohmann::json(error_);
  j["since_ms"] = sinceMs_;
  describePreview(j, now);
  return j;
}

void Program::describePreview(nlohmann::json& j, int64_t nowMs) const {
  const CompositorCounters& pc = state_->previewCounters;
  j["preview_stream"]["stream"] = preview_ ? nlohmann::json(preview_->key()) : nlohmann::json();
  j["preview_stream"]["frames"] = pc.framesOut.load(std::memory_order_relaxed);
  j["transition"] = nlohmann::json();
  if (fade_)
    j["transition"] = {
        {"type", "fade"},
        {"duration_ms", fade_->ms},
        {"progress", std::clamp(double(nowMs - fade_->startMs) / fade_->ms, 0.0, 1.0)}};
}

}  // namespace mixer
