#include "bench/room/room_load_options.hpp"

#include <cstdlib>

namespace bench {

const char* const kRoomLoadUsage =
    "usage: roomcast-room-load --server 127.0.0.1:8080 [--path /ws] [--room-prefix bench/r]\n"
    "         --rooms R --members M [--senders K] --rate MSGS_PER_S --duration S\n"
    "         [--warmup 3] [--ramp-batch 500] [--ramp-ms 100] [--join-timeout 60]\n"
    "         --app-id N --key KEY [--progress]\n"
    "       roomcast-room-load --print-usersig USER --app-id N --key KEY\n"
    "       roomcast-room-load --self-test\n"
    "Members (guests) and senders (logged-in users, UserSig signed with --app-id/--key)\n"
    "join room <prefix>0..R-1; each room gets RATE text messages per second. Prints\n"
    "'WINDOW start' / 'WINDOW end' around the measured window, a summary and a\n"
    "'RESULT {json}' line.\n";

namespace {

bool parseNumber(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0';
}

bool parseServer(const std::string& value, RoomLoadOptions& o) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  double port = 0;
  if (!parseNumber(value.substr(colon + 1), port) || port < 1 || port > 65535) return false;
  o.host = value.substr(0, colon);
  if (o.host == "localhost") o.host = "127.0.0.1";
  o.port = static_cast<uint16_t>(port);
  return true;
}

// One "--name value" pair; false = unknown option or bad value.
bool applyOption(const std::string& arg, const std::string& value, RoomLoadOptions& o) {
  double n = 0;
  const bool num = parseNumber(value, n);
  if (arg == "--server") return parseServer(value, o);
  if (arg == "--path") return !value.empty() && value[0] == '/' && (o.path = value, true);
  if (arg == "--room-prefix") return !value.empty() && (o.roomPrefix = value, true);
  if (arg == "--key") return (o.key = value, true);
  if (arg == "--print-usersig") return !value.empty() && (o.printUserSig = value, true);
  if (!num) return false;
  if (arg == "--rooms" && n >= 1 && n <= 10000) return (o.rooms = static_cast<int>(n), true);
  if (arg == "--members" && n >= 0 && n <= 1000000) return (o.members = static_cast<int>(n), true);
  if (arg == "--senders" && n >= 1 && n <= 1000) return (o.senders = static_cast<int>(n), true);
  if (arg == "--rate" && n >= 0 && n <= 100000) return (o.rate = n, true);
  if (arg == "--duration" && n > 0 && n <= 86400) return (o.durationSec = n, true);
  if (arg == "--warmup" && n >= 0 && n <= 3600) return (o.warmupSec = n, true);
  if (arg == "--ramp-batch" && n >= 1 && n <= 1000000)
    return (o.rampBatch = static_cast<int>(n), true);
  if (arg == "--ramp-ms" && n >= 1 && n <= 60000) return (o.rampMs = n, true);
  if (arg == "--join-timeout" && n > 0 && n <= 3600) return (o.joinTimeoutSec = n, true);
  if (arg == "--app-id" && n >= 0) return (o.appId = static_cast<int64_t>(n), true);
  return false;
}

}  // namespace

std::optional<RoomLoadOptions> parseRoomLoadOptions(int argc, char** argv, std::string& error) {
  RoomLoadOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      error.clear();
      return std::nullopt;
    }
    if (arg == "--progress" || arg == "--self-test") {
      (arg == "--progress" ? o.progress : o.selfTest) = true;
      continue;
    }
    if (i + 1 >= argc) {
      error = arg + " needs a value";
      return std::nullopt;
    }
    const std::string value = argv[++i];
    if (!applyOption(arg, value, o)) {
      error = "bad option or value: " + arg + " " + value;
      return std::nullopt;
    }
  }
  if (o.selfTest) return o;
  if (o.key.empty() && (!o.printUserSig.empty() || o.rate > 0)) {
    error = "--key (room.key) and --app-id are needed to sign the senders' UserSigs";
    return std::nullopt;
  }
  return o;
}

}  // namespace bench
