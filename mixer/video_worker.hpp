// VideoWorker: the body of a run's decoder thread ("rc7-dec"): source units -> H.264
// decoder -> key marks (KeySchedule) -> the filter graph (scale cascade, overlays)
// -> one frame queue per rung. A full rung queue makes that rung wait for its next
// key; this thread never waits on a rung. Lives on its thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "av/av_ptr.hpp"
#include "mixer/filter_graph.hpp"
#include "mixer/logo_image.hpp"
#include "mixer/run_state.hpp"
#include "mixer/video_decoder.hpp"

namespace av {
struct FilterApi;
}

namespace mixer {

class VideoWorker {
 public:
  explicit VideoWorker(RunState& state) : state_(state), overlays_(state.settings.spec.overlays) {}
  // Runs until the input ends (then drains everything into the lanes) or the run
  // is abandoned. Errors go to the loop as a StageError; the lanes always end.
  void run();

 private:
  bool open(std::string& error);
  bool decode(const EncodedUnit& unit, std::string& error);
  bool receiveFrames(std::string& error);
  bool filterFrame(AVFrame* frame, std::string& error);
  std::unique_ptr<FilterGraph> buildGraph(const AVFrame* frame,
                                          const std::vector<OverlaySpec>& overlays,
                                          std::string& error);
  // Takes the overlay updates the loop queued: commands now, a rebuild at the next key.
  void applyOverlays();
  void rebuild(const AVFrame* frame);
  // Logos loaded and clock states for `overlays` (files read here, on this thread).
  bool loadAssets(const AVFrame* frame, const std::vector<OverlaySpec>& overlays,
                  GraphAssets& assets, std::vector<std::pair<std::string, LogoImage>>& logos,
                  std::string& error);
  void updateClocks();
  bool pullRungs(std::string& error);
  bool drain(std::string& error);
  void fail(const std::string& error);

  RunState& state_;
  const av::FilterApi* api_ = nullptr;
  std::unique_ptr<VideoDecoder> decoder_;
  std::unique_ptr<FilterGraph> graph_;
  av::FramePtr decoded_;
  std::optional<int64_t> lastPts_;
  std::vector<OverlaySpec> overlays_;        // what graph_ shows
  std::optional<OverlayUpdate> rebuild_;     // waits for the next key
  std::optional<int64_t> epochMsAtPtsZero_;  // the clocks' base, set by the first graph
  std::optional<int64_t> clockReinitAt_;     // epoch s of the next zone transition
  uint64_t loggedErrors_ = 0;
};

}  // namespace mixer
