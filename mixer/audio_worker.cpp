#include "mixer/audio_worker.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"

namespace mixer {

namespace {

int64_t audioMonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr uint64_t kLoggedAudioErrors = 5;

}  // namespace

void AudioWorker::post(MixerEvent::Body body) {
  state_.post(MixerEvent{state_.settings.id, kAudioStage, false, std::move(body)});
}

void AudioWorker::run() {
  std::string error;
  const av::FilterApi* api = state_.libs.filter(error);
  if (api) transcoder_ = AudioTranscoder::open(*api, lane_.codec, lane_.config, lane_.kbps, error);
  if (!transcoder_) return post(StageError{"audio", error});
  post(AudioConfig{transcoder_->audioSpecificConfig()});
  while (true) {
    std::optional<EncodedAudio> in = lane_.queue.pop(state_.stop);
    if (state_.stop.load(std::memory_order_acquire)) return;
    if (!in) {
      if (!lane_.ended.load(std::memory_order_acquire)) continue;
      // NOTE: the loop queued its last frame before it set `ended`.
      while (auto rest = lane_.queue.tryPop())
        if (!encode(*rest, error)) return post(StageError{"audio", error});
      std::string why;
      if (!transcoder_->flush(why) || !receive(error))
        return post(StageError{"audio", error.empty() ? why : error});
      return;
    }
    if (!encode(*in, error)) return post(StageError{"audio", error});
  }
}

bool AudioWorker::encode(const EncodedAudio& in, std::string& error) {
  const int64_t start = audioMonotonicNs();
  lane_.counters.framesIn.fetch_add(1, std::memory_order_relaxed);
  std::string why;
  if (!transcoder_->send(in.payload, in.pts, why)) {
    // A corrupt frame costs itself, not the audio of the rungs.
    const uint64_t n = lane_.counters.errors.fetch_add(1, std::memory_order_relaxed);
    if (n < kLoggedAudioErrors || ++logged_ % 100 == 0)
      spdlog::warn("caster {}: audio: frame at {} ms refused ({} so far): {}",
                   state_.settings.source, in.pts, n + 1, why);
  }
  const bool ok = receive(error);
  lane_.counters.busyNs.fetch_add(audioMonotonicNs() - start, std::memory_order_relaxed);
  return ok;
}

bool AudioWorker::receive(std::string& error) {
  while (true) {
    EncodedAudio out;
    switch (transcoder_->receive(out, error)) {
      case CodecResult::Frame:
        lane_.counters.framesOut.fetch_add(1, std::memory_order_relaxed);
        post(std::move(out));
        break;
      case CodecResult::Again:
      case CodecResult::End:
        return true;
      case CodecResult::Failed:
        return false;
    }
  }
}

}  // namespace mixer
