#include "mixer/pipeline_run.hpp"

#include "mixer/audio_worker.hpp"
#include "mixer/rung_encoder.hpp"
#include "mixer/video_worker.hpp"

namespace mixer {
namespace {

// A stage's thread name, unique per run ("rc12-dec", "rc12-e720p", "rc12-aac"):
// the helper threads its libraries start inherit it, and WorkerThread counts
// their CPU time by that name. Linux keeps 15 characters.
std::string stageThreadName(uint64_t run, const std::string& stage) {
  return "rc" + std::to_string(run % 100000) + "-" + stage;
}

}  // namespace

PipelineRun::PipelineRun(RunSettings settings, av::Libraries& libs,
                         std::function<bool(MixerEvent)> post)
    : state_(std::make_shared<RunState>(std::move(settings), libs, std::move(post))) {
  const uint64_t id = state_->settings.id;
  // NOTE: each thread holds the state, so it outlives this object if a thread is
  // still returning when the loop lets the run go.
  for (size_t r = 0; r < state_->lanes.size(); ++r) {
    auto state = state_;
    encoders_.push_back(std::make_unique<WorkerThread>(
        stageThreadName(id, "e" + state_->settings.plan.rungs[r].label()),
        [state, r](WorkerThread& self) {
          RungEncoder encoder(*state, r);
          encoder.run();
          self.sampleHelpers();  // x264's threads, before the encoder goes
        },
        [state, r, id] {
          state->post(MixerEvent{id, r, false, StageDone{}});
        }));
  }
  auto state = state_;
  decoder_ = std::make_unique<WorkerThread>(
      stageThreadName(id, "dec"),
      [state](WorkerThread& self) {
        VideoWorker worker(*state);
        worker.run();
        self.sampleHelpers();  // slice and filter threads, before they go
      },
      [state, id] {
        state->post(MixerEvent{id, 0, true, StageDone{}});
      });
}

PipelineRun::~PipelineRun() {
  abandon();
  // WorkerThread's destructor joins (the threads return at the next frame).
}

bool PipelineRun::feed(EncodedUnit unit) {
  if (state_->inputEnded.load(std::memory_order_relaxed)) return false;
  if (!state_->input.tryPush(unit)) {
    state_->decode.dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void PipelineRun::endOfStream() {
  state_->inputEnded.store(true, std::memory_order_release);
  state_->input.wake();
  if (state_->audio) {
    state_->audio->ended.store(true, std::memory_order_release);
    state_->audio->queue.wake();
  }
}

void PipelineRun::startAudio(core::Codec codec, std::vector<uint8_t> config, int kbps) {
  if (audioThread_) return;
  state_->audio = std::make_unique<AudioLane>(codec, std::move(config), kbps);
  if (state_->inputEnded.load(std::memory_order_relaxed))
    state_->audio->ended.store(true, std::memory_order_relaxed);
  auto state = state_;
  const uint64_t id = state_->settings.id;
  audioThread_ = std::make_unique<WorkerThread>(
      stageThreadName(id, "aac"), [state] { AudioWorker(*state, *state->audio).run(); },
      [state, id] {
        state->post(MixerEvent{id, kAudioStage, false, StageDone{}});
      });
}

bool PipelineRun::feedAudio(EncodedAudio frame) {
  if (!state_->audio || state_->audio->ended.load(std::memory_order_relaxed)) return false;
  if (state_->audio->queue.tryPush(frame)) return true;
  state_->audio->counters.dropped.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void PipelineRun::abandon() {
  state_->stop.store(true, std::memory_order_release);
  state_->input.wake();
  for (auto& lane : state_->lanes) lane->queue.wake();
  if (state_->audio) state_->audio->queue.wake();
}

bool PipelineRun::tryReap() {
  bool all = !decoder_ || decoder_->tryJoin();
  for (auto& e : encoders_) all = e->tryJoin() && all;
  if (audioThread_) all = audioThread_->tryJoin() && all;
  return all;
}

const WorkerThread* PipelineRun::encoderThread(size_t rung) const {
  return rung < encoders_.size() ? encoders_[rung].get() : nullptr;
}

}  // namespace mixer
