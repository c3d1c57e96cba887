// ProgramSpec: the typed description of one compositor program: its inputs (hub
// streams by app/name, gain, mute), its program and preview scenes (SceneSpec), the
// output canvas, x264, the preview stream and the stall policy with its slate;
// parsed from the API's JSON with bounded, path-named errors. Pure value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mixer/danmaku_spec.hpp"
#include "mixer/layout_geometry.hpp"
#include "mixer/scene_spec.hpp"

namespace mixer {

inline constexpr size_t kMaxProgramInputs = 9;  // the 3x3 grid; each is a decoder thread
inline constexpr int kMinProgramSide = 64;
inline constexpr int kMaxProgramWidth = 3840;
inline constexpr int kMaxProgramHeight = 2160;
inline constexpr size_t kMaxSlateTextBytes = 200;  // one line across a cell

// What [mixer] gives a program that sets none of these.
struct ProgramDefaults {
  std::string slateColor = "#202040";
  int stallMs = 500;
  int repeatMs = 3000;
  int previewFps = 10;  // 0: programs publish no preview stream unless they ask
};

struct ProgramInputSpec {
  std::string app, name;
  double gain = 1.0;  // 0..4, for the audio mix
  bool mute = false;
  std::string key() const { return app + "/" + name; }
  bool operator==(const ProgramInputSpec&) const = default;
};

struct ProgramSpec {
  std::string app, name;  // the program's own stream
  std::vector<ProgramInputSpec> inputs;
  SceneSpec scene;                   // what the program shows
  SceneSpec preview;                 // what "take" makes the program (default: the program's scene)
  int width = 1280;                  // even
  int height = 720;                  // even
  int fps = 30;                      // 1..60
  int kbps = 2500;                   // 50..20000
  std::string preset = "superfast";  // ultrafast or superfast (+ zerolatency)
  int gopMs = 2000;                  // 500..10000
  int audioKbps = 128;               // 32..320, the mix's AAC
  std::string slateColor;            // "#RRGGBB"
  std::string slateText;             // one line drawn on the slate, "" = none
  int stallMs = 500;                 // 100..10000
  int repeatMs = 3000;               // 0..60000
  // The preview scene published as "{name}_preview" (small, low fps) when enabled.
  bool previewStream = false;
  int previewWidth = 0, previewHeight = 0, previewFps = 10;
  std::optional<DanmakuSpec> danmaku;  // the room's text drawn on the picture; none: clean

  std::string key() const { return app + "/" + name; }
  std::string previewKey() const { return app + "/" + name + "_preview"; }
  std::vector<std::string> inputKeys() const;
  bool operator==(const ProgramSpec&) const = default;

  // Reads {"output":"app/name", "inputs":[{"stream":"app/name","gain","mute"}],
  // "layout":"single"|"pip"|"side_by_side"|"grid2x2"|"grid3x3", "pip":{"x","y","w","h"},
  // "layers":[...] (SceneSpec), "preview":{"layout","pip","layers"},
  // "preview_stream":{"enabled","width","height","fps"}, "width","height","fps","kbps",
  // "preset","gop_ms","audio_kbps", "slate":{"color","text"}, "stall_ms","repeat_ms",
  // "danmaku":{...} (DanmakuSpec)}. Unknown fields are errors. Never throws.
  static std::optional<ProgramSpec> parse(const nlohmann::json& j, const ProgramDefaults& defaults,
                                          std::string& error);
  nlohmann::json toJson() const;
  // The fields PATCH may change are the scenes (layout, pip, layers, preview),
  // inputs (stream, gain, mute; not their number), slate, stall_ms and repeat_ms;
  // `error` names the first other one `next` changes.
  bool onlyLiveChanges(const ProgramSpec& next, std::string& error) const;
};

// "#RRGGBB" -> 0xRRGGBB; nullopt when it is not that.
std::optional<uint32_t> parseRgb(const std::string& color);

}  // namespace mixer
