// JSON text for the data path, which never throws: documents from outside are
// bounded in size and depth before they are parsed, and invalid UTF-8 is replaced
// instead of aborting a dump. nlohmann underneath; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace core {

// NOTE: nlohmann parses and destroys a value without recursion, but copying,
// comparing and dumping it recurse once per level: 65,000 nested arrays (130 KB)
// overflow the loop thread's stack and kill the server. The deepest document
// roomcast reads has 6 levels (an IM REST image message); 64 leave room.
inline constexpr size_t kMaxJsonDepth = 64;

// The deepest nesting of arrays and objects in `text`, strings left out; counting
// stops past `limit` (the result is then limit + 1). One pass over the bytes, no
// allocation; on malformed text some number (the parser then refuses the text).
size_t jsonNesting(std::string_view text, size_t limit = kMaxJsonDepth);

// A JSON document read from outside (a client, the backend, a file on disk).
struct JsonRead {
  enum class Status : uint8_t { Ok, TooLarge, TooDeep, Malformed };
  Status status = Status::Malformed;
  nlohmann::json value = nlohmann::json::value_t::discarded;  // unless ok()
  std::string error;  // e.g. "nested deeper than 64 levels", for a reply or a log
  bool ok() const { return status == Status::Ok; }
};

// Parses `text` when it holds at most `maxBytes` bytes and nests at most
// `maxDepth` levels, both checked on the bytes first, so a hostile document never
// becomes a value. Never throws. Every JSON from outside goes through here.
JsonRead readJson(std::string_view text, size_t maxBytes, size_t maxDepth = kMaxJsonDepth);

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
