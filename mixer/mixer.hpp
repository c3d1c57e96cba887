// Mixer: the caster. Starts a Pipeline on every pushed stream a [[mixer.profile]]
// matches (and, through the API, on any live stream), and the WebRTC rendition of a
// source while WHEP viewers hold it; owns the pipelines by source key and the one
// Mailbox their threads post to, and keeps runs whose threads are still returning.
// Owned by main(); loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/mixer_config.hpp"
#include "core/loop/mailbox.hpp"
#include "core/loop/timer.hpp"
#include "core/media/audio_variant_demand.hpp"
#include "core/media/caster_control.hpp"
#include "core/media/stream_registry.hpp"
#include "core/media/webrtc_renditions.hpp"
#include "mixer/audio_variant.hpp"
#include "mixer/mixer_event.hpp"
#include "mixer/pipeline.hpp"

namespace av {
class Libraries;
}

namespace mixer {

struct VariantDemandTable;

class Mixer final : public core::StreamObserver,
                    public core::CasterControl,
                    public core::WebrtcRenditions,
                    public core::AudioVariantDemand {
 public:
  Mixer(core::EventLoop& loop, core::StreamRegistry& registry, av::Libraries& libs,
        const core::MixerConfig& config);
  ~Mixer() override;
  Mixer(const Mixer&) = delete;
  Mixer& operator=(const Mixer&) = delete;

  // A profile whose patterns match a pushed (not derived) stream starts its ladder.
  void onPublish(const core::Stream& stream) override;

  struct Created {
    Pipeline* pipeline = nullptr;
    int status = 201;  // else 400 bad spec, 404 no such stream, 409 exists, 503 off or full
    std::string error;
  };
  // A pipeline on the live source `app/name`.
  Created create(const std::string& app, const std::string& name, PipelineSpec spec,
                 std::string startedBy);
  bool remove(const std::string& key);
  const Pipeline* find(const std::string& key) const;
  std::vector<const Pipeline*> pipelines() const;
  // Stops every pipeline (server shutdown); their threads return at once.
  void shutdown();

  // core::CasterControl (the HTTP API)
  Answer createCaster(const nlohmann::json& body) override;
  nlohmann::json listCasters() const override;
  Answer getCaster(const std::string& key) const override;
  Answer removeCaster(const std::string& key) override;
  Answer changeOverlays(const std::string& key, const std::string& method, const std::string& id,
                        const nlohmann::json& body) override;

  // core::WebrtcRenditions: "{app}/{name}_webrtc", the source's size and frame rate,
  // x264 without B-frames (tune zerolatency), a keyframe at the source's or every
  // 2 s, the source's audio copied; stopped kWebrtcGraceMs after its last holder.
  static constexpr uint64_t kWebrtcGraceMs = 5000;
  std::unique_ptr<Hold> holdWebrtcRendition(const std::string& sourceKey,
                                            std::string& error) override;
  size_t webrtcRenditions() const { return webrtc_.size(); }

  size_t retiredRuns() const { return retired_.size(); }

  // core::AudioVariantDemand (WHEP): the Opus variant of `key` while the token lives.
  std::unique_ptr<Token> wantOpus(const std::string& key) override;
  // The audio variant job of `key`, if one runs (tests, stats).
  const AudioVariant* variant(const std::string& key) const;

 private:
  void onEvent(MixerEvent&& event);
  uint64_t newRun(Pipeline* pipeline);
  void retire(std::unique_ptr<PipelineRun> run);
  void reap();
  void removeEnded();
  friend struct VariantDemandTable;
  // The variant job of `app/name`, made and subscribed if there is none (nullptr
  // when the source is not there).
  AudioVariant* ensureVariant(const std::string& app, const std::string& name);
  void releaseOpus(const std::string& key);
  void reapVariantThreads();

  core::EventLoop& loop_;
  core::StreamRegistry& registry_;
  const core::MixerConfig& config_;
  core::Mailbox<MixerEvent> mailbox_;
  PipelineContext context_;
  std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
  class RenditionHold;
  // A hold ended: the rendition of `generation` (not a later one of the same source)
  // has one holder less.
  void releaseWebrtcRendition(const std::string& sourceKey, uint64_t generation);
  struct WebrtcRendition {
    std::unique_ptr<Pipeline> pipeline;
    uint64_t generation = 0;
    size_t holders = 0;
    std::unique_ptr<core::Timer> grace;  // runs while no one holds it
  };
  std::map<std::string, WebrtcRendition> webrtc_;  // by source key
  uint64_t nextRenditionGeneration_ = 1;
  std::map<uint64_t, Pipeline*> routes_;  // current runs only
  std::vector<std::unique_ptr<PipelineRun>> retired_;
  uint64_t nextRun_ = 1;
  bool removeQueued_ = false;
  // Audio variants: one job per stream, the runs' routes (ids from nextRun_ too),
  // the threads of ended runs until they return, and the WHEP demand per stream.
  AudioVariant::Context variantContext_;
  std::map<std::string, std::unique_ptr<AudioVariant>> variants_;
  std::map<uint64_t, AudioVariant*> variantRoutes_;
  std::vector<std::unique_ptr<WorkerThread>> variantThreads_;
  std::shared_ptr<VariantDemandTable> demand_;
};

}  // namespace mixer
