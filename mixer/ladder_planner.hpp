// LadderPlanner: from the source's size and frame rate and a PipelineSpec, the rungs
// to encode (no upscale), their sizes, frame rates, cascade parents, GOP in frames
// and x264 settings. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mixer/pipeline_spec.hpp"

namespace mixer {

struct SourceVideo {
  int width = 0;
  int height = 0;
  double fps = 0;  // 0 = unknown: 30 is assumed
};

// What a RungEncoder sets on libx264 through libavcodec (names as av_opt_set takes them).
struct X264Settings {
  std::string preset;
  std::string tune;       // "" = none
  int64_t bitRate = 0;    // "b", bits/s
  int64_t maxRate = 0;    // "maxrate", bits/s: 1.1 x b
  int64_t bufSize = 0;    // "bufsize", bits: 1.5 x b
  int gop = 0;            // "g": 10 GOPs, a safety net; the KeySchedule forces the keys
  int keyintMin = 0;      // "keyint_min": one GOP
  int scThreshold = 0;    // "sc_threshold": no scene-cut keys, only scheduled ones
  bool forcedIdr = true;  // "forced-idr": a forced key is an IDR (a segment may start there)
  int threads = 1;        // "threads"
};

struct PlannedRung {
  size_t specIndex = 0;  // in PipelineSpec::rungs
  int width = 0;
  int height = 0;
  double fps = 0;           // min(rung, source)
  bool reducesFps = false;  // below the source's: an fps node on its branch
  int parent = -1;          // index in LadderPlan::rungs it is scaled from; -1 = the source
  int kbps = 0;
  int gopFrames = 0;  // gop_ms at this rung's fps
  X264Settings x264;

  std::string name;  // the spec's label; "" = "{height}p"

  std::string label() const { return name.empty() ? std::to_string(height) + "p" : name; }
};

struct LadderPlan {
  std::vector<PlannedRung> rungs;    // largest first; each scaled from the one before
  std::vector<std::string> dropped;  // why a rung of the spec was left out
  double sourceFps = 0;
};

class LadderPlanner {
 public:
  // `cpus` is mixer.threads, or the number of CPUs when that is 0. Rungs at or above
  // the source's height are dropped (listed with the reason); no rung left is an error.
  static std::optional<LadderPlan> plan(const SourceVideo& source, const PipelineSpec& spec,
                                        int cpus, std::string& error);

  // An even width for `height` keeping the source's aspect ratio: 854 for 480 of 1920x1080.
  static int widthFor(int height, int sourceWidth, int sourceHeight);
  static int gopFrames(int gopMs, double fps);
};

}  // namespace mixer
