#include "mixer/pipeline_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "mixer/spec_reader.hpp"

namespace mixer {

namespace {

// x264's own lists (x264.h x264_preset_names / x264_tune_names).
constexpr std::string_view kX264Presets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                             "fast",      "medium",    "slow",     "slower",
                                             "veryslow",  "placebo"};
constexpr std::string_view kX264Tunes[] = {"film", "animation", "grain",      "stillimage",
                                           "psnr", "ssim",      "fastdecode", "zerolatency"};
constexpr std::string_view kKeyframePolicies[] = {"source", "fixed"};
constexpr std::string_view kAudioModes[] = {"copy", "aac"};

std::string presetList() {
  std::string s;
  for (auto p : kX264Presets) s += (s.empty() ? "" : ", ") + std::string(p);
  return s;
}

bool readPreset(SpecReader& r, const char* key, std::string& out) {
  if (!r.has(key)) return true;
  if (!r.text(key, out, 16)) return false;
  if (!isX264Preset(out))
    return r.fail(key, "\"" + out + "\" is not an x264 preset (" + presetList() + ")");
  return true;
}

bool readTune(SpecReader& r, const char* key, std::string& out) {
  if (!r.text(key, out, 16)) return false;
  if (!out.empty() && !isX264Tune(out))
    return r.fail(key, "\"" + out + "\" is not an x264 tune (\"\" for none)");
  return true;
}

bool readEven(SpecReader& r, const char* key, int& out, int lo, int hi, bool required) {
  if (!r.integer(key, out, lo, hi, required)) return false;
  if (out % 2 != 0)
    return r.fail(key, fmt::format("{} is odd (H.264 4:2:0 needs even sizes)", out));
  return true;
}

std::optional<RungSpec> readRung(const nlohmann::json& j, const std::string& path,
                                 std::string& error) {
  SpecReader r(j, path, error);
  RungSpec rung;
  if (!r.isObject() || !readEven(r, "height", rung.height, kMinRungHeight, kMaxRungHeight, true) ||
      !r.integer("fps", rung.fps, 1, kMaxRungFps) ||
      !r.integer("kbps", rung.kbps, kMinRungKbps, kMaxRungKbps, true) ||
      !readPreset(r, "preset", rung.preset))
    return std::nullopt;
  if (r.has("width") && !readEven(r, "width", rung.width, kMinRungHeight, kMaxRungWidth, false))
    return std::nullopt;
  if (r.has("tune")) {
    std::string tune;
    if (!readTune(r, "tune", tune)) return std::nullopt;
    rung.tune = tune;
  }
  if (!r.noUnknownFields()) return std::nullopt;
  return rung;
}

bool readRungs(SpecReader& r, PipelineSpec& spec) {
  const nlohmann::json* rungs = r.get("rungs");
  if (!rungs) return r.fail("rungs", "missing");
  if (!rungs->is_array() || rungs->empty() || rungs->size() > kMaxRungs)
    return r.fail("rungs", fmt::format("must be a list of 1..{} rungs", kMaxRungs));
  for (size_t i = 0; i < rungs->size(); ++i) {
    std::string path = fmt::format("{}[{}]", r.pathOf("rungs"), i);
    auto rung = readRung((*rungs)[i], path, r.errorText());
    if (!rung) return false;
    for (const auto& other : spec.rungs) {
      if (other.height == rung->height) {
        r.errorText() = fmt::format("{}.height: {} used twice", path, rung->height);
        return false;
      }
    }
    spec.rungs.push_back(*rung);
  }
  return true;
}

bool readOverlays(SpecReader& r, PipelineSpec& spec) {
  const nlohmann::json* overlays = r.get("overlays");
  if (!overlays || overlays->is_null()) return true;
  if (!overlays->is_array() || overlays->size() > kMaxOverlays)
    return r.fail("overlays", fmt::format("must be a list of at most {} overlays", kMaxOverlays));
  for (size_t i = 0; i < overlays->size(); ++i) {
    std::string path = fmt::format("{}[{}]", r.pathOf("overlays"), i);
    auto overlay = OverlaySpec::parse((*overlays)[i], path, r.errorText());
    if (!overlay) return false;
    for (const auto& other : spec.overlays) {
      if (other.id == overlay->id) {
        r.errorText() = fmt::format("{}.id: \"{}\" used twice", path, overlay->id);
        return false;
      }
    }
    spec.overlays.push_back(std::move(*overlay));
  }
  return true;
}

bool readMaster(SpecReader& r, PipelineSpec& spec) {
  const nlohmann::json* master = r.get("master");
  if (!master) return true;
  SpecReader m(*master, r.pathOf("master"), r.errorText());
  return m.isObject() && m.boolean("source", spec.masterSource) && m.noUnknownFields();
}

}  // namespace

std::optional<PipelineSpec> PipelineSpec::parse(const nlohmann::json& j, std::string& error) {
  SpecReader r(j, "", error);
  PipelineSpec spec;
  size_t keyframes = 0, audio = 0;
  if (!r.isObject() || !readPreset(r, "preset", spec.preset) || !readTune(r, "tune", spec.tune) ||
      !readRungs(r, spec) || !r.integer("gop_ms", spec.gopMs, 500, 10000) ||
      !r.choice("keyframes", keyframes, {kKeyframePolicies[0], kKeyframePolicies[1]}) ||
      !r.choice("audio", audio, {kAudioModes[0], kAudioModes[1]}) ||
      !r.integer("audio_kbps", spec.audioKbps, 32, 320) || !readMaster(r, spec) ||
      !readOverlays(r, spec) || !r.noUnknownFields())
    return std::nullopt;
  spec.keyframes = static_cast<KeyframePolicy>(keyframes);
  spec.audio = static_cast<AudioMode>(audio);
  return spec;
}

nlohmann::json PipelineSpec::toJson() const {
  nlohmann::json rungList = nlohmann::json::array();
  for (const auto& rung : rungs) {
    nlohmann::json jr = {{"height", rung.height}, {"fps", rung.fps}, {"kbps", rung.kbps}};
    if (rung.width != 0) jr["width"] = rung.width;
    if (!rung.preset.empty()) jr["preset"] = rung.preset;
    if (rung.tune) jr["tune"] = *rung.tune;
    rungList.push_back(std::move(jr));
  }
  nlohmann::json overlayList = nlohmann::json::array();
  for (const auto& overlay : overlays) overlayList.push_back(overlay.toJson());
  return {{"rungs", std::move(rungList)},
          {"preset", preset},
          {"tune", tune},
          {"gop_ms", gopMs},
          {"keyframes", kKeyframePolicies[static_cast<size_t>(keyframes)]},
          {"audio", kAudioModes[static_cast<size_t>(audio)]},
          {"audio_kbps", audioKbps},
          {"master", {{"source", masterSource}}},
          {"overlays", std::move(overlayList)}};
}

const std::string& PipelineSpec::presetOf(const RungSpec& rung) const {
  return rung.preset.empty() ? preset : rung.preset;
}

const std::string& PipelineSpec::tuneOf(const RungSpec& rung) const {
  return rung.tune ? *rung.tune : tune;
}

bool isX264Preset(std::string_view name) {
  return std::find(std::begin(kX264Presets), std::end(kX264Presets), name) !=
         std::end(kX264Presets);
}

bool isX264Tune(std::string_view name) {
  return std::find(std::begin(kX264Tunes), std::end(kX264Tunes), name) != std::end(kX264Tunes);
}

}  // namespace mixer
