// QueryString: a bounded parser for URL query strings ("a=1&b=x%20y"), used by
// URL signature checks and HTTP handlers. A plain value, no I/O; any thread.
// Never throws: a rejected input yields ok() == false and a reason in error().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace core {

class QueryString {
 public:
  // Limits against hostile URLs: longer inputs or more pairs are rejected.
  static constexpr size_t kMaxLength = 4096;
  static constexpr size_t kMaxParams = 64;

  // Parses `raw` (an optional leading '?' is skipped). Pairs are split on '&';
  // a pair without '=' has an empty value; empty pairs ("a=1&&b=2") are skipped.
  // Names and values are percent-decoded and '+' decodes to a space (form
  // encoding, as browsers send it). Rejected: bad or truncated %XX escapes, an
  // encoded NUL, an empty name ("=x"), more than kMaxParams pairs, more than
  // kMaxLength bytes.
  static QueryString parse(std::string_view raw);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // The first value of `name`, or nullptr when absent.
  const std::string* find(std::string_view name) const;
  // How many times `name` occurs (callers reject duplicates of security-relevant keys).
  size_t count(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
  std::string error_;
};

// Percent-decodes `in` into `out` ('+' -> ' ' when plusIsSpace). Returns false
// (and leaves `out` unspecified) on a malformed escape or an encoded NUL.
bool percentDecode(std::string_view in, std::string& out, bool plusIsSpace = true);

}  // namespace core
