// RoomLoadOptions: the command line of roomcast-room-load. Plain values; main thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

struct RoomLoadOptions {
  std::string host = "127.0.0.1";  // IPv4 literal ("localhost" is mapped)
  uint16_t port = 8080;
  std::string path = "/ws";
  std::string roomPrefix = "bench/r";  // rooms are <prefix>0 .. <prefix>R-1
  int rooms = 1;
  int members = 100;           // guests per room (receivers); senders come on top
  int senders = 1;             // logged-in senders per room (also members: they receive too)
  double rate = 40;            // messages per second per room, spread over its senders
  double durationSec = 20;     // measured window
  double warmupSec = 3;        // sending but not measuring, after every member joined
  int rampBatch = 500;         // connections started per ramp step
  double rampMs = 100;         // delay between two ramp steps
  double joinTimeoutSec = 60;  // after the last start, give up on members not joined
  int64_t appId = 0;           // room.app_id, to sign the senders' UserSigs
  std::string key;             // room.key
  bool progress = false;       // one line per second
  // Modes that do no load: print a UserSig for a user and exit; run the self-test.
  std::string printUserSig;
  bool selfTest = false;

  int connections() const { return rooms * (members + senders); }
};

// Parses argv; on failure returns nullopt with `error` set (empty error = --help).
std::optional<RoomLoadOptions> parseRoomLoadOptions(int argc, char** argv, std::string& error);

extern const char* const kRoomLoadUsage;

}  // namespace bench
