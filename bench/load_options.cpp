#include "bench/load_options.hpp"

#include <cstdlib>
#include <cstring>

namespace bench {

const char* const kLoadUsage =
    "usage: roomcast_load --url "
    "rtmp://127.0.0.1:1935/live/demo|http://127.0.0.1:8080/live/demo.flv\n"
    "                     --viewers N --duration SECONDS [--ramp-ms 2]\n"
    "                     [--reader eager|batched] [--lowat 32768] [--progress]\n"
    "  --reader batched: once playing, a viewer is woken only when --lowat bytes are\n"
    "  waiting (SO_RCVLOWAT), like a player with a big buffer; eager (default) reads\n"
    "  as soon as anything arrives.\n";

namespace {

bool parseNumber(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0';
}

}  // namespace

std::optional<LoadTarget> parseLoadTarget(const std::string& url, std::string& error) {
  LoadTarget t;
  t.url = url;
  std::string rest;
  if (url.rfind("rtmp://", 0) == 0) {
    t.protocol = LoadProtocol::Rtmp;
    t.port = 1935;
    rest = url.substr(7);
  } else if (url.rfind("http://", 0) == 0) {
    t.protocol = LoadProtocol::HttpFlv;
    t.port = 80;
    rest = url.substr(7);
  } else {
    error = "url must start with rtmp:// or http://: " + url;
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0) {
    error = "url has no host or no path: " + url;
    return std::nullopt;
  }
  const std::string authority = rest.substr(0, slash);
  const std::string path = rest.substr(slash);
  const size_t colon = authority.rfind(':');
  t.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    double port = 0;
    if (!parseNumber(authority.substr(colon + 1), port) || port < 1 || port > 65535) {
      error = "bad port in url: " + url;
      return std::nullopt;
    }
    t.port = static_cast<uint16_t>(port);
  }
  if (t.host == "localhost") t.host = "127.0.0.1";
  if (t.protocol == LoadProtocol::HttpFlv) {
    t.path = path;
    return t;
  }
  // RTMP: /app/name; the name may itself contain slashes and a query.
  const size_t second = path.find('/', 1);
  if (second == std::string::npos || second + 1 >= path.size()) {
    error = "rtmp url needs /app/name: " + url;
    return std::nullopt;
  }
  t.app = path.substr(1, second - 1);
  t.name = path.substr(second + 1);
  t.tcUrl = "rtmp://" + authority + "/" + t.app;
  return t;
}

std::optional<LoadOptions> parseLoadOptions(int argc, char** argv, std::string& error) {
  LoadOptions o;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      error.clear();
      return std::nullopt;
    }
    if (arg == "--progress") {
      o.progress = true;
      continue;
    }
    if (i + 1 >= argc) {
      error = arg + " needs a value";
      return std::nullopt;
    }
    const std::string value = argv[++i];
    double n = 0;
    const bool numeric = parseNumber(value, n);
    if (arg == "--url") {
      url = value;
    } else if (arg == "--viewers" && numeric && n >= 1 && n <= 100000) {
      o.viewers = static_cast<int>(n);
    } else if (arg == "--duration" && numeric && n > 0 && n <= 86400) {
      o.durationSec = n;
    } else if (arg == "--ramp-ms" && numeric && n >= 0 && n <= 60000) {
      o.rampMs = n;
    } else if (arg == "--reader" && (value == "eager" || value == "batched")) {
      o.reader = value == "eager" ? ReaderMode::Eager : ReaderMode::Batched;
    } else if (arg == "--lowat" && numeric && n >= 1 && n <= 16 * 1024 * 1024) {
      o.lowWater = static_cast<int>(n);
    } else {
      error = "bad option or value: " + arg + " " + value;
      return std::nullopt;
    }
  }
  if (url.empty()) {
    error = "--url is required";
    return std::nullopt;
  }
  auto target = parseLoadTarget(url, error);
  if (!target) return std::nullopt;
  o.target = *target;
  o.target.reader = o.reader;
  o.target.lowWater = o.lowWater;
  return o;
}

}  // namespace bench
