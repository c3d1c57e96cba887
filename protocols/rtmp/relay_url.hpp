// RelayUrl: a relay target "rtmp[s]://host[:port]/app/name[?query]" parsed into what
// the publishing client needs (host, port, TLS, app, tcUrl, stream name). A plain
// value with a pure parser; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtmp {

inline constexpr uint16_t kRtmpDefaultPort = 1935;
inline constexpr uint16_t kRtmpsDefaultPort = 443;

struct RelayUrl {
  bool tls = false;  // rtmps://
  std::string host;  // a name or an IPv4 literal, or an IPv6 literal without brackets
  uint16_t port = kRtmpDefaultPort;
  // NOTE: the last path segment is the stream name, everything before it the app,
  // which may hold slashes ("rtmp://h/live/sub/key": app "live/sub", name "key"),
  // as OBS and FFmpeg split such URLs for services whose app has several segments.
  std::string app;
  std::string name;   // the stream name (the platform's "stream key")
  std::string query;  // without '?'; sent with the name in FCPublish/publish
  bool portGiven = false;

  // "rtmp://host:port/app" (the connect command's tcUrl; the port only when given).
  std::string tcUrl() const;
  // The name as publish sends it: "name" or "name?query".
  std::string publishName() const;
  // The URL for logs and the API: the query (it may hold a secret) shown as "?...".
  std::string redacted() const;
};

// nullopt with `error` set (what is wrong, e.g. "the URL has no stream name") when
// `text` is not an rtmp:// or rtmps:// URL with a host, an app and a name.
std::optional<RelayUrl> parseRelayUrl(std::string_view text, std::string& error);

}  // namespace rtmp
