#include "core/format/json_text.hpp"

#include <algorithm>

namespace core {
namespace {

constexpr auto kPlainAscii = [] {
  std::array<bool, 128> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

}  // namespace

size_t jsonNesting(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {  // skip the string: brackets in it do not count
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

JsonRead readJson(std::string_view text, size_t maxBytes, size_t maxDepth) {
  JsonRead out;
  if (text.size() > maxBytes) {
    out.status = JsonRead::Status::TooLarge;
    out.error = "larger than " + std::to_string(maxBytes) + " bytes";
    return out;
  }
  if (jsonNesting(text, maxDepth) > maxDepth) {
    out.status = JsonRead::Status::TooDeep;
    out.error = "nested deeper than " + std::to_string(maxDepth) + " levels";
    return out;
  }
  out.value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.value.is_discarded()) {
    out.error = "not valid JSON";
    return out;
  }
  out.status = JsonRead::Status::Ok;
  return out;
}

bool jsonVerbatim(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  auto continuation = [&](size_t n, unsigned char low, unsigned char high) {
    if (static_cast<size_t>(end - p) <= n || p[1] < low || p[1] > high) return false;
    for (size_t i = 2; i <= n; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += n + 1;
    return true;
  };
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if (!kPlainAscii[c]) return false;
      ++p;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!continuation(1, 0x80, 0xBF)) return false;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (!continuation(2, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF)) return false;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (!continuation(3, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF)) return false;
    } else {
      return false;
    }
  }
  return true;
}

std::string dumpJsonIndexed(const nlohmann::json& object, JsonMemberIndex& index) {
  index.count = 0;
  if (!object.is_object() || object.size() > JsonMemberIndex::kMax) return dumpJson(object);
  // NOTE: nlohmann's own serializer (a detail class, stable in Debian 12's 3.11.2)
  // writes each value, as dump() would; a key is written as it is when dump()
  // would not change it.
  std::string out;
  nlohmann::detail::serializer<nlohmann::json> serializer(
      nlohmann::detail::output_adapter<char>(out), ' ', nlohmann::json::error_handler_t::replace);
  out.push_back('{');
  size_t i = 0;
  for (auto it = object.begin(); it != object.end(); ++it, ++i) {
    if (i > 0) out.push_back(',');
    const auto begin = static_cast<uint32_t>(out.size());
    if (jsonVerbatim(it.key())) {
      out.push_back('"');
      out.append(it.key());
      out.push_back('"');
    } else {
      serializer.dump(nlohmann::json(it.key()), false, false, 0);
    }
    out.push_back(':');
    serializer.dump(it.value(), false, false, 0);
    index.spans[i] = {begin, static_cast<uint32_t>(out.size())};
  }
  out.push_back('}');
  index.count = static_cast<uint8_t>(i);
  return out;
}

}  // namespace core
