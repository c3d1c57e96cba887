// Reads [[mixer.profile]] tables for the config validator (config.cpp only): names,
// stream patterns, unique names; the rest of each table becomes the JSON spec that
// main.cpp checks with mixer::PipelineSpec. Main thread; never throws.
#pragma once

#include <string>
#include <toml.hpp>
#include <vector>

#include "core/config/mixer_config.hpp"

namespace core {

// A problem inside a key's value, at the TOML value it is about (for its line).
struct ValueProblem {
  const toml::value* at;
  std::string key;  // e.g. mixer.profile "default".streams
  std::string reason;
};

// "" when `pattern` is "app/name", "app/*" or "*", else the reason (record.streams
// and profiles' streams; defined in config.cpp).
std::string checkStreamPattern(const std::string& pattern);

// `v` is the value of mixer.profile (an array of tables); `out` gets every valid
// profile. Returns the problems, empty when all is well.
std::vector<ValueProblem> readMixerProfiles(const toml::value& v, std::vector<MixerProfile>& out);

}  // namespace core
