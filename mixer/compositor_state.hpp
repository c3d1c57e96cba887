// CompositorState: what a program's threads share: its fixed settings, one slot per
// input (loop -> decoder queue, the latest picture scaled to each of its layers'
// sizes, counters), the live scene (program, fading-in and preview layers, slate,
// stall policy) and the compositors' counters. Held by shared_ptr by the Program and
// each of its threads; members thread-safe as noted.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "av/av_ptr.hpp"
#include "mixer/bounded_queue.hpp"
#include "mixer/danmaku_inbox.hpp"
#include "mixer/danmaku_spec.hpp"
#include "mixer/encoded_unit.hpp"
#include "mixer/layout_geometry.hpp"
#include "mixer/mix_bus.hpp"
#include "mixer/mixer_event.hpp"
#include "mixer/scene_spec.hpp"
#include "mixer/stall_policy.hpp"

namespace av {
class Libraries;
}

namespace mixer {

// Monotonic ms shared by the program's threads (steady_clock).
inline int64_t compositorNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A unit for an input's decoder, or (config) a new publisher's avcC in `unit.payload`;
// `audio`: a raw AAC frame, or (config) its AudioSpecificConfig.
struct InputItem {
  EncodedUnit unit;
  bool config = false;
  bool audio = false;
};

// One size an input is drawn at: its layer's cell, crop and fit (the cell's
// position is the compositor's business, so the same picture serves any layer of
// that size, in any scene).
struct PlacementKey {
  int cellW = 0, cellH = 0;
  FracRect crop;
  LayerFit fit = LayerFit::Contain;
  bool operator==(const PlacementKey&) const = default;
  static PlacementKey of(const LayerSpec& layer, const PixelRect& cell) {
    return {cell.w, cell.h, layer.crop, layer.fit};
  }
};

// An input's latest picture scaled for one PlacementKey: drawn at the cell's
// origin + (dx, dy).
struct PlacedPicture {
  PlacementKey key;
  int dx = 0, dy = 0;
  av::FramePtr picture;  // yuv420p
};

struct InputSlot {
  explicit InputSlot(size_t capacity) : queue(capacity) {}
  BoundedQueue<InputItem> queue;  // loop -> decoder thread
  // Stats (relaxed): units queued and lost to a full queue, frames decoded, errors.
  std::atomic<uint64_t> unitsIn{0}, unitsDropped{0}, framesIn{0}, decodeErrors{0};
  std::atomic<uint64_t> audioIn{0}, audioDropped{0}, audioErrors{0};
  std::atomic<int64_t> lastFrameMs{INT64_MIN};  // compositorNowMs() of the latest frame
  std::atomic<int> sourceWidth{0}, sourceHeight{0};
  std::atomic<uint8_t> shown{static_cast<uint8_t>(InputShow::Slate)};  // by the compositor

  // The latest picture, scaled to every size the scenes draw it at: replaced by the
  // decoder thread, copied into the canvases by the compositors, both under `mutex`.
  std::mutex mutex;
  std::vector<PlacedPicture> pictures;
  std::string error;  // the decoder's last error
};

// What PATCH and take change while the program runs.
struct Scene {
  std::vector<LayerSpec> layers;    // the program's, bottom to top (SceneSpec::resolved)
  std::vector<LayerSpec> incoming;  // a fade's next scene (empty: no fade)
  int64_t fadeStartMs = 0;          // compositorNowMs() when the fade began
  int fadeMs = 0;
  std::vector<LayerSpec> preview;  // the preview stream's
  uint32_t slateRgb = 0x202040;
  std::string slateText;
  StallPolicy policy;
  std::vector<float> gains;  // per input for the audio mix; 0 when muted
};

struct CompositorSettings {
  uint64_t id = 0;
  std::string key;  // the program's stream, for logs and thread names
  int width = 0, height = 0, fps = 30, kbps = 0, gopMs = 2000, audioKbps = 128;
  std::string preset;
  size_t queueFrames = 8;
  std::string fontFile;   // of the slate's text and the danmaku (mixer.font)
  std::string assetsDir;  // image layers are named in it (mixer.assets_dir)
  // The preview stream's canvas (0 x 0: none) and fps.
  int previewWidth = 0, previewHeight = 0, previewFps = 10;
  std::optional<DanmakuSpec> danmaku;  // none: no danmaku drawn
};

struct CompositorCounters {
  std::atomic<uint64_t> framesOut{0};
  std::atomic<uint64_t> skipped{0};  // ticks the clock passed over (the thread was late)
  std::atomic<uint64_t> keyframes{0};
  std::atomic<int64_t> busyNs{0};   // compose + encode wall time
  std::atomic<int64_t> mediaMs{0};  // program time produced
  std::atomic<int64_t> lastPts{-1};
  std::atomic<uint64_t> audioFrames{0};  // AAC frames out
};

struct CompositorState {
  CompositorState(CompositorSettings s, av::Libraries& l, std::function<bool(MixerEvent)> p,
                  size_t inputs, Scene scene)
      : settings(std::move(s)), libs(l), post(std::move(p)), bus(inputs), scene_(scene) {
    for (size_t i = 0; i < inputs; ++i)
      slots.push_back(std::make_unique<InputSlot>(settings.queueFrames));
  }

  const CompositorSettings settings;
  av::Libraries& libs;                            // outlives the program (main owns it)
  const std::function<bool(MixerEvent)> post;     // the ProgramSet's Mailbox; any thread
  std::vector<std::unique_ptr<InputSlot>> slots;  // fixed size after construction
  std::atomic<bool> stop{false};
  std::atomic<bool> keyRequested{false};
  std::atomic<bool> previewKeyRequested{false};
  CompositorCounters counters;
  CompositorCounters previewCounters;
  MixBus bus;            // the inputs' audio, mixed by the compositor
  DanmakuInbox danmaku;  // the room's messages, loop -> compositor (settings.danmaku)

  // Loop: a new scene; the decoders rescale their latest picture at once.
  void setScene(const Scene& s) {
    {
      std::lock_guard lock(sceneMutex_);
      scene_ = s;
      ++revision_;
    }
    for (auto& slot : slots) slot->queue.wake();
  }
  Scene scene(uint64_t* revision = nullptr) const {
    std::lock_guard lock(sceneMutex_);
    if (revision) *revision = revision_;
    return scene_;
  }
  // Loop: every thread returns at once (the compositor from its wait, the decoders
  // from their queues).
  void stopAll() {
    {
      std::lock_guard lock(waitMutex);
      stop.store(true, std::memory_order_release);
    }
    waitCv.notify_all();
    for (auto& slot : slots) slot->queue.wake();
  }

  std::mutex waitMutex;  // the compositor waits for its next tick on waitCv
  std::condition_variable waitCv;

 private:
  mutable std::mutex sceneMutex_;
  Scene scene_;            // guarded by sceneMutex_
  uint64_t revision_ = 1;  // guarded by sceneMutex_
};

}  // namespace mixer
