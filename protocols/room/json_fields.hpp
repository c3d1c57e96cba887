// Typed reads of a request's JSON fields, shared by the room's HTTP transports
// (/api/v1 and the IM REST /v4). Pure; never throw; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace room {

// A string field: `fallback` when absent, nullopt when not a string.
inline std::optional<std::string> textField(const nlohmann::json& j, const char* key,
                                            std::string fallback = "") {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace room
