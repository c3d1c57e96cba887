#include "core/media/recording_file.hpp"

#include "core/loop/wall_clock.hpp"

namespace core {

nlohmann::json RecordingFile::toJson(bool withFragments) const {
  nlohmann::json j = {{"id", id},
                      {"stream", stream},
                      {"format", format},
                      {"path", path},
                      {"eventsPath", eventsPath},
                      {"start", isoUtc(startWallMs)},
                      {"startMs", startWallMs},
                      {"startStreamMs", startStreamMs},
                      {"durationMs", durationMs},
                      {"bytes", bytes},
                      {"events", events},
                      {"open", open},
                      {"interrupted", interrupted}};
  if (!endReason.empty()) j["endReason"] = endReason;
  if (!error.empty()) j["error"] = error;
  if (withFragments) {
    auto& list = j["fragments"] = nlohmann::json::array();
    for (const auto& f : fragments)
      list.push_back({f.offset, f.size, f.startMs, f.durationMs, f.independent});
  }
  return j;
}

std::optional<RecordingFile> RecordingFile::fromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  RecordingFile f;
  auto text = [&](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto integer = [&](const char* key, auto& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return false;
    out = it->get<std::decay_t<decltype(out)>>();
    return true;
  };
  if (!text("id", f.id) || !text("stream", f.stream) || !text("format", f.format) ||
      !text("path", f.path) || !text("eventsPath", f.eventsPath) ||
      !integer("startMs", f.startWallMs) || !integer("startStreamMs", f.startStreamMs) ||
      !integer("durationMs", f.durationMs) || !integer("bytes", f.bytes) ||
      !integer("events", f.events))
    return std::nullopt;
  text("endReason", f.endReason);
  text("error", f.error);
  f.open = false;
  if (auto it = j.find("interrupted"); it != j.end() && it->is_boolean())
    f.interrupted = it->get<bool>();
  auto frags = j.find("fragments");
  if (frags != j.end()) {
    if (!frags->is_array()) return std::nullopt;
    for (const auto& e : *frags) {
      if (!e.is_array() || e.size() != 5 || !e[0].is_number_unsigned() ||
          !e[1].is_number_unsigned() || !e[2].is_number_integer() || !e[3].is_number_integer() ||
          !e[4].is_boolean())
        return std::nullopt;
      f.fragments.push_back({e[0].get<uint64_t>(), e[1].get<uint64_t>(), e[2].get<int64_t>(),
                             e[3].get<int64_t>(), e[4].get<bool>()});
    }
  }
  return f;
}

}  // namespace core
