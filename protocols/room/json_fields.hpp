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

// A string field, or "" when absent or not a string.
inline std::string textOrEmpty(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace room
