// PipelineSpec: the typed description of one caster pipeline (ladder rungs, x264
// settings, keyframe policy, audio, master playlist listing, overlays), parsed from
// the API's or a config profile's JSON with bounded, path-named errors. Pure value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mixer/overlay_spec.hpp"

namespace mixer {

// Bounds of a rung (plan B6), with the reason each is where it is.
inline constexpr int kMinRungHeight = 64;    // smaller is no use to a viewer
inline constexpr int kMaxRungHeight = 2160;  // 4K, the largest a rung makes sense at
inline constexpr int kMaxRungWidth = 3840;
inline constexpr int kMaxRungFps = 60;
inline constexpr int kMinRungKbps = 50;
inline constexpr int kMaxRungKbps = 20000;
inline constexpr size_t kMaxRungs = 6;      // each rung is one x264 thread
inline constexpr size_t kMaxOverlays = 16;  // each one is a filter on every frame

struct RungSpec {
  int height = 0;                   // even, 64..2160
  int width = 0;                    // even, 0 = from the source's aspect ratio
  int fps = 30;                     // 1..60, capped at the source's
  int kbps = 0;                     // 50..20000
  std::string preset;               // x264 preset; "" = the pipeline's
  std::optional<std::string> tune;  // x264 tune; unset = the pipeline's, "" = none
  // Made by the server, not read from JSON: the source's own size (height and width
  // ignored), and the output's name suffix and label instead of "{height}p"
  // (the WebRTC rendition "webrtc").
  bool sourceSize = false;
  std::string label;
  bool operator==(const RungSpec&) const = default;
};

enum class KeyframePolicy : uint8_t {
  Source,  // a key where the source has one, and at most gop_ms apart
  Fixed,   // a key each time floor(pts / gop_ms) changes
};
enum class AudioMode : uint8_t {
  Copy,  // the source's AAC in every rung
  Aac,   // decoded once, encoded to AAC at audio_kbps for all rungs
};

struct PipelineSpec {
  std::vector<RungSpec> rungs;
  std::string preset = "superfast";
  std::string tune = "zerolatency";
  int gopMs = 2000;  // 500..10000
  KeyframePolicy keyframes = KeyframePolicy::Source;
  AudioMode audio = AudioMode::Copy;
  int audioKbps = 128;       // 32..320
  bool masterSource = true;  // list the untouched source in the master playlists too
  std::vector<OverlaySpec> overlays;

  bool operator==(const PipelineSpec&) const = default;

  // Reads {"rungs":[{"height","width","fps","kbps","preset","tune"}], "preset", "tune",
  // "gop_ms", "keyframes":"source"|"fixed", "audio":"copy"|"aac", "audio_kbps",
  // "master":{"source"}, "overlays":[...]}. Unknown fields are errors (a typo must
  // not pass silently); the API removes its own ("stream", "profile") first.
  // On failure `error` names the field and the bound: "rungs[1].kbps: 100000 out of
  // 50..20000". Never throws.
  static std::optional<PipelineSpec> parse(const nlohmann::json& j, std::string& error);
  nlohmann::json toJson() const;

  // The rung's own preset and tune, or the pipeline's.
  const std::string& presetOf(const RungSpec& rung) const;
  const std::string& tuneOf(const RungSpec& rung) const;
};

bool isX264Preset(std::string_view name);
bool isX264Tune(std::string_view name);

}  // namespace mixer
