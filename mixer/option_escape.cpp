#include "mixer/option_escape.hpp"

namespace mixer {

namespace {

bool optionSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

// NOTE: av_get_token() treats \ and ' specially and stops at its terminators (":" for
// a value, "=" for a key); , ; [ ] separate filters and links in a filtergraph
// description, one level up. None of them is special after a backslash, so escaping
// them all costs nothing and keeps a value safe at both levels.
bool optionSpecial(char c) {
  switch (c) {
    case '\\':
    case '\'':
    case ':':
    case '=':
    case ',':
    case ';':
    case '[':
    case ']':
      return true;
    default:
      return false;
  }
}

bool optionKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::string escapeOptionValue(std::string_view value) {
  // Edge whitespace: av_get_token skips it before the first character and trims it
  // after the last escaped one.
  size_t first = 0;
  while (first < value.size() && (optionSpace(value[first]) || value[first] == '\0')) ++first;
  size_t last = value.size();
  while (last > first && (optionSpace(value[last - 1]) || value[last - 1] == '\0')) --last;
  std::string out;
  out.reserve(value.size() + value.size() / 4 + 2);
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\0') continue;
    if (optionSpecial(c) || (optionSpace(c) && (i < first || i >= last))) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string joinOptions(const OptionPairs& pairs) {
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!optionKey(key)) continue;
    if (!out.empty()) out.push_back(':');
    out += key;
    out.push_back('=');
    out += escapeOptionValue(value);
  }
  return out;
}

}  // namespace mixer
