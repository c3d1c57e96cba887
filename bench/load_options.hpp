// LoadOptions: the command line of roomcast_load and the parsed target URL
// (rtmp://host:port/app/name or http://host:port/path.flv). Plain values; main thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

enum class LoadProtocol { Rtmp, HttpFlv };

// How a viewer reads: as soon as anything is readable, or (like a player with a big
// buffer) only once `lowWater` bytes are waiting (SO_RCVLOWAT, set once playing).
enum class ReaderMode { Eager, Batched };

struct LoadTarget {
  ReaderMode reader = ReaderMode::Eager;  // copied from LoadOptions
  int lowWater = 0;
  LoadProtocol protocol = LoadProtocol::Rtmp;
  std::string url;
  std::string host;  // IPv4 literal or "localhost"
  uint16_t port = 0;
  std::string app;    // RTMP: first path segment
  std::string name;   // RTMP: the rest (stream name, query kept)
  std::string path;   // HTTP: request target
  std::string tcUrl;  // RTMP: rtmp://host:port/app
};

struct LoadOptions {
  LoadTarget target;
  int viewers = 1;
  double durationSec = 10;
  double rampMs = 2;      // delay between two connection starts (0 = all at once)
  bool progress = false;  // print one line per second
  ReaderMode reader = ReaderMode::Eager;
  int lowWater = 32 * 1024;  // SO_RCVLOWAT of a batched reader
};

// Parses "rtmp://host[:1935]/app/name" or "http://host[:80]/path". Empty error = ok.
std::optional<LoadTarget> parseLoadTarget(const std::string& url, std::string& error);

// Parses argv; on failure returns nullopt with `error` set (empty error = --help).
std::optional<LoadOptions> parseLoadOptions(int argc, char** argv, std::string& error);

extern const char* const kLoadUsage;

}  // namespace bench
