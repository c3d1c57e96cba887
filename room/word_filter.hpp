// WordFilter: the built-in content filter (R14) that works without a backend: a
// word list (one per line, '#' comments), matched case-insensitively (ASCII) as
// substrings; a match is masked with '*' (one per character) or rejects the
// message. Immutable once loaded, shared by every room; loop thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace room {

class WordFilter {
 public:
  static constexpr size_t kMaxWords = 10000;
  static constexpr size_t kMaxWordBytes = 64;

  // Parses a word list; `error` names the first bad line (empty when fine).
  static std::shared_ptr<const WordFilter> parse(std::string_view text, std::string& error);

  // Masks every match in `text` in place; returns how many matched.
  size_t mask(std::string& text) const;
  bool matches(std::string_view text) const;
  size_t size() const { return words_.size(); }

 private:
  // The next match at or after `from`: (position, length), or npos.
  std::pair<size_t, size_t> find(std::string_view lowered, size_t from) const;

  std::vector<std::string> words_;  // lower-cased, longest first
};

}  // namespace room
