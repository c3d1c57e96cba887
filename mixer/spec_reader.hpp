// SpecReader: reads the members of one JSON object of a caster spec, checking type
// and bounds and naming each failure by its path ("rungs[1].kbps: 100000 out of
// 50..20000"). Pure; any thread; never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mixer {

class SpecReader {
 public:
  // `object` must outlive the reader; `path` is "" at the top, else "rungs[1]".
  SpecReader(const nlohmann::json& object, std::string path, std::string& error);

  // False (and `error` set) when `object` is not a JSON object.
  bool isObject();
  bool has(const char* key) const;
  // The member, or nullptr; either way the key counts as known.
  const nlohmann::json* get(const char* key);

  // Each reader leaves `out` untouched when the key is absent (and not required);
  // false with `error` set on a wrong type or a value out of bounds.
  bool integer(const char* key, int& out, int lo, int hi, bool required = false);
  bool number(const char* key, double& out, double lo, double hi);
  bool boolean(const char* key, bool& out);
  // A string of at most `maxBytes` bytes, valid UTF-8, no control characters except
  // newline and tab when `multiline`.
  bool text(const char* key, std::string& out, size_t maxBytes, bool required = false,
            bool multiline = false);
  // One of `names`; `out` gets its index.
  bool choice(const char* key, size_t& out, std::initializer_list<std::string_view> names);

  // False when the object holds a member none of the readers above asked for.
  bool noUnknownFields();

  std::string pathOf(std::string_view key) const;
  // For a reader of a nested object, which reports into the same string.
  std::string& errorText() { return error_; }
  bool fail(std::string_view key, const std::string& message);

 private:
  const nlohmann::json& object_;
  std::string path_;
  std::string& error_;
  std::vector<std::string> seen_;
};

// True when `s` is valid UTF-8 (no overlong forms, no surrogates).
bool validUtf8(std::string_view s);

}  // namespace mixer
