// Program: one composed stream: its inputs (ProgramInput taps), the threads that
// decode them, the output-clocked Compositor of the program and the one of its
// preview (sharing a CompositorState), the program published into the hub as a
// stream of its own (origin mixer), so every output serves it, and its preview as
// "{name}_preview"; "take" makes the preview scene the program's (cut or fade).
// Owned by the ProgramSet; loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/loop/timer.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/compositor_state.hpp"
#include "mixer/danmaku_feed.hpp"
#include "mixer/mixer_event.hpp"
#include "mixer/program_input.hpp"
#include "mixer/program_spec.hpp"
#include "mixer/rung_output.hpp"
#include "mixer/worker_thread.hpp"

namespace mixer {

struct ProgramContext {
  core::EventLoop& loop;
  core::StreamRegistry& registry;
  av::Libraries& libs;
  size_t queueFrames = 8;
  std::string fontFile;                  // mixer.font
  std::string assetsDir;                 // mixer.assets_dir (image layers)
  std::function<bool(MixerEvent)> post;  // the ProgramSet's Mailbox
};

class Program {
 public:
  Program(ProgramContext& ctx, uint64_t id, ProgramSpec spec);
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // Publishes the program's stream and starts its threads; false with `error` when
  // the name is taken.
  bool start(std::string& error);
  // Stops the threads (they return within a frame) and ends the stream.
  void stop(std::string_view reason);
  // Joins the threads once each has returned; true when all are joined.
  bool tryReap();

  // A live change (scenes, slate, stall policy, inputs' streams, gain, mute),
  // applied on the next frame.
  void update(const ProgramSpec& spec);
  // The preview scene becomes the program's: at the next frame (`fadeMs` 0, a cut)
  // or blended in over `fadeMs`. False with `error` while a fade runs.
  bool take(int fadeMs, std::string& error);
  bool fading() const { return fade_.has_value(); }
  // A stream was published: the inputs waiting for it subscribe.
  void onPublish(const core::Stream& stream);
  void onEvent(MixerEvent&& event);

  uint64_t id() const { return id_; }
  const ProgramSpec& spec() const { return spec_; }
  nlohmann::json describe() const;

 private:
  Scene sceneOf(const ProgramSpec& spec) const;
  void sampleRates();
  void endFade();
  void onPreviewEvent(MixerEvent&& event);
  // The preview stream's key and frames, and the fade in progress (or null).
  void describePreview(nlohmann::json& j, int64_t nowMs) const;

  ProgramContext& ctx_;
  const uint64_t id_;
  ProgramSpec spec_;
  std::shared_ptr<CompositorState> state_;
  std::vector<std::unique_ptr<ProgramInput>> inputs_;
  std::unique_ptr<RungOutput> output_;
  std::unique_ptr<RungOutput> preview_;   // none when the spec asks for no preview stream
  std::unique_ptr<DanmakuFeed> danmaku_;  // when the spec draws the room's danmaku
  std::vector<std::unique_ptr<WorkerThread>> threads_;  // the compositor, then each input
  std::string error_;
  int64_t sinceMs_ = 0;
  bool stopped_ = false;
  struct Rate {
    uint64_t frames = 0;
    double fps = 0;
  };
  Rate outRate_;
  std::vector<Rate> inRates_;
  uint64_t sampledAtMs_ = 0;
  core::Timer rateTimer_;
  struct Fade {
    std::vector<LayerSpec> from;  // the program's layers when it began
    int64_t startMs = 0;          // compositorNowMs()
    int ms = 0;
  };
  std::optional<Fade> fade_;
  core::Timer fadeTimer_;
};

}  // namespace mixer
