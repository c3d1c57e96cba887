#include "mixer/spec_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace mixer {

namespace {

std::string specValueText(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

}  // namespace

SpecReader::SpecReader(const nlohmann::json& object, std::string path, std::string& error)
    : object_(object), path_(std::move(path)), error_(error) {}

bool SpecReader::isObject() {
  if (object_.is_object()) return true;
  error_ = (path_.empty() ? std::string("spec") : path_) + ": must be a JSON object";
  return false;
}

bool SpecReader::has(const char* key) const {
  return object_.is_object() && object_.contains(key);
}

const nlohmann::json* SpecReader::get(const char* key) {
  seen_.emplace_back(key);
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

std::string SpecReader::pathOf(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

bool SpecReader::fail(std::string_view key, const std::string& message) {
  error_ = pathOf(key) + ": " + message;
  return false;
}

bool SpecReader::integer(const char* key, int& out, int lo, int hi, bool required) {
  const nlohmann::json* v = get(key);
  if (!v) return required ? fail(key, "missing") : true;
  // 30.0 is accepted as 30; 29.5 is not an integer.
  double d = 0;
  if (v->is_number_integer() || v->is_number_unsigned()) {
    d = v->is_number_unsigned() ? static_cast<double>(v->get<uint64_t>())
                                : static_cast<double>(v->get<int64_t>());
  } else if (v->is_number_float() && std::isfinite(v->get<double>()) &&
             std::floor(v->get<double>()) == v->get<double>()) {
    d = v->get<double>();
  } else {
    return fail(key, specValueText(*v) + " is not an integer");
  }
  if (d < lo || d > hi)
    return fail(key, fmt::format("{} out of {}..{}", specValueText(*v), lo, hi));
  out = static_cast<int>(d);
  return true;
}

bool SpecReader::number(const char* key, double& out, double lo, double hi) {
  const nlohmann::json* v = get(key);
  if (!v) return true;
  if (!v->is_number() || !std::isfinite(v->get<double>()))
    return fail(key, specValueText(*v) + " is not a number");
  double d = v->get<double>();
  if (d < lo || d > hi)
    return fail(key, fmt::format("{} out of {}..{}", specValueText(*v), lo, hi));
  out = d;
  return true;
}

bool SpecReader::boolean(const char* key, bool& out) {
  const nlohmann::json* v = get(key);
  if (!v) return true;
  if (!v->is_boolean()) return fail(key, specValueText(*v) + " is not true or false");
  out = v->get<bool>();
  return true;
}

bool SpecReader::text(const char* key, std::string& out, size_t maxBytes, bool required,
                      bool multiline) {
  const nlohmann::json* v = get(key);
  if (!v) return required ? fail(key, "missing") : true;
  if (!v->is_string()) return fail(key, specValueText(*v) + " is not a string");
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > maxBytes)
    return fail(key, fmt::format("{} bytes, at most {}", s.size(), maxBytes));
  if (!validUtf8(s)) return fail(key, "not valid UTF-8");
  for (unsigned char c : s) {
    bool allowed = c >= 0x20 && c != 0x7f;
    if (multiline && (c == '\n' || c == '\t')) allowed = true;
    if (!allowed) return fail(key, fmt::format("control character 0x{:02x} not allowed", c));
  }
  out = s;
  return true;
}

bool SpecReader::choice(const char* key, size_t& out,
                        std::initializer_list<std::string_view> names) {
  const nlohmann::json* v = get(key);
  if (!v) return true;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    size_t i = 0;
    for (auto name : names) {
      if (s == name) {
        out = i;
        return true;
      }
      ++i;
    }
  }
  std::string list;
  for (auto name : names) list += (list.empty() ? "" : ", ") + std::string(name);
  return fail(key, specValueText(*v) + " is not one of " + list);
}

bool SpecReader::noUnknownFields() {
  if (!object_.is_object()) return true;
  for (const auto& [key, value] : object_.items()) {
    if (std::find(seen_.begin(), seen_.end(), key) == seen_.end())
      return fail(key, "unknown field");
  }
  return true;
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace mixer
