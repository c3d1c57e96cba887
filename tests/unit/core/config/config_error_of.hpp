// Test helper for the config tests: the ConfigError message parsing `text` (+ the
// --set overrides) gives; fails the test case if it parses.
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace testing_config {

inline const std::string kFile = "conf/roomcast.toml";

inline std::string errorOf(const std::string& text,
                           const std::vector<std::string>& overrides = {}) {
  try {
    core::parseConfig(text, kFile, overrides);
  } catch (const core::ConfigError& e) {
    return e.what();
  }
  BOOST_ERROR("expected a ConfigError for: " << text);
  return {};
}

}  // namespace testing_config
