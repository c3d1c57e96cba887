#include "core/auth/room_key_store.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace core {
namespace {

constexpr size_t kKeyBytes = 32;        // 256 bits, as HMAC-SHA256 wants at least
constexpr size_t kMaxFileBytes = 4096;  // a key file is one short line

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why);
}

std::string errnoText() {
  return std::strerror(errno);
}

bool validKeyText(std::string_view key) {
  if (key.size() < 16) return false;
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Reads the kept key; false when the file does not exist.
bool readKeyFile(const std::string& path, std::string& key) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    fail(path, "cannot open: " + errnoText());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    fail(path, std::string("is readable by other users (mode ") + mode +
                   "): chmod 600 it, or delete it to have a new key generated");
  }
  char buf[kMaxFileBytes + 1];
  size_t got = 0;
  while (got < sizeof buf) {
    const ssize_t n = ::read(fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail(path, "cannot read: " + errnoText());
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got > kMaxFileBytes) fail(path, "larger than a key file can be");
  std::string_view text(buf, got);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (!validKeyText(text))
    fail(path,
         "does not hold a key (one line of at least 16 printable characters, no spaces); "
         "delete it to have a new key generated");
  key.assign(text);
  return true;
}

std::string randomHexKey() {
  unsigned char bytes[kKeyBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("room key: no random bytes");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (unsigned char b : bytes) {
    key += kHex[b >> 4];
    key += kHex[b & 15];
  }
  return key;
}

void writeAll(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "cannot write: " + errnoText());
    done += static_cast<size_t>(n);
  }
}

void makeStateDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (!fs::create_directories(dir, ec) && ec)
    fail(dir, "cannot create the state directory: " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
}

// Writes a new key to a private temporary file, then links it into place: if
// another process published one first, that one is kept and returned.
std::string createKeyFile(const std::string& dir, const std::string& path, bool& created) {
  makeStateDir(dir);
  const std::string key = randomHexKey();
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + key.substr(0, 8);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(tmp, "cannot create: " + errnoText());
  try {
    writeAll(fd, key + "\n", tmp);
    if (::fsync(fd) != 0) fail(tmp, "cannot sync: " + errnoText());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int linkErrno = errno;
  ::unlink(tmp.c_str());
  if (linked == 0) {
    created = true;
    return key;
  }
  if (linkErrno != EEXIST) {
    errno = linkErrno;
    fail(path, "cannot create: " + errnoText());
  }
  std::string kept;
  if (!readKeyFile(path, kept)) fail(path, "vanished while being created");
  return kept;
}

}  // namespace

std::string RoomKey::describe() const {
  switch (origin) {
    case RoomKeyOrigin::Config:
      return "room.key from the configuration";
    case RoomKeyOrigin::StateFile:
      return "the key kept in " + path + " (room.key is not set)";
    case RoomKeyOrigin::Generated:
      return "a new key generated into " + path + " (room.key is not set)";
    case RoomKeyOrigin::None:
      break;
  }
  return "none yet: room.key is not set, the server generates one into " + path +
         " at its first start";
}

RoomKey resolveRoomKey(const std::string& configuredKey, const std::string& stateDir, bool create) {
  RoomKey result;
  if (!configuredKey.empty()) {
    result.key = configuredKey;
    result.origin = RoomKeyOrigin::Config;
    return result;
  }
  result.path = (std::filesystem::path(stateDir) / kRoomKeyFile).string();
  if (readKeyFile(result.path, result.key)) {
    result.origin = RoomKeyOrigin::StateFile;
    return result;
  }
  if (!create) return result;
  bool created = false;
  result.key = createKeyFile(stateDir, result.path, created);
  result.origin = created ? RoomKeyOrigin::Generated : RoomKeyOrigin::StateFile;
  return result;
}

}  // namespace core
