// ProgramControl: what the HTTP API needs of the compositor (mixer/), which
// protocols/ cannot see: create, list, read, change and delete programs (composed
// streams) from JSON. Implemented by mixer::ProgramSet; loop thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace core {

class ProgramControl {
 public:
  struct Answer {
    int status = 200;
    nlohmann::json body;  // the program, or {"error": ...}
  };
  virtual ~ProgramControl() = default;
  // POST /api/v1/programs {"output":"app/name", "inputs":[...], "layout":...}
  virtual Answer createProgram(const nlohmann::json& body) = 0;
  // {"programs": [...]}
  virtual nlohmann::json listPrograms() const = 0;
  virtual Answer getProgram(const std::string& key) const = 0;
  // PATCH: layout, pip, layers, preview, slate, stall_ms, repeat_ms, inputs (per
  // index: stream, gain, mute).
  virtual Answer patchProgram(const std::string& key, const nlohmann::json& body) = 0;
  virtual Answer removeProgram(const std::string& key) = 0;
  // POST .../take {"transition":"cut"|"fade","duration_ms"}: the preview scene goes
  // to program.
  virtual Answer takeProgram(const std::string& key, const nlohmann::json& body) {
    (void)body;
    return {501, {{"error", "programs here have no preview to take (" + key + ")"}}};
  }
};

}  // namespace core
