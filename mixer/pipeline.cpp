#include "mixer/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mixer {

namespace {

constexpr size_t kIngressKept = 512;    // ~17 s of source frames at 30 fps
constexpr size_t kLatenciesKept = 300;  // ~10 s of a rung's frames

}  // namespace

const char* toString(Pipeline::State state) {
  switch (state) {
    case Pipeline::State::Starting:
      return "starting";
    case Pipeline::State::Running:
      return "running";
    case Pipeline::State::Draining:
      return "draining";
    case Pipeline::State::Waiting:
      return "waiting";
    case Pipeline::State::Failed:
      return "failed";
  }
  return "?";
}

Pipeline::Pipeline(PipelineContext& ctx, std::string app, std::string name, PipelineSpec spec,
                   std::string startedBy)
    : ctx_(ctx),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(core::StreamRegistry::makeKey(app_, name_)),
      spec_(std::move(spec)),
      startedBy_(std::move(startedBy)),
      sinceMs_(static_cast<int64_t>(ctx.loop.nowMs())),
      dropLog_([this] { return "caster " + key_; }, [&loop = ctx.loop] { return loop.nowMs(); }),
      rateTimer_(ctx.loop, [this] { sampleRates(); }) {}

Pipeline::~Pipeline() {
  if (run_) retireRun(/*drain=*/false);
  outputs_.clear();
  sub_.reset();
}

bool Pipeline::start(std::string& error) {
  sub_ = ctx_.registry.subscribe(app_, name_, *this, "");
  if (!sub_) {
    error = "no stream " + key_ + " is live";
    return false;
  }
  spdlog::info("caster {}: started ({}), {} rungs asked", key_, startedBy_, spec_.rungs.size());
  return true;
}

void Pipeline::stop(std::string_view reason) {
  if (run_) retireRun(/*drain=*/false);
  for (auto& [label, out] : outputs_) out->close(reason);
  runOutputs_.clear();
  sub_.reset();
  ended_ = true;
}

void Pipeline::onStreamStart(const core::Stream&) {
  // A new publisher brings its own config; the old run (if any) cannot decode it.
  if (run_) retireRun(/*drain=*/false);
  videoConfig_.reset();
  audioConfig_.reset();
  state_ = State::Starting;
  error_.clear();
  audioWarned_ = false;
}

void Pipeline::onPacket(const core::MediaPacket& packet) {
  if (ended_) return;
  switch (packet.kind) {
    case core::MediaKind::Video:
      if (packet.config)
        onVideoConfig(packet);
      else
        onVideo(packet);
      return;
    case core::MediaKind::Audio:
      onAudio(packet);
      return;
    case core::MediaKind::Data:
      // The source's onMetaData describes the source, not a rung: each rung has its own.
      if (packet.config) return;
      for (RungOutput* out : runOutputs_) out->onData(packet);
      return;
  }
}

void Pipeline::onVideoConfig(const core::MediaPacket& packet) {
  if (packet.codec != core::Codec::H264) {
    fail("decode", "cannot decode " + std::string(core::codecName(packet.codec)) +
                       ": the caster takes H.264");
    return;
  }
  if (videoConfig_ && videoConfig_->payload.span().size() == packet.payload.span().size() &&
      std::equal(packet.payload.span().begin(), packet.payload.span().end(),
                 videoConfig_->payload.span().begin()) &&
      run_)
    return;  // the same config again (a reconnect's burst): the run goes on
  if (run_) retireRun(/*drain=*/false);
  videoConfig_ = packet;
  std::string error;
  if (!startRun(error)) fail("plan", error);
}

void Pipeline::onAudio(const core::MediaPacket& packet) {
  if (packet.config) audioConfig_ = packet;
  // "copy" takes an AAC source as it is; "aac", or a source in another codec (MP3),
  // goes through the audio thread's AAC encoder.
  const bool aac = packet.codec == core::Codec::AAC;
  if (spec_.audio == AudioMode::Copy && aac) {
    for (RungOutput* out : runOutputs_) out->onAudio(packet);
    return;
  }
  if (!aac && packet.codec != core::Codec::Mp3) {
    if (!audioWarned_)
      spdlog::warn("caster {}: the source's audio is {}: the rungs carry no audio", key_,
                   core::codecName(packet.codec));
    audioWarned_ = true;
    return;
  }
  if (!run_ || state_ != State::Running || packet.config) return;
  if (!run_->hasAudio()) {
    if (aac && !audioConfig_) return;  // its decoder needs the AudioSpecificConfig
    std::vector<uint8_t> config;
    if (aac)
      config.assign(audioConfig_->payload.span().begin(), audioConfig_->payload.span().end());
    run_->startAudio(packet.codec, std::move(config), spec_.audioKbps);
  }
  if (!run_->feedAudio(EncodedAudio{packet.payload, packet.dts})) {
    ++audioDropped_;
    dropLog_.warn("audio queue full", "audio queue full at {} ms: frame dropped", packet.dts);
  }
}

void Pipeline::toRungsAudio(const std::vector<uint8_t>* asc, const EncodedAudio* frame) {
  core::MediaPacket p;
  p.kind = core::MediaKind::Audio;
  p.codec = core::Codec::AAC;
  if (asc) {
    p.config = true;
    p.payload = core::SharedBuffer::copyOf(*asc);
  } else {
    p.dts = p.pts = frame->pts;
    p.payload = frame->payload;
  }
  for (RungOutput* out : runOutputs_) out->onAudio(p);
}

void Pipeline::onVideo(const core::MediaPacket& packet) {
  if (packet.codec != core::Codec::H264 && state_ != State::Failed) {
    // A codec with no config packet (FLV1, VP6) shows itself only in its frames.
    fail("decode", "cannot decode " + std::string(core::codecName(packet.codec)) +
                       ": the caster takes H.264");
    return;
  }
  if (!run_ || state_ == State::Failed || state_ == State::Draining) return;
  if (waitKey_ && !packet.keyframe) return;
  waitKey_ = false;
  if (run_->feed(EncodedUnit{packet.payload, packet.dts, packet.pts, packet.keyframe})) {
    ingress_.emplace_back(packet.pts, ctx_.loop.nowMs());
    if (ingress_.size() > kIngressKept) ingress_.pop_front();
    return;
  }
  // NOTE: the decoder is behind: drop up to the next source keyframe (a decoder
  // cannot skip frames of a GOP); ingest and the source's viewers never wait.
  waitKey_ = true;
  ++inputDropped_;
  dropLog_.warn("input queue full", "input queue full at {} ms: dropping to the next keyframe",
                packet.pts);
}

bool Pipeline::startRun(std::string& error) {
  // NOTE: not sub_->stream(): the first config arrives inside subscribe(), before
  // sub_ is set.
  const core::Stream* source = ctx_.registry.find(key_);
  if (!source) {
    error = "the source is gone";
    return false;
  }
  const core::StreamInfo& info = source->info();
  auto plan = LadderPlanner::plan({info.width, info.height, info.fps}, spec_, ctx_.cpus, error);
  if (!plan) return false;
  for (const std::string& why : plan->dropped) spdlog::info("caster {}: {}", key_, why);

  RunSettings settings;
  settings.source = key_;
  settings.videoConfig.assign(videoConfig_->payload.span().begin(),
                              videoConfig_->payload.span().end());
  settings.plan = *plan;
  settings.spec = spec_;
  settings.fonts = ctx_.fonts;
  settings.decodeThreads = std::clamp(ctx_.cpus, 1, 2);
  settings.queueFrames = ctx_.queueFrames;

  // The rungs of this plan: kept open across runs so their viewers stay.
  runOutputs_.clear();
  for (const PlannedRung& rung : plan->rungs) {
    auto& out = outputs_[rung.label()];
    if (out && !(out->rung().width == rung.width && out->rung().kbps == rung.kbps)) {
      out->close("the ladder changed");
      out.reset();
    }
    if (!out)
      out =
          std::make_unique<RungOutput>(ctx_.registry, app_, name_ + "_" + rung.label(), key_, rung);
    if (!out->open([this] { requestKeyframe(); }, error)) return false;
    runOutputs_.push_back(out.get());
  }
  for (auto& [label, out] : outputs_)
    if (std::find(runOutputs_.begin(), runOutputs_.end(), out.get()) == runOutputs_.end())
      out->close("not in the ladder any more");

  settings.id = ctx_.newRun(this);
  run_ = std::make_unique<PipelineRun>(std::move(settings), ctx_.libs, ctx_.post);
  stagesDone_ = 0;
  waitKey_ = true;
  rates_.assign(run_->settings().plan.rungs.size() + 2, Rate{});
  latencies_.assign(run_->settings().plan.rungs.size(), {});
  ingress_.clear();
  sampledAtMs_ = ctx_.loop.nowMs();
  rateTimer_.start(1000, 1000);
  overlayApplied_ = overlayRevision_;  // the run starts with spec_.overlays
  audioError_.clear();
  overlayError_.clear();
  ++runs_;
  state_ = State::Running;
  error_.clear();
  sinceMs_ = static_cast<int64_t>(ctx_.loop.nowMs());
  spdlog::info("caster {}: run {} on {}x{}: {}", key_, run_->id(), info.width, info.height, [&] {
    std::string s;
    for (const PlannedRung& r : run_->settings().plan.rungs)
      s += (s.empty() ? "" : ", ") + std::to_string(r.width) + "x" + std::to_string(r.height) +
           "@" + std::to_string(r.kbps) + "k";
    return s;
  }());
  return true;
}

void Pipeline::retireRun(bool drain) {
  if (!run_) return;
  if (drain) {
    run_->endOfStream();
    state_ = State::Draining;
    return;  // finishRun() when every stage has ended
  }
  run_->abandon();
  rateTimer_.stop();
  ctx_.retire(std::move(run_));
  stagesDone_ = 0;
}

void Pipeline::finishRun() {
  rateTimer_.stop();
  ctx_.retire(std::move(run_));
  stagesDone_ = 0;
  for (RungOutput* out : runOutputs_) out->close("the source's publisher left");
  if (state_ != State::Failed) state_ = State::Waiting;
}

void Pipeline::onPublisherGone(std::string_view reason) {
  if (run_ && state_ == State::Running) {
    spdlog::info("caster {}: the source's publisher left ({}): draining", key_, reason);
    retireRun(/*drain=*/true);
  } else if (!run_ && state_ != State::Failed) {
    state_ = State::Waiting;
  }
}

void Pipeline::onStreamEnd(std::string_view reason) {
  spdlog::info("caster {}: the source ended ({})", key_, reason);
  if (run_) retireRun(/*drain=*/false);
  for (auto& [label, out] : outputs_) out->close(reason);
  runOutputs_.clear();
  ended_ = true;
  ctx_.ended();  // the Mixer removes us after this callback
}

void Pipeline::onEvent(MixerEvent&& event) {
  if (!run_ || event.run != run_->id()) return;
  if (auto* unit = std::get_if<EncodedUnit>(&event.body)) {
    if (RungOutput* out = output(event.rung)) out->onVideo(*unit);
    noteLatency(event.rung, unit->pts);
  } else if (auto* config = std::get_if<RungConfig>(&event.body)) {
    if (RungOutput* out = output(event.rung)) out->onVideoConfig(config->avcC);
  } else if (auto* audio = std::get_if<EncodedAudio>(&event.body)) {
    toRungsAudio(nullptr, audio);
  } else if (auto* asc = std::get_if<AudioConfig>(&event.body)) {
    toRungsAudio(&asc->asc, nullptr);
  } else if (auto* error = std::get_if<StageError>(&event.body)) {
    if (event.rung == kAudioStage) {  // the rungs go on without audio
      spdlog::warn("caster {}: audio: {}: the rungs carry no audio", key_, error->reason);
      audioError_ = error->reason;
    } else {
      fail(error->stage, error->reason);
    }
  } else if (auto* result = std::get_if<OverlayResult>(&event.body)) {
    if (result->revision > 0) overlayApplied_ = std::max(overlayApplied_, result->revision);
    overlayError_ = result->error;
    if (!result->error.empty())
      spdlog::warn("caster {}: overlays (revision {}): {}", key_, result->revision, result->error);
  } else if (std::holds_alternative<StageDone>(event.body)) {
    if (++stagesDone_ == run_->stages()) finishRun();
  }
}

RungOutput* Pipeline::output(size_t rung) {
  return rung < runOutputs_.size() ? runOutputs_[rung] : nullptr;
}

void Pipeline::fail(const std::string& stage, const std::string& reason) {
  spdlog::error("caster {}: {}: {}", key_, stage, reason);
  error_ = stage + ": " + reason;
  state_ = State::Failed;
  if (run_) retireRun(/*drain=*/false);
  for (RungOutput* out : runOutputs_) out->close("caster failed");
  runOutputs_.clear();
}

uint64_t Pipeline::setOverlays(std::vector<OverlaySpec> overlays) {
  ++overlayRevision_;
  if (run_ && state_ == State::Running) {
    const PlannedRung& top = run_->settings().plan.rungs.front();
    OverlayChange change =
        OverlaySet::diff(spec_.overlays, overlays, FrameSize{top.width, top.height});
    run_->postOverlays(OverlayUpdate{overlayRevision_, overlays, std::move(change)});
  } else {
    overlayApplied_ = overlayRevision_;  // the next run starts with them
    overlayError_.clear();
  }
  spec_.overlays = std::move(overlays);
  return overlayRevision_;
}

bool Pipeline::replaceSpec(PipelineSpec spec, std::string& error) {
  PipelineSpec old = std::move(spec_);
  spec_ = std::move(spec);
  if (!videoConfig_ || state_ == State::Waiting || state_ == State::Draining) return true;
  if (run_) retireRun(/*drain=*/false);
  if (startRun(error)) {
    spdlog::info("caster {}: the ladder changed: run {}", key_, run_->id());
    return true;
  }
  // NOTE: the new ladder cannot run on this source (all its rungs at or above the
  // source's height): the old one goes on.
  spec_ = std::move(old);
  std::string again;
  if (!startRun(again)) fail("plan", again);
  return false;
}

void Pipeline::requestKeyframe() {
  if (run_) run_->requestKeyframe();
}

void Pipeline::noteLatency(size_t rung, int64_t pts) {
  if (rung >= latencies_.size()) return;
  // NOTE: rung frames come in pts order a few frames behind the source: the match
  // is near the back.
  for (auto it = ingress_.rbegin(); it != ingress_.rend(); ++it) {
    if (it->first != pts) continue;
    auto& l = latencies_[rung];
    l.push_back(static_cast<int64_t>(ctx_.loop.nowMs() - it->second));
    if (l.size() > kLatenciesKept) l.pop_front();
    return;
  }
}

void Pipeline::sampleRates() {
  if (!run_) return;
  const uint64_t now = ctx_.loop.nowMs();
  const double seconds = static_cast<double>(now - sampledAtMs_) / 1000.0;
  if (seconds <= 0) return;
  sampledAtMs_ = now;
  const RunState& s = run_->state();
  auto sample = [&](const StageCounters& c, Rate& rate) {
    const uint64_t in = c.framesIn.load(std::memory_order_relaxed);
    const uint64_t out = c.framesOut.load(std::memory_order_relaxed);
    rate.fpsIn = static_cast<double>(in - rate.in) / seconds;
    rate.fpsOut = static_cast<double>(out - rate.out) / seconds;
    rate.in = in;
    rate.out = out;
  };
  sample(s.decode, rates_[0]);
  sample(s.filter, rates_[1]);
  for (size_t r = 0; r < s.lanes.size(); ++r) sample(s.lanes[r]->counters, rates_[r + 2]);
}

nlohmann::json Pipeline::stageJson(const StageCounters& c, size_t index,
                                   const WorkerThread* thread) const {
  const int64_t busy = c.busyNs.load(std::memory_order_relaxed);
  const int64_t media = c.mediaMs.load(std::memory_order_relaxed);
  const Rate rate = index < rates_.size() ? rates_[index] : Rate{};
  // NOTE: speed = media time processed per second of the stage's busy time: how many
  // times real time it could go if it had its own core.
  nlohmann::json j = {
      {"frames_in", c.framesIn.load(std::memory_order_relaxed)},
      {"frames_out", c.framesOut.load(std::memory_order_relaxed)},
      {"fps_in", rate.fpsIn},
      {"fps_out", rate.fpsOut},
      {"speed", busy > 0 ? static_cast<double>(media) * 1e6 / static_cast<double>(busy) : 0.0}};
  if (thread) {
    j["thread"] = thread->name();
    j["cpu_s"] = thread->cpuSeconds();
  }
  return j;
}

nlohmann::json Pipeline::latencyJson(size_t rung) const {
  if (rung >= latencies_.size() || latencies_[rung].empty())
    return {{"p50", nullptr}, {"p95", nullptr}};
  std::vector<int64_t> v(latencies_[rung].begin(), latencies_[rung].end());
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return {{"p50", at(0.5)}, {"p95", at(0.95)}};
}

nlohmann::json Pipeline::describe() const {
  nlohmann::json j = {{"stream", key_},
                      {"state", toString(state_)},
                      {"error", error_.empty() ? nlohmann::json() : nlohmann::json(error_)},
                      {"started_by", startedBy_},
                      {"since_ms", sinceMs_},
                      {"runs", runs_},
                      {"spec", spec_.toJson()}};
  nlohmann::json input = {{"dropped_units", inputDropped_}};
  nlohmann::json rungs = nlohmann::json::array();
  if (run_) {
    const RunState& s = run_->state();
    input["queue"] = s.input.depth();
    input["decode_errors"] = s.decode.errors.load(std::memory_order_relaxed);
    j["decode"] = stageJson(s.decode, 0, run_->decoderThread());
    j["filter"] = stageJson(s.filter, 1, nullptr);  // on the decoder's thread: in decode
    for (size_t r = 0; r < s.lanes.size(); ++r) {
      const RungLane& lane = *s.lanes[r];
      const PlannedRung& p = s.settings.plan.rungs[r];
      nlohmann::json rung = stageJson(lane.counters, r + 2, run_->encoderThread(r));
      rung["key"] = runOutputs_.size() > r ? runOutputs_[r]->key() : "";
      rung["width"] = p.width;
      rung["height"] = p.height;
      rung["fps"] = p.fps;
      rung["kbps"] = p.kbps;
      rung["preset"] = p.x264.preset;
      rung["queue"] = lane.queue.depth();
      rung["dropped_frames"] = lane.counters.dropped.load(std::memory_order_relaxed);
      rung["dropped_gops"] = lane.counters.droppedGops.load(std::memory_order_relaxed);
      rung["latency_ms"] = latencyJson(r);
      rungs.push_back(std::move(rung));
    }
  }
  j["overlays"] = {
      {"revision", overlayRevision_},
      {"applied", overlayApplied_},
      {"error", overlayError_.empty() ? nlohmann::json() : nlohmann::json(overlayError_)}};
  if (run_) {
    j["filter"]["rebuilds"] = run_->state().rebuilds.load(std::memory_order_relaxed);
    j["filter"]["commands"] = run_->state().commands.load(std::memory_order_relaxed);
  }
  nlohmann::json audio = {
      {"mode", spec_.audio == AudioMode::Copy ? "copy" : "aac"},
      {"dropped_frames", audioDropped_},
      {"error", audioError_.empty() ? nlohmann::json() : nlohmann::json(audioError_)}};
  if (run_ && run_->state().audio) {
    const StageCounters& c = run_->state().audio->counters;
    audio["transcoding"] = true;
    audio["frames_in"] = c.framesIn.load(std::memory_order_relaxed);
    audio["frames_out"] = c.framesOut.load(std::memory_order_relaxed);
    audio["errors"] = c.errors.load(std::memory_order_relaxed);
    audio["thread"] = run_->audioThread()->name();
    audio["cpu_s"] = run_->audioThread()->cpuSeconds();
  } else {
    audio["transcoding"] = false;
  }
  j["audio"] = std::move(audio);
  j["input"] = std::move(input);
  j["rungs"] = std::move(rungs);
  return j;
}

}  // namespace mixer
