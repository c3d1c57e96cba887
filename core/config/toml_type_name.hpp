// tomlTypeName: "a boolean", "an integer"... for the validator's "expected X, got Y"
// messages (config.cpp, mixer_config.cpp). Pure.
#pragma once

#include <string>
#include <toml.hpp>

namespace core {

inline std::string tomlTypeName(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    case toml::value_t::empty:
      return "nothing";
    default:
      return "a date/time";
  }
}

}  // namespace core
