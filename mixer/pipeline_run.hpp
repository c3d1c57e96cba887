// PipelineRun: one start of a pipeline's threads — a VideoWorker and a RungEncoder
// per rung, sharing a RunState — from a source publisher's first video config to its
// end. Owned on the loop thread (by a Pipeline, then by the Mixer until its threads
// have returned); the loop never waits on it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "mixer/run_state.hpp"
#include "mixer/worker_thread.hpp"

namespace mixer {

class PipelineRun {
 public:
  // Starts the threads at once; each posts StageDone (decoder or rung) as it ends.
  PipelineRun(RunSettings settings, av::Libraries& libs, std::function<bool(MixerEvent)> post);
  // Abandons the threads and joins them (they return within a frame; logged if they
  // had not signalled yet).
  ~PipelineRun();
  PipelineRun(const PipelineRun&) = delete;
  PipelineRun& operator=(const PipelineRun&) = delete;

  uint64_t id() const { return state_->settings.id; }
  const RunSettings& settings() const { return state_->settings; }
  const RunState& state() const { return *state_; }
  // A source unit for the decoder; false (not queued) when the queue is full.
  bool feed(EncodedUnit unit);
  // No more input: the threads drain everything queued, flush and end.
  void endOfStream();
  // Stop now, dropping what is queued.
  void abandon();
  void requestKeyframe() { state_->keys.requestKeyframe(); }
  // Starts the audio thread (once): the source's audio transcoded to AAC.
  void startAudio(core::Codec codec, std::vector<uint8_t> config, int kbps);
  bool hasAudio() const { return audioThread_ != nullptr; }
  // A source audio frame for the audio thread; false (dropped) when its queue is full.
  bool feedAudio(EncodedAudio frame);
  // Threads that post a StageDone: the decoder, each rung, the audio thread if any.
  size_t stages() const { return 1 + encoders_.size() + (audioThread_ ? 1 : 0); }
  // New overlays for the VideoWorker (it answers with an OverlayResult).
  void postOverlays(OverlayUpdate update) { state_->postOverlays(std::move(update)); }
  // Joins the threads once every one has returned; true when all are joined.
  bool tryReap();
  bool inputEnded() const { return state_->inputEnded.load(std::memory_order_relaxed); }
  // The stages' threads (name, CPU seconds with their helpers): the decoder, rung
  // `rung`'s encoder (nullptr past the last), the audio thread (nullptr if none).
  const WorkerThread* decoderThread() const { return decoder_.get(); }
  const WorkerThread* encoderThread(size_t rung) const;
  const WorkerThread* audioThread() const { return audioThread_.get(); }

 private:
  std::shared_ptr<RunState> state_;
  std::unique_ptr<WorkerThread> decoder_;
  std::vector<std::unique_ptr<WorkerThread>> encoders_;
  std::unique_ptr<WorkerThread> audioThread_;
};

}  // namespace mixer
