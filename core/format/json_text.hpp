// JSON text for the data path, which never throws: invalid UTF-8 (which the
// parser already refuses) is replaced instead of aborting. Header only (nlohmann);
// any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace core {

inline std::string dumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace core
