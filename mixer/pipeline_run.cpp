#include "mixer/pipeline_run.hpp"

#include "mixer/rung_encoder.hpp"
#include "mixer/video_worker.hpp"

namespace mixer {

PipelineRun::PipelineRun(RunSettings settings, av::Libraries& libs,
                         std::function<bool(MixerEvent)> post)
    : state_(std::make_shared<RunState>(std::move(settings), libs, std::move(post))) {
  const uint64_t id = state_->settings.id;
  // NOTE: each thread holds the state, so it outlives this object if a thread is
  // still returning when the loop lets the run go.
  for (size_t r = 0; r < state_->lanes.size(); ++r) {
    auto state = state_;
    encoders_.push_back(std::make_unique<WorkerThread>(
        "rc-enc" + state_->settings.plan.rungs[r].label(),
        [state, r] { RungEncoder(*state, r).run(); },
        [state, r, id] {
          state->post(MixerEvent{id, r, false, StageDone{}});
        }));
  }
  auto state = state_;
  decoder_ = std::make_unique<WorkerThread>(
      "rc-dec", [state] { VideoWorker(*state).run(); },
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
}

void PipelineRun::abandon() {
  state_->stop.store(true, std::memory_order_release);
  state_->input.wake();
  for (auto& lane : state_->lanes) lane->queue.wake();
}

bool PipelineRun::tryReap() {
  bool all = !decoder_ || decoder_->tryJoin();
  for (auto& e : encoders_) all = e->tryJoin() && all;
  return all;
}

double PipelineRun::rungCpuSeconds(size_t rung) const {
  return rung < encoders_.size() ? encoders_[rung]->cpuSeconds() : 0;
}

}  // namespace mixer
