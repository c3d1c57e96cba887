// Where the room's UserSig key comes from: `room.key` in the config when set,
// else a random key generated once and kept in the state directory (mode 0600), so
// the server and `roomcast usersig` agree on a fresh machine with no edits.
// Start-up code (synchronous file I/O, like reading the config); any thread.
#pragma once

#include <string>

namespace core {

enum class RoomKeyOrigin {
  Config,     // room.key in the configuration
  StateFile,  // read from <state dir>/room.key
  Generated,  // created just now at <state dir>/room.key
  None,       // none configured and none kept yet (only when not creating)
};

struct RoomKey {
  std::string key;  // empty for None
  RoomKeyOrigin origin = RoomKeyOrigin::None;
  std::string path;  // the state file (for StateFile, Generated and None)

  // One line for logs and --check that never shows the key itself.
  std::string describe() const;
};

// The state file's name inside the state directory.
inline constexpr const char* kRoomKeyFile = "room.key";

// `configuredKey` wins when not empty. Else the key kept in `stateDir`; when there
// is none and `create` is set, a new 256-bit key (64 hex digits) is written there
// (directory created 0700, file 0600, published atomically so two processes
// starting at once end up with the same key). Throws std::runtime_error naming the
// file and the reason: unreadable, readable by others, empty or malformed.
RoomKey resolveRoomKey(const std::string& configuredKey, const std::string& stateDir, bool create);

}  // namespace core
