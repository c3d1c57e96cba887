// Pipeline: one caster on one source stream: subscribes to it (an internal tap, not
// a viewer), starts a PipelineRun on each publisher's video config, publishes each
// planned rung as a derived stream (RungOutput) and copies the source's audio and
// room events into them. State Starting/Running/Draining/Waiting/Failed. Owned by
// the Mixer; loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/log/log_limiter.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/mixer_event.hpp"
#include "mixer/pipeline_run.hpp"
#include "mixer/pipeline_spec.hpp"
#include "mixer/rung_output.hpp"

namespace av {
class Libraries;
}

namespace mixer {

class Pipeline;

// What the Mixer gives each of its pipelines.
struct PipelineContext {
  core::EventLoop& loop;
  core::StreamRegistry& registry;
  av::Libraries& libs;
  int cpus = 1;            // mixer.threads, or the machine's CPUs
  size_t queueFrames = 8;  // mixer.queue_frames
  FontPaths fonts;
  std::function<bool(MixerEvent)> post;  // the Mixer's Mailbox
  // Routes a new run's events to `pipeline`; returns the run's id.
  std::function<uint64_t(Pipeline*)> newRun;
  // Takes a run the pipeline is done with (stops routing it) until its threads return.
  std::function<void(std::unique_ptr<PipelineRun>)> retire;
  // The pipeline's source ended (called inside the Stream's callback).
  std::function<void()> ended;
};

class Pipeline final : public core::MediaSink {
 public:
  enum class State : uint8_t { Starting, Running, Draining, Waiting, Failed };

  Pipeline(PipelineContext& ctx, std::string app, std::string name, PipelineSpec spec,
           std::string startedBy);
  ~Pipeline() override;

  // Subscribes to the source; false when it is not live.
  bool start(std::string& error);
  // Stops the run, leaves the rungs to their grace period.
  void stop(std::string_view reason);

  // The source (core::MediaSink).
  void onStreamStart(const core::Stream& stream) override;
  void onPacket(const core::MediaPacket& packet) override;
  void onPublisherGone(std::string_view reason) override;
  void onStreamEnd(std::string_view reason) override;

  // A message of this pipeline's current run.
  void onEvent(MixerEvent&& event);

  const std::string& key() const { return key_; }
  State state() const { return state_; }
  // The source ended: the Mixer removes the pipeline.
  bool ended() const { return ended_; }
  const PipelineSpec& spec() const { return spec_; }
  // Replaces the overlays: a running graph changes by commands or a rebuild at the
  // next key; a later run starts with them. Returns the revision (GET shows when it
  // is applied, or why not).
  uint64_t setOverlays(std::vector<OverlaySpec> overlays);
  // A new ladder (rungs, x264 settings, GOP, audio): the run restarts on the source's
  // current config; rungs in both ladders keep their names (their viewers see a new
  // config), the others end. False with `error` when the new plan cannot be made.
  bool replaceSpec(PipelineSpec spec, std::string& error);
  nlohmann::json describe() const;

 private:
  void onVideo(const core::MediaPacket& packet);
  void onVideoConfig(const core::MediaPacket& packet);
  void onAudio(const core::MediaPacket& packet);
  // The rungs' audio from the audio thread (config or frame).
  void toRungsAudio(const std::vector<uint8_t>* asc, const EncodedAudio* frame);
  bool startRun(std::string& error);
  void retireRun(bool drain);
  void finishRun();
  void fail(const std::string& stage, const std::string& reason);
  void requestKeyframe();
  RungOutput* output(size_t rung);
  // Frames per second in and out of each stage over the last second.
  void sampleRates();
  void noteLatency(size_t rung, int64_t pts);
  nlohmann::json latencyJson(size_t rung) const;
  // A stage's counters and rates; with its thread: "thread" (the name its helper
  // threads share, as top -H shows it) and "cpu_s" (all of them).
  nlohmann::json stageJson(const StageCounters& c, size_t index, const WorkerThread* thread) const;

  PipelineContext& ctx_;
  std::string app_, name_, key_;
  PipelineSpec spec_;
  std::string startedBy_;  // "profile default", "api"
  std::unique_ptr<core::Subscription> sub_;
  State state_ = State::Starting;
  std::string error_;
  bool ended_ = false;
  int64_t sinceMs_ = 0;

  std::optional<core::MediaPacket> videoConfig_;
  std::unique_ptr<PipelineRun> run_;
  size_t stagesDone_ = 0;  // of run_: its decoder and rungs that have ended
  bool waitKey_ = true;    // feeding resumes at the next source keyframe
  uint64_t inputDropped_ = 0;
  uint64_t runs_ = 0;
  bool audioWarned_ = false;
  std::optional<core::MediaPacket> audioConfig_;  // the source's
  uint64_t audioDropped_ = 0;
  std::string audioError_;
  uint64_t overlayRevision_ = 0;  // of spec_.overlays
  uint64_t overlayApplied_ = 0;   // the last revision the worker took (or refused)
  std::string overlayError_;
  std::map<std::string, std::unique_ptr<RungOutput>> outputs_;  // by rung label
  std::vector<RungOutput*> runOutputs_;                         // run_'s rungs in order
  core::LogLimiter dropLog_;
  struct Rate {
    uint64_t in = 0, out = 0;      // counters at the last sample
    double fpsIn = 0, fpsOut = 0;  // over the second before it
  };
  std::vector<Rate> rates_;  // decode, filter, then each rung
  uint64_t sampledAtMs_ = 0;
  // Latency a rung adds: when each source frame came in (pts, loop ms), and the last
  // latencies of each rung's frames (ms).
  std::deque<std::pair<int64_t, uint64_t>> ingress_;
  std::vector<std::deque<int64_t>> latencies_;
  core::Timer rateTimer_;
};

const char* toString(Pipeline::State state);

}  // namespace mixer
