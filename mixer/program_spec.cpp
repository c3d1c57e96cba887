#include "mixer/program_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/media/stream_name.hpp"
#include "mixer/pipeline_spec.hpp"
#include "mixer/spec_reader.hpp"

namespace mixer {

namespace {

bool programStreamKey(SpecReader& r, const char* key, std::string& app, std::string& name) {
  std::string text;
  if (!r.text(key, text, 256, /*required=*/true)) return false;
  const size_t slash = text.find('/');
  if (slash == std::string::npos || !core::isValidStreamName(text.substr(0, slash)) ||
      !core::isValidStreamName(text.substr(slash + 1)))
    return r.fail(key, "\"" + text + "\" is not \"app/name\"");
  app = text.substr(0, slash);
  name = text.substr(slash + 1);
  return true;
}

bool programInputs(SpecReader& r, ProgramSpec& s) {
  const nlohmann::json* list = r.get("inputs");
  if (!list) return r.fail("inputs", "missing");
  if (!list->is_array() || list->empty() || list->size() > kMaxProgramInputs)
    return r.fail("inputs", fmt::format("must be a list of 1..{} inputs", kMaxProgramInputs));
  for (size_t i = 0; i < list->size(); ++i) {
    SpecReader in((*list)[i], fmt::format("inputs[{}]", i), r.errorText());
    ProgramInputSpec p;
    if (!in.isObject() || !programStreamKey(in, "stream", p.app, p.name) ||
        !in.number("gain", p.gain, 0, 4) || !in.boolean("mute", p.mute) || !in.noUnknownFields())
      return false;
    s.inputs.push_back(std::move(p));
  }
  return true;
}

bool programEven(SpecReader& r, const char* key, int v) {
  return v % 2 == 0 || r.fail(key, fmt::format("{} is odd (yuv420 needs even sizes)", v));
}

// "preview_stream": by default half the canvas each way (a quarter of its area).
bool programPreviewStream(SpecReader& r, ProgramSpec& s, int defaultFps) {
  s.previewStream = defaultFps > 0;
  s.previewFps = std::min(defaultFps > 0 ? defaultFps : 10, s.fps);
  s.previewWidth = std::max(kMinProgramSide, s.width / 4 * 2);
  s.previewHeight = std::max(kMinProgramSide, s.height / 4 * 2);
  const nlohmann::json* j = r.get("preview_stream");
  if (!j) return true;
  SpecReader p(*j, "preview_stream", r.errorText());
  return p.isObject() && p.boolean("enabled", s.previewStream) &&
         p.integer("width", s.previewWidth, kMinProgramSide, s.width) &&
         p.integer("height", s.previewHeight, kMinProgramSide, s.height) &&
         programEven(p, "width", s.previewWidth) && programEven(p, "height", s.previewHeight) &&
         p.integer("fps", s.previewFps, 1, s.fps) && p.noUnknownFields();
}

}  // namespace

std::optional<uint32_t> parseRgb(const std::string& color) {
  if (color.size() != 7 || color[0] != '#') return std::nullopt;
  uint32_t v = 0;
  for (char c : color.substr(1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 16 +
        static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c))
                                  ? c - '0'
                                  : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
  }
  return v;
}

std::optional<ProgramSpec> ProgramSpec::parse(const nlohmann::json& j,
                                              const ProgramDefaults& defaults, std::string& error) {
  ProgramSpec s;
  s.slateColor = defaults.slateColor;
  s.stallMs = defaults.stallMs;
  s.repeatMs = defaults.repeatMs;
  SpecReader r(j, "", error);
  size_t preset = 1;
  if (!r.isObject() || !programStreamKey(r, "output", s.app, s.name) || !programInputs(r, s) ||
      !r.integer("width", s.width, kMinProgramSide, kMaxProgramWidth) ||
      !r.integer("height", s.height, kMinProgramSide, kMaxProgramHeight) ||
      !programEven(r, "width", s.width) || !programEven(r, "height", s.height) ||
      !r.integer("fps", s.fps, 1, kMaxRungFps) ||
      !r.integer("kbps", s.kbps, kMinRungKbps, kMaxRungKbps) ||
      !r.choice("preset", preset, {"ultrafast", "superfast"}) ||
      !r.integer("gop_ms", s.gopMs, 500, 10000) || !r.integer("audio_kbps", s.audioKbps, 32, 320) ||
      !r.integer("stall_ms", s.stallMs, 100, 10000) ||
      !r.integer("repeat_ms", s.repeatMs, 0, 60000) ||
      !SceneSpec::parse(r, s.scene, s.inputKeys(), s.width, s.height) ||
      !programPreviewStream(r, s, defaults.previewFps))
    return std::nullopt;
  s.preset = preset == 0 ? "ultrafast" : "superfast";
  s.preview = s.scene;
  if (const nlohmann::json* preview = r.get("preview")) {
    SpecReader p(*preview, "preview", error);
    if (!p.isObject() || !SceneSpec::parse(p, s.preview, s.inputKeys(), s.width, s.height) ||
        !p.noUnknownFields())
      return std::nullopt;
  }
  if (const nlohmann::json* slate = r.get("slate")) {
    SpecReader sl(*slate, "slate", error);
    if (!sl.isObject() || !sl.text("color", s.slateColor, 16) ||
        !sl.text("text", s.slateText, kMaxSlateTextBytes) || !sl.noUnknownFields())
      return std::nullopt;
  }
  if (const nlohmann::json* dm = r.get("danmaku"); dm && !dm->is_null()) {
    SpecReader d(*dm, "danmaku", error);
    if (!DanmakuSpec::read(d, s.danmaku.emplace())) return std::nullopt;
  }
  if (!parseRgb(s.slateColor)) {
    r.fail("slate.color", "\"" + s.slateColor + "\" is not #RRGGBB");
    return std::nullopt;
  }
  if (!r.noUnknownFields()) return std::nullopt;
  for (const ProgramInputSpec& in : s.inputs)
    if (in.key() == s.key()) {
      error = "inputs: " + in.key() + " is the program's own output";
      return std::nullopt;
    }
  return s;
}

std::vector<std::string> ProgramSpec::inputKeys() const {
  std::vector<std::string> keys;
  for (const ProgramInputSpec& in : inputs) keys.push_back(in.key());
  return keys;
}

nlohmann::json ProgramSpec::toJson() const {
  nlohmann::json inputsJson = nlohmann::json::array();
  for (const ProgramInputSpec& in : inputs)
    inputsJson.push_back({{"stream", in.key()}, {"gain", in.gain}, {"mute", in.mute}});
  nlohmann::json previewJson = nlohmann::json::object();
  preview.toJson(previewJson);
  nlohmann::json j{{"output", key()},
                   {"inputs", std::move(inputsJson)},
                   {"preview", std::move(previewJson)},
                   {"preview_stream",
                    {{"enabled", previewStream},
                     {"width", previewWidth},
                     {"height", previewHeight},
                     {"fps", previewFps}}},
                   {"width", width},
                   {"height", height},
                   {"fps", fps},
                   {"kbps", kbps},
                   {"preset", preset},
                   {"gop_ms", gopMs},
                   {"audio_kbps", audioKbps},
                   {"slate", {{"color", slateColor}, {"text", slateText}}},
                   {"stall_ms", stallMs},
                   {"repeat_ms", repeatMs}};
  scene.toJson(j);
  j["danmaku"] = danmaku ? danmaku->toJson() : nlohmann::json();
  return j;
}

bool ProgramSpec::onlyLiveChanges(const ProgramSpec& next, std::string& error) const {
  auto refuse = [&](const char* field) {
    error =
        std::string(field) + " cannot change on a running program (delete it and create another)";
    return false;
  };
  if (next.key() != key()) return refuse("output");
  if (next.width != width || next.height != height) return refuse("width/height");
  if (next.fps != fps) return refuse("fps");
  if (next.kbps != kbps) return refuse("kbps");
  if (next.preset != preset) return refuse("preset");
  if (next.gopMs != gopMs) return refuse("gop_ms");
  if (next.audioKbps != audioKbps) return refuse("audio_kbps");
  if (next.previewStream != previewStream || next.previewWidth != previewWidth ||
      next.previewHeight != previewHeight || next.previewFps != previewFps)
    return refuse("preview_stream");
  if (next.inputs.size() != inputs.size()) return refuse("the number of inputs");
  if (next.danmaku != danmaku) return refuse("danmaku");
  return true;
}

}  // namespace mixer
