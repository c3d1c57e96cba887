#include "protocols/rtmp/relay_url.hpp"

#include <cctype>

namespace rtmp {
namespace {

constexpr size_t kRelayUrlMaxLength = 2048;

bool relayUrlPrintable(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      return false;
  return true;
}

bool relayUrlHostOk(std::string_view h) {
  for (char c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':'))
      return false;
  return !h.empty();
}

// "host[:port]" or "[v6][:port]" into `u`: "" or what is wrong.
std::string relayUrlAuthority(std::string_view authority, RelayUrl& u) {
  if (authority.find('@') != std::string_view::npos)
    return "user:password@ in the URL is not supported";
  std::string_view host = authority, port;
  if (authority.starts_with("[")) {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unclosed [ in the URL's host";
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(":")) return "junk after the URL's ]";
    if (!rest.empty()) port = rest.substr(1);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "an IPv6 host needs [ ]";
  }
  if (!relayUrlHostOk(host)) return "the URL has no valid host";
  u.host = std::string(host);
  if (authority.rfind(':') != std::string_view::npos && !authority.ends_with("]")) {
    if (port.empty() || port.size() > 5) return "the URL's port must be 1..65535";
    unsigned value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return "the URL's port must be 1..65535";
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return "the URL's port must be 1..65535";
    u.port = static_cast<uint16_t>(value);
    u.portGiven = true;
  }
  return {};
}

}  // namespace

std::string RelayUrl::tcUrl() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "rtmps://" : "rtmp://") + h +
         (portGiven ? ":" + std::to_string(port) : "") + "/" + app;
}

std::string RelayUrl::publishName() const {
  return query.empty() ? name : name + "?" + query;
}

std::string RelayUrl::redacted() const {
  return tcUrl() + "/" + name + (query.empty() ? "" : "?...");
}

std::optional<RelayUrl> parseRelayUrl(std::string_view text, std::string& error) {
  auto fail = [&error](std::string why) -> std::optional<RelayUrl> {
    error = std::move(why);
    return std::nullopt;
  };
  if (text.size() > kRelayUrlMaxLength)
    return fail("the URL is longer than " + std::to_string(kRelayUrlMaxLength) + " bytes");
  if (!relayUrlPrintable(text)) return fail("the URL holds spaces or control characters");
  RelayUrl u;
  if (text.starts_with("rtmp://")) {
    text.remove_prefix(7);
  } else if (text.starts_with("rtmps://")) {
    u.tls = true;
    u.port = kRtmpsDefaultPort;
    text.remove_prefix(8);
  } else {
    return fail("the URL must start with rtmp:// or rtmps://");
  }
  if (auto q = text.find('?'); q != std::string_view::npos) {
    u.query = std::string(text.substr(q + 1));
    text = text.substr(0, q);
  }
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return fail("the URL has no app and stream name");
  std::string_view authority = text.substr(0, slash), path = text.substr(slash + 1);
  if (std::string why = relayUrlAuthority(authority, u); !why.empty()) return fail(why);
  while (path.ends_with("/")) path.remove_suffix(1);
  const size_t last = path.rfind('/');
  if (last == std::string_view::npos || last == 0)
    return fail("the URL needs an app and a stream name (rtmp://host/app/name)");
  u.app = std::string(path.substr(0, last));
  u.name = std::string(path.substr(last + 1));
  if (u.name.empty()) return fail("the URL has no stream name");
  if (u.app.find("//") != std::string::npos) return fail("the URL's app has an empty segment");
  return u;
}

}  // namespace rtmp
