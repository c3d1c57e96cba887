// MixerConfig: the [mixer] section (the caster) and its [[mixer.profile]] ladders,
// part of core::Config. A plain value built by the config parser on the main thread.
// A profile's ladder stays JSON here: main.cpp checks it with mixer::PipelineSpec.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace core {

// Bounds of the [mixer] keys, with their reason.
inline constexpr int kMaxMixerThreads = 64;       // more than any machine we run on has cores
inline constexpr int kMaxMixerPipelines = 64;     // each one decodes a source: CPU runs out first
inline constexpr int kMaxMixerPrograms = 16;      // each composes and encodes: CPU runs out first
inline constexpr int kMinMixerQueueFrames = 2;    // one in work, one waiting
inline constexpr int kMaxMixerQueueFrames = 120;  // 4 s at 30 fps: latency past that is no use
inline constexpr size_t kMaxMixerProfiles = 32;
inline constexpr size_t kMaxProfileStreams = 64;
inline constexpr size_t kMaxProfileNameBytes = 64;

// One [[mixer.profile]]: a ladder started on the streams its patterns match.
struct MixerProfile {
  std::string name;                  // [A-Za-z0-9_-], 1..64 bytes, unique
  std::vector<std::string> streams;  // "app/name", "app/*", "*"; [] = only through the API
  // The profile's other keys as the JSON mixer::PipelineSpec::parse reads: "rungs",
  // "preset", "tune", "gop_ms", "keyframes", "audio", "audio_kbps", "overlays" as
  // written, and master_source as {"master":{"source":...}}. Not checked here.
  nlohmann::json spec = nlohmann::json::object();
  int line = 0;  // of its [[mixer.profile]] header in the file; 0 when set by --set
  std::map<std::string, int> fieldLines;  // a spec path ("rungs[1].kbps") -> its line

  bool matches(std::string_view streamKey) const;
  // The line of `path` in the spec ("rungs[1].kbps", as a PipelineSpec error names
  // it), else of its nearest enclosing field ("rungs[1]"), else `line`.
  int lineOf(std::string_view path) const;
};

struct MixerConfig {
  bool enabled = true;
  int threads = 0;                   // 0..64, worker threads pipelines size themselves to; 0 = CPUs
  int maxPipelines = 2;              // 1..64, pipelines at once; more are refused
  int queueFrames = 8;               // 2..120, frames queued per stage
  std::string assetsDir = "assets";  // where the API's logos and fonts are named from
  // Font of text layers that name none: one face with Latin, kana, CJK and Hangul.
  std::string font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
  // Audio variants: AAC made from a WHIP publisher's Opus for RTMP/FLV/HLS/recording,
  // Opus from an AAC/MP3 publisher's audio while WHEP viewers play it. Not gated by
  // `enabled` (which is about pipelines).
  bool audioVariants = true;
  int variantAacKbps = 128;  // 8..512
  int variantOpusKbps = 64;  // 8..512
  // How long an Opus variant runs on after its last WHEP viewer left (not in the
  // file: tests shorten it).
  int variantLingerMs = 10000;
  std::vector<MixerProfile> profiles;  // in file order
  // Programs (composed streams, /api/v1/programs): how many at once, and what one
  // that sets none shows of a stalled input: its last frame for repeat_ms once it is
  // stall_ms old, then the slate colour.
  int maxPrograms = 2;                 // 1..16
  std::string slateColor = "#202040";  // "#RRGGBB"
  int stallMs = 500;                   // 100..10000
  int repeatMs = 3000;                 // 0..60000
  // The fps of a program's preview stream ("{name}_preview", half its width and
  // height) when the program sets none; 0: programs publish no preview unless asked.
  int previewFps = 10;  // 0..30

  const MixerProfile* find(std::string_view name) const;
  // The first profile (in file order) one of whose patterns matches `streamKey`
  // ("app/name"), or nullptr. NOTE: for pushed streams only; a rung the mixer
  // derives is never a source, or "*" would start ladders of ladders.
  const MixerProfile* profileFor(std::string_view streamKey) const;
};

}  // namespace core
