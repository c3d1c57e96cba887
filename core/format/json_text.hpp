// JSON text for the data path, which never throws: invalid UTF-8 (which the
// parser already refuses) is replaced instead of aborting. nlohmann underneath;
// any thread.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace core {

inline std::string dumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// True when dumpJson() writes `text` as it is between quotes: valid UTF-8 (RFC 3629:
// no overlong form, no surrogate, nothing past U+10FFFF) without a control
// character, quote or backslash (those are escaped, invalid bytes replaced).
bool jsonVerbatim(std::string_view text);

// Where each member of an object lies in its text, in the object's order:
// [begin, end) from the key's opening quote to the end of its value. `count` is
// 0 when the object has more members than fit (or is not an object).
struct JsonMemberIndex {
  static constexpr size_t kMax = 16;
  struct Span {
    uint32_t begin = 0;
    uint32_t end = 0;
  };
  std::array<Span, kMax> spans{};
  uint8_t count = 0;
};

// dumpJson(object), byte for byte, and where its members are in it, so a reader
// can copy members out of the text instead of writing them again.
std::string dumpJsonIndexed(const nlohmann::json& object, JsonMemberIndex& index);

}  // namespace core
