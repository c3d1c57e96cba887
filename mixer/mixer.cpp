#include "mixer/mixer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "core/media/stream_name.hpp"

namespace mixer {

namespace {

int cpusFor(const core::MixerConfig& config) {
  if (config.threads > 0) return config.threads;
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace

// WHEP's demand for Opus variants, by stream key; the tokens hold it weakly, so one
// that outlives the Mixer does nothing.
struct VariantDemandTable {
  Mixer* mixer = nullptr;
  std::map<std::string, int> counts;
  void release(const std::string& key) {
    if (mixer) mixer->releaseOpus(key);
  }
};

namespace {

class MixerOpusToken final : public core::AudioVariantDemand::Token {
 public:
  MixerOpusToken(std::weak_ptr<VariantDemandTable> table, std::string key)
      : table_(std::move(table)), key_(std::move(key)) {}
  ~MixerOpusToken() override {
    if (auto table = table_.lock()) table->release(key_);
  }

 private:
  std::weak_ptr<VariantDemandTable> table_;
  std::string key_;
};

}  // namespace

Mixer::Mixer(core::EventLoop& loop, core::StreamRegistry& registry, av::Libraries& libs,
             const core::MixerConfig& config)
    : loop_(loop),
      registry_(registry),
      config_(config),
      mailbox_(loop, [this](MixerEvent&& event) { onEvent(std::move(event)); }),
      context_{loop,
               registry,
               libs,
               cpusFor(config),
               static_cast<size_t>(config.queueFrames),
               FontPaths{config.assetsDir, config.font},
               [this](MixerEvent event) { return mailbox_.post(std::move(event)); },
               [this](Pipeline* p) { return newRun(p); },
               [this](std::unique_ptr<PipelineRun> run) { retire(std::move(run)); },
               [this] { removeEnded(); }},
      variantContext_{loop,
                      registry,
                      libs,
                      [this](MixerEvent event) { return mailbox_.post(std::move(event)); },
                      [this](AudioVariant* v) {
                        const uint64_t id = nextRun_++;
                        variantRoutes_[id] = v;
                        return id;
                      },
                      [this](uint64_t id) { variantRoutes_.erase(id); },
                      [this](std::unique_ptr<WorkerThread> thread) {
                        if (thread && !thread->tryJoin())
                          variantThreads_.push_back(std::move(thread));
                      },
                      [this] { removeEnded(); },
                      config.variantAacKbps,
                      config.variantOpusKbps,
                      static_cast<uint64_t>(config.variantLingerMs)},
      demand_(std::make_shared<VariantDemandTable>()) {
  demand_->mixer = this;
}

Mixer::~Mixer() {
  shutdown();
  // NOTE: the threads were told to stop; joining them here waits at most for the
  // frame each is working on. The mailbox closes after, so their last posts land.
  retired_.clear();
  variantThreads_.clear();
  demand_->mixer = nullptr;
  mailbox_.close();
}

void Mixer::onPublish(const core::Stream& stream) {
  const bool demanded = demand_->counts.count(stream.key()) > 0;
  if (config_.audioVariants && (stream.origin() == core::StreamOrigin::WebRtc || demanded))
    if (AudioVariant* v = ensureVariant(stream.app(), stream.name()); v && demanded)
      v->setDemanded(true);
  if (!config_.enabled || stream.derived()) return;
  if (pipelines_.count(stream.key())) return;  // a pipeline follows its source's publishers
  const core::MixerProfile* profile = config_.profileFor(stream.key());
  if (!profile) return;
  std::string error;
  auto spec = PipelineSpec::parse(profile->spec, error);
  if (!spec) {  // checked at start-up; a --set edit could still get here
    spdlog::error("caster {}: profile \"{}\": {}", stream.key(), profile->name, error);
    return;
  }
  Created c = create(stream.app(), stream.name(), std::move(*spec), "profile " + profile->name);
  if (!c.pipeline) spdlog::warn("caster {}: not started: {}", stream.key(), c.error);
}

Mixer::Created Mixer::create(const std::string& app, const std::string& name, PipelineSpec spec,
                             std::string startedBy) {
  const std::string key = core::StreamRegistry::makeKey(app, name);
  if (!config_.enabled) return {nullptr, 503, "the mixer is off (mixer.enabled)"};
  // NOTE: a program (a stream the mixer composes) is its own source: it may have a
  // ladder; a rendition of a source may not.
  if (const core::Stream* s = registry_.find(key); s && s->derived() && s->groupKey() != key)
    return {nullptr, 400, key + " is a rendition the mixer derives, not a source"};
  if (pipelines_.count(key)) return {nullptr, 409, "a caster already runs on " + key};
  if (pipelines_.size() >= static_cast<size_t>(config_.maxPipelines))
    return {nullptr, 503,
            "mixer.max_pipelines (" + std::to_string(config_.maxPipelines) + ") are running"};
  auto pipeline =
      std::make_unique<Pipeline>(context_, app, name, std::move(spec), std::move(startedBy));
  Created c;
  if (!pipeline->start(c.error)) return {nullptr, 404, c.error};
  c.pipeline = pipeline.get();
  pipelines_[key] = std::move(pipeline);
  return c;
}

bool Mixer::remove(const std::string& key) {
  auto it = pipelines_.find(key);
  if (it == pipelines_.end()) return false;
  it->second->stop("caster removed");
  // NOTE: may run inside a source callback (an API call never does, but the stream
  // end does): the pipeline is a sink, so it is destroyed after this turn.
  loop_.deferDelete(std::move(it->second));
  pipelines_.erase(it);
  return true;
}

const Pipeline* Mixer::find(const std::string& key) const {
  auto it = pipelines_.find(key);
  return it == pipelines_.end() ? nullptr : it->second.get();
}

std::vector<const Pipeline*> Mixer::pipelines() const {
  std::vector<const Pipeline*> out;
  for (const auto& [key, p] : pipelines_) out.push_back(p.get());
  return out;
}

void Mixer::shutdown() {
  for (auto& [key, p] : pipelines_) p->stop("server shutdown");
  pipelines_.clear();
  for (auto& [key, r] : webrtc_) r.pipeline->stop("server shutdown");
  webrtc_.clear();
  for (auto& run : retired_) run->abandon();
  for (auto& [key, v] : variants_) v->stop("server shutdown");
  variants_.clear();
}

AudioVariant* Mixer::ensureVariant(const std::string& app, const std::string& name) {
  const std::string key = core::StreamRegistry::makeKey(app, name);
  if (auto it = variants_.find(key); it != variants_.end()) {
    if (!it->second->ended()) return it->second.get();
    // NOTE: an ended one (its linger ran out, its stream ended) still waits for the
    // removal its event posted: a new demand must not wait for the next publish.
    loop_.deferDelete(std::move(it->second));
    variants_.erase(it);
  }
  auto v = std::make_unique<AudioVariant>(variantContext_, app, name);
  std::string error;
  if (!v->start(error)) {
    spdlog::debug("audio variant {}: not started: {}", key, error);
    return nullptr;
  }
  return (variants_[key] = std::move(v)).get();
}

std::unique_ptr<core::AudioVariantDemand::Token> Mixer::wantOpus(const std::string& key) {
  const size_t slash = key.find('/');
  if (!config_.audioVariants || slash == std::string::npos) return nullptr;
  ++demand_->counts[key];
  if (AudioVariant* v = ensureVariant(key.substr(0, slash), key.substr(slash + 1)))
    v->setDemanded(true);
  return std::make_unique<MixerOpusToken>(demand_, key);
}

void Mixer::releaseOpus(const std::string& key) {
  auto it = demand_->counts.find(key);
  if (it == demand_->counts.end() || --it->second > 0) return;
  demand_->counts.erase(it);
  if (auto v = variants_.find(key); v != variants_.end()) v->second->setDemanded(false);
}

const AudioVariant* Mixer::variant(const std::string& key) const {
  auto it = variants_.find(key);
  return it == variants_.end() ? nullptr : it->second.get();
}

void Mixer::reapVariantThreads() {
  std::erase_if(variantThreads_,
                [](const std::unique_ptr<WorkerThread>& t) { return t->tryJoin(); });
}

core::CasterControl::Answer Mixer::createCaster(const nlohmann::json& body) {
  auto refuse = [](int status, std::string message) {
    return Answer{status, {{"error", std::move(message)}}};
  };
  const auto stream = body.find("stream");
  if (stream == body.end() || !stream->is_string())
    return refuse(400, "\"stream\": \"app/name\" is required");
  const std::string key = stream->get<std::string>();
  const size_t slash = key.find('/');
  if (slash == std::string::npos || !core::isValidStreamName(key.substr(0, slash)) ||
      !core::isValidStreamName(key.substr(slash + 1)))
    return refuse(400, "\"stream\" must be \"app/name\", not \"" + key.substr(0, 200) + "\"");
  // A profile's ladder, with the body's own fields over it.
  nlohmann::json spec = nlohmann::json::object();
  if (const auto profile = body.find("profile"); profile != body.end()) {
    const core::MixerProfile* p =
        profile->is_string() ? config_.find(profile->get<std::string>()) : nullptr;
    if (!p) return refuse(400, "caster " + key + ": \"profile\" names no [[mixer.profile]]");
    spec = p->spec;
  }
  for (const auto& [field, value] : body.items())
    if (field != "stream" && field != "profile") spec[field] = value;
  std::string error;
  auto parsed = PipelineSpec::parse(spec, error);
  if (!parsed) return refuse(400, "caster " + key + ": " + error);
  Created c = create(key.substr(0, slash), key.substr(slash + 1), std::move(*parsed), "api");
  if (!c.pipeline) return refuse(c.status, "caster " + key + ": " + c.error);
  return {201, c.pipeline->describe()};
}

nlohmann::json Mixer::listCasters() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, p] : pipelines_) list.push_back(p->describe());
  return {{"casters", std::move(list)}};
}

core::CasterControl::Answer Mixer::getCaster(const std::string& key) const {
  const Pipeline* p = find(key);
  if (!p) return {404, {{"error", "no caster on " + key.substr(0, 200)}}};
  return {200, p->describe()};
}

core::CasterControl::Answer Mixer::removeCaster(const std::string& key) {
  if (!remove(key)) return {404, {{"error", "no caster on " + key.substr(0, 200)}}};
  return {200, {{"stream", key}, {"removed", true}}};
}

core::CasterControl::Answer Mixer::changeOverlays(const std::string& key, const std::string& method,
                                                  const std::string& id,
                                                  const nlohmann::json& body) {
  auto refuse = [&](int status, const std::string& message) {
    return Answer{status, {{"error", "caster " + key.substr(0, 200) + ": " + message}}};
  };
  auto it = pipelines_.find(key);
  if (it == pipelines_.end()) return {404, {{"error", "no caster on " + key.substr(0, 200)}}};
  Pipeline& p = *it->second;
  // The new list as JSON, checked as a whole by the pipeline's own validator
  // (ids unique, at most kMaxOverlays, every field bounded).
  nlohmann::json list = nlohmann::json::array();
  for (const OverlaySpec& o : p.spec().overlays) list.push_back(o.toJson());
  auto at = [&](const std::string& which) {
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].value("id", "") == which) return static_cast<long>(i);
    return -1L;
  };
  if (id.empty() && method == "PATCH") {
    const auto overlays = body.find("overlays");
    if (overlays != body.end() && !overlays->is_array())
      return refuse(400, "\"overlays\" must be a list");
    if (body.size() > (overlays == body.end() ? 0u : 1u)) {
      // Ladder fields: the pipeline restarts its run with the merged spec.
      nlohmann::json merged = p.spec().toJson();
      for (const auto& [field, value] : body.items()) merged[field] = value;
      std::string error;
      auto parsed = PipelineSpec::parse(merged, error);
      if (!parsed) return refuse(400, error);
      if (!p.replaceSpec(std::move(*parsed), error)) return refuse(422, error);
      return {200, p.describe()};
    }
    if (overlays == body.end()) return refuse(400, "nothing to change");
    list = *overlays;
  } else if (id.empty()) {  // POST one
    if (!body.contains("id") || !body["id"].is_string())
      return refuse(400, "overlay: \"id\" is required");
    if (at(body["id"].get<std::string>()) >= 0)
      return refuse(409, "overlay \"" + body["id"].get<std::string>() + "\" exists");
    list.push_back(body);
  } else {
    const long i = at(id);
    if (i < 0) return refuse(404, "no overlay \"" + id.substr(0, 64) + "\"");
    if (method == "DELETE") {
      list.erase(list.begin() + i);
    } else {
      if (body.contains("id") && body["id"] != id)
        return refuse(400, "overlay: \"id\" cannot change");
      if (body.contains("type") && body["type"] != list[i]["type"])
        return refuse(400, "overlay: \"type\" cannot change (remove it and add another)");
      list[i].merge_patch(body);
    }
  }
  nlohmann::json spec = p.spec().toJson();
  spec["overlays"] = list;
  std::string error;
  auto parsed = PipelineSpec::parse(spec, error);
  if (!parsed) return refuse(400, error);
  const uint64_t revision = p.setOverlays(std::move(parsed->overlays));
  return {202, {{"stream", key}, {"revision", revision}}};
}

class Mixer::RenditionHold final : public core::WebrtcRenditions::Hold {
 public:
  RenditionHold(Mixer& mixer, std::string sourceKey, uint64_t generation)
      : Hold(sourceKey + "_webrtc"),
        mixer_(mixer),
        sourceKey_(std::move(sourceKey)),
        generation_(generation) {}
  ~RenditionHold() override { mixer_.releaseWebrtcRendition(sourceKey_, generation_); }

 private:
  Mixer& mixer_;
  std::string sourceKey_;
  uint64_t generation_;
};

std::unique_ptr<core::WebrtcRenditions::Hold> Mixer::holdWebrtcRendition(
    const std::string& sourceKey, std::string& error) {
  if (auto it = webrtc_.find(sourceKey); it != webrtc_.end() && !it->second.pipeline->ended()) {
    ++it->second.holders;
    it->second.grace->stop();
    return std::make_unique<RenditionHold>(*this, sourceKey, it->second.generation);
  }
  if (!config_.enabled) {
    error = "the mixer is off (mixer.enabled)";
    return nullptr;
  }
  const core::Stream* source = registry_.find(sourceKey);
  if (!source || !source->hasPublisher() || source->derived()) {
    error = sourceKey + " is not a live source";
    return nullptr;
  }
  if (pipelines_.size() + webrtc_.size() >= static_cast<size_t>(config_.maxPipelines)) {
    error = "mixer.max_pipelines (" + std::to_string(config_.maxPipelines) + ") are running";
    return nullptr;
  }
  PipelineSpec spec;
  RungSpec rung;
  rung.sourceSize = true;
  rung.label = "webrtc";
  rung.fps = kMaxRungFps;  // capped at the source's
  // NOTE: the source's own bitrate (what it measured in the last 10 s), bounded.
  const uint64_t kbps = source->bitrateInBps() / 1000;
  rung.kbps = static_cast<int>(std::clamp<uint64_t>(kbps == 0 ? 2000 : kbps, 300, 8000));
  spec.rungs.push_back(rung);
  spec.tune = "zerolatency";  // x264: no B-frames, no lookahead
  spec.gopMs = 2000;
  spec.masterSource = false;
  auto pipeline = std::make_unique<Pipeline>(context_, source->app(), source->name(),
                                             std::move(spec), "webrtc");
  if (!pipeline->start(error)) return nullptr;
  WebrtcRendition& r = webrtc_[sourceKey];
  if (r.pipeline) {  // an ended one, not yet removed
    r.pipeline->stop("source ended");
    loop_.deferDelete(std::move(r.pipeline));
  }
  r.pipeline = std::move(pipeline);
  r.generation = nextRenditionGeneration_++;
  r.holders = 1;
  r.grace = std::make_unique<core::Timer>(loop_, [this, sourceKey] {
    auto it = webrtc_.find(sourceKey);
    if (it == webrtc_.end() || it->second.holders > 0) return;
    spdlog::info("caster {}: the WebRTC rendition stops: no WHEP viewer for {} ms", sourceKey,
                 kWebrtcGraceMs);
    it->second.pipeline->stop("no WHEP viewer");
    // NOTE: the timer owns this lambda: both go after this turn.
    loop_.deferDelete(std::move(it->second.pipeline));
    loop_.deferDelete(std::move(it->second.grace));
    webrtc_.erase(it);
  });
  spdlog::info("caster {}: the WebRTC rendition {}_webrtc starts (B-frame-free H.264, {} kbit/s)",
               sourceKey, sourceKey, rung.kbps);
  return std::make_unique<RenditionHold>(*this, sourceKey, r.generation);
}

void Mixer::releaseWebrtcRendition(const std::string& sourceKey, uint64_t generation) {
  auto it = webrtc_.find(sourceKey);
  if (it == webrtc_.end() || it->second.generation != generation || it->second.holders == 0) return;
  if (--it->second.holders == 0) it->second.grace->start(kWebrtcGraceMs);
}

uint64_t Mixer::newRun(Pipeline* pipeline) {
  const uint64_t id = nextRun_++;
  routes_[id] = pipeline;
  return id;
}

void Mixer::retire(std::unique_ptr<PipelineRun> run) {
  routes_.erase(run->id());
  if (run->tryReap()) return;  // its threads had all returned: joined, gone
  retired_.push_back(std::move(run));
}

void Mixer::reap() {
  std::erase_if(retired_, [](const std::unique_ptr<PipelineRun>& run) { return run->tryReap(); });
}

void Mixer::onEvent(MixerEvent&& event) {
  const bool done = std::holds_alternative<StageDone>(event.body);
  if (auto it = routes_.find(event.run); it != routes_.end())
    it->second->onEvent(std::move(event));
  else if (auto v = variantRoutes_.find(event.run); v != variantRoutes_.end())
    v->second->onEvent(std::move(event));
  if (done) {
    reap();
    reapVariantThreads();
  }
  removeEnded();
}

void Mixer::removeEnded() {
  // A pipeline learns of its source's end inside a Stream callback: it is removed
  // here, from the mailbox or the next loop turn, never inside that callback.
  bool any = false;
  for (auto& [key, p] : pipelines_) any = any || p->ended();
  for (auto& [key, r] : webrtc_) any = any || r.pipeline->ended();
  for (auto& [key, v] : variants_) any = any || v->ended();
  if (!any || removeQueued_) return;
  removeQueued_ = true;
  loop_.post([this] {
    removeQueued_ = false;
    std::vector<std::string> ended;
    for (auto& [key, p] : pipelines_)
      if (p->ended()) ended.push_back(key);
    for (const std::string& key : ended) remove(key);
    // A WebRTC rendition of an ended source goes; its holders find its stream ended.
    for (auto it = webrtc_.begin(); it != webrtc_.end();) {
      if (!it->second.pipeline->ended()) {
        ++it;
        continue;
      }
      it->second.pipeline->stop("source ended");
      loop_.deferDelete(std::move(it->second.pipeline));
      it = webrtc_.erase(it);
    }
    std::erase_if(variants_, [](const auto& entry) { return entry.second->ended(); });
  });
}

}  // namespace mixer
