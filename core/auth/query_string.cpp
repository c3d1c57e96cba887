#include "core/auth/query_string.hpp"

namespace core {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percentDecode(std::string_view in, std::string& out, bool plusIsSpace) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && plusIsSpace) {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      if (in.size() - i < 3) return false;  // truncated escape
      int hi = hexValue(in[i + 1]);
      int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      char decoded = static_cast<char>(hi << 4 | lo);
      if (decoded == '\0') return false;  // NOTE: values may reach C APIs
      out.push_back(decoded);
      i += 2;
    }
  }
  return true;
}

QueryString QueryString::parse(std::string_view raw) {
  QueryString q;
  if (raw.size() > kMaxLength) {
    q.error_ = "query string too long (" + std::to_string(raw.size()) + " bytes, max " +
               std::to_string(kMaxLength) + ")";
    return q;
  }
  if (!raw.empty() && raw.front() == '?') raw.remove_prefix(1);
  while (!raw.empty()) {
    size_t amp = raw.find('&');
    std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view{} : raw.substr(amp + 1);
    if (pair.empty()) continue;
    if (q.params_.size() == kMaxParams) {
      q.error_ = "too many query parameters (max " + std::to_string(kMaxParams) + ")";
      break;
    }
    size_t eq = pair.find('=');
    std::string_view rawName = pair.substr(0, eq);
    std::string_view rawValue =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    std::string name, value;
    if (rawName.empty()) {
      q.error_ = "query parameter with an empty name";
    } else if (!percentDecode(rawName, name)) {
      q.error_ = "bad percent-encoding in query parameter name '" + std::string(rawName) + "'";
    } else if (!percentDecode(rawValue, value)) {
      q.error_ = "bad percent-encoding in value of query parameter '" + name + "'";
    }
    if (!q.error_.empty()) break;
    q.params_.emplace_back(std::move(name), std::move(value));
  }
  if (!q.ok()) q.params_.clear();
  return q;
}

const std::string* QueryString::find(std::string_view name) const {
  for (const auto& [n, v] : params_) {
    if (n == name) return &v;
  }
  return nullptr;
}

size_t QueryString::count(std::string_view name) const {
  size_t n = 0;
  for (const auto& p : params_) n += p.first == name;
  return n;
}

}  // namespace core
