#include "mixer/rung_encoder.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"

namespace mixer {

namespace {

int64_t rungMonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string RungEncoder::stage() const {
  return "encode " + state_.settings.plan.rungs[rung_].label();
}

void RungEncoder::run() {
  std::string error;
  RungLane& lane = *state_.lanes[rung_];
  auto fail = [&] {
    state_.post(MixerEvent{state_.settings.id, rung_, false, StageError{stage(), error}});
  };
  if (!open(error)) return fail();
  while (true) {
    std::optional<av::FramePtr> frame = lane.queue.pop(state_.stop);
    if (state_.stop.load(std::memory_order_acquire)) return;
    if (!frame) {
      if (!lane.ended.load(std::memory_order_acquire)) continue;
      // NOTE: the VideoWorker queued its last frame before it set `ended`.
      while (auto rest = lane.queue.tryPop())
        if (!encode(rest->get(), error)) return fail();
      std::string why;
      if (!encoder_->flush(why) || !receive(error)) {
        if (error.empty()) error = why;
        return fail();
      }
      return;
    }
    if (!encode(frame->get(), error)) return fail();
  }
}

bool RungEncoder::open(std::string& error) {
  const av::FilterApi* api = state_.libs.filter(error);
  if (!api) return false;
  const PlannedRung& rung = state_.settings.plan.rungs[rung_];
  EncoderSettings settings{rung.width, rung.height, rung.fps, rung.x264};
  encoder_ = VideoEncoder::open(*api, settings, error);
  if (!encoder_) return false;
  state_.post(MixerEvent{state_.settings.id, rung_, false, RungConfig{encoder_->avcConfig()}});
  return true;
}

bool RungEncoder::encode(AVFrame* frame, std::string& error) {
  StageCounters& c = state_.lanes[rung_]->counters;
  const KeySchedule::Decision d = state_.keys.decide(rung_, frame->pts);
  if (d == KeySchedule::Decision::Skip) return true;
  const int64_t start = rungMonotonicNs();
  if (lastPts_ != INT64_MIN && frame->pts > lastPts_)
    c.mediaMs.fetch_add(frame->pts - lastPts_, std::memory_order_relaxed);
  lastPts_ = frame->pts;
  std::string why;
  if (!encoder_->send(frame, d == KeySchedule::Decision::Key, why)) {
    error = why;
    return false;
  }
  const bool ok = receive(error);
  c.busyNs.fetch_add(rungMonotonicNs() - start, std::memory_order_relaxed);
  return ok;
}

bool RungEncoder::receive(std::string& error) {
  StageCounters& c = state_.lanes[rung_]->counters;
  while (true) {
    EncodedUnit unit;
    switch (encoder_->receive(unit, error)) {
      case VideoEncoder::Result::Frame:
        c.framesOut.fetch_add(1, std::memory_order_relaxed);
        state_.post(MixerEvent{state_.settings.id, rung_, false, std::move(unit)});
        break;
      case VideoEncoder::Result::Again:
      case VideoEncoder::Result::End:
        return true;
      case VideoEncoder::Result::Failed:
        return false;
    }
  }
}

}  // namespace mixer
