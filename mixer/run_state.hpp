// RunState: what one run of a pipeline's threads shares: the settings it started
// with, the loop -> VideoWorker queue, one lane per rung (VideoWorker -> RungEncoder),
// the KeySchedule, stop/end flags and counters. Held by shared_ptr by the run and
// each of its threads; every member is thread-safe as documented.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "av/av_ptr.hpp"
#include "core/packet/media_packet.hpp"
#include "mixer/bounded_queue.hpp"
#include "mixer/encoded_audio.hpp"
#include "mixer/encoded_unit.hpp"
#include "mixer/graph_spec.hpp"
#include "mixer/key_schedule.hpp"
#include "mixer/ladder_planner.hpp"
#include "mixer/mixer_event.hpp"
#include "mixer/overlay_set.hpp"
#include "mixer/pipeline_spec.hpp"

namespace av {
class Libraries;
}

namespace mixer {

// Fixed for a run; read by every thread (never written after the run starts).
struct RunSettings {
  uint64_t id = 0;
  std::string source;                // the source stream's key, for logs
  std::vector<uint8_t> videoConfig;  // the source's avcC
  LadderPlan plan;
  PipelineSpec spec;
  FontPaths fonts;
  int decodeThreads = 1;   // libavcodec slice threads of the decoder
  size_t queueFrames = 8;  // capacity of the input queue and of each lane
};

// Counters of a stage (relaxed atomics: stats only).
struct StageCounters {
  std::atomic<uint64_t> framesIn{0};
  std::atomic<uint64_t> framesOut{0};
  std::atomic<uint64_t> dropped{0};      // frames (input: units) lost to a full queue
  std::atomic<uint64_t> droppedGops{0};  // times a rung had to wait for its next key
  std::atomic<uint64_t> errors{0};       // corrupt units (decode) or refused frames
  std::atomic<int64_t> mediaMs{0};       // media time processed
  std::atomic<int64_t> busyNs{0};        // wall time spent working (not waiting)
};

// A new overlay list for the running graph: the commands that show it, or a
// rebuild at the next key.
struct OverlayUpdate {
  uint64_t revision = 0;
  std::vector<OverlaySpec> overlays;
  OverlayChange change;
};

struct RungLane {
  explicit RungLane(size_t capacity) : queue(capacity) {}
  BoundedQueue<av::FramePtr> queue;
  std::atomic<bool> ended{false};  // set after the last frame was queued
  StageCounters counters;
};

// The source's audio for the AAC encoder (audio = "aac", or a source that is not AAC).
struct AudioLane {
  AudioLane(core::Codec c, std::vector<uint8_t> cfg, int k)
      : codec(c), config(std::move(cfg)), kbps(k), queue(kAudioQueue) {}
  static constexpr size_t kAudioQueue = 128;  // ~2.7 s of AAC at 48 kHz
  const core::Codec codec;
  const std::vector<uint8_t> config;  // AAC: the AudioSpecificConfig; MP3: empty
  const int kbps;
  BoundedQueue<EncodedAudio> queue;
  std::atomic<bool> ended{false};
  StageCounters counters;
};

struct RunState {
  RunState(RunSettings s, av::Libraries& l, std::function<bool(MixerEvent)> p)
      : settings(std::move(s)),
        libs(l),
        post(std::move(p)),
        input(settings.queueFrames),
        keys(settings.spec.keyframes, settings.spec.gopMs, settings.plan.rungs.size()) {
    for (size_t i = 0; i < settings.plan.rungs.size(); ++i)
      lanes.push_back(std::make_unique<RungLane>(settings.queueFrames));
  }

  const RunSettings settings;
  av::Libraries& libs;                         // outlives the run (main owns it)
  const std::function<bool(MixerEvent)> post;  // the Mixer's Mailbox; any thread
  BoundedQueue<EncodedUnit> input;
  std::atomic<bool> stop{false};        // abandon: every thread returns at once
  std::atomic<bool> inputEnded{false};  // no more input: drain, flush, end the lanes
  KeySchedule keys;
  std::vector<std::unique_ptr<RungLane>> lanes;  // fixed size after construction
  StageCounters decode;
  StageCounters filter;
  // Set on the loop before the audio thread starts; read by that thread and the loop
  // only (the other threads never touch it).
  std::unique_ptr<AudioLane> audio;
  std::atomic<uint64_t> rebuilds{0};
  std::atomic<uint64_t> commands{0};

  // Loop thread: queues an update and wakes the VideoWorker between two frames.
  void postOverlays(OverlayUpdate update) {
    {
      std::lock_guard lock(commandMutex);
      overlayUpdates.push_back(std::move(update));
    }
    input.wake();
  }
  // VideoWorker thread: the updates queued since the last call, in order.
  std::vector<OverlayUpdate> takeOverlays() {
    std::lock_guard lock(commandMutex);
    return std::exchange(overlayUpdates, {});
  }

  void endLanes() {
    for (auto& lane : lanes) {
      lane->ended.store(true, std::memory_order_release);
      lane->queue.wake();
    }
  }

 private:
  std::mutex commandMutex;
  std::vector<OverlayUpdate> overlayUpdates;  // guarded by commandMutex
};

}  // namespace mixer
