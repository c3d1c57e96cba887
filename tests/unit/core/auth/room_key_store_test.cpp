#include "core/auth/room_key_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using core::RoomKeyOrigin;

namespace {

// A fresh directory under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "roomkey-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

unsigned modeOf(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void writeFile(const fs::path& p, const std::string& text, unsigned mode) {
  std::ofstream(p) << text;
  fs::permissions(p, static_cast<fs::perms>(mode), fs::perm_options::replace);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_configured_key_wins_and_nothing_is_written) {
  TempDir tmp;
  const auto state = tmp.path / "state";
  writeFile(tmp.path / "room.key", "kept-key-0123456789abcdef\n", 0600);
  auto k = core::resolveRoomKey("configured-key-0123456789", state.string(), true);
  BOOST_TEST(k.key == "configured-key-0123456789");
  BOOST_TEST(static_cast<int>(k.origin) == static_cast<int>(RoomKeyOrigin::Config));
  BOOST_TEST(!fs::exists(state));
  // The configured key is never shown.
  BOOST_TEST(k.describe().find("configured-key") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_first_start_generates_a_private_key_and_later_ones_read_it) {
  TempDir tmp;
  const auto state = tmp.path / "a" / "state";
  auto first = core::resolveRoomKey("", state.string(), true);
  BOOST_TEST(static_cast<int>(first.origin) == static_cast<int>(RoomKeyOrigin::Generated));
  BOOST_TEST(first.key.size() == 64u);
  BOOST_TEST(first.key.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(first.path == (state / "room.key").string());
  BOOST_TEST(modeOf(state / "room.key") == 0600u);
  BOOST_TEST(modeOf(state) == 0700u);
  BOOST_TEST(first.describe().find(first.key) == std::string::npos);
  // No temporary file is left behind.
  BOOST_TEST(std::distance(fs::directory_iterator(state), fs::directory_iterator()) == 1);

  auto again = core::resolveRoomKey("", state.string(), true);
  BOOST_TEST(static_cast<int>(again.origin) == static_cast<int>(RoomKeyOrigin::StateFile));
  BOOST_TEST(again.key == first.key);

  // Another state directory gets another key.
  auto other = core::resolveRoomKey("", (tmp.path / "other").string(), true);
  BOOST_TEST(other.key != first.key);
}

BOOST_AUTO_TEST_CASE(without_create_a_missing_key_is_reported_not_made) {
  TempDir tmp;
  const auto state = tmp.path / "state";
  auto k = core::resolveRoomKey("", state.string(), false);
  BOOST_TEST(static_cast<int>(k.origin) == static_cast<int>(RoomKeyOrigin::None));
  BOOST_TEST(k.key.empty());
  BOOST_TEST(!fs::exists(state));
  BOOST_TEST(k.describe().find("first start") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_kept_key_is_read_without_its_line_end) {
  TempDir tmp;
  writeFile(tmp.path / "room.key", "a-key-someone-set-by-hand\r\n", 0600);
  auto k = core::resolveRoomKey("", tmp.path.string(), true);
  BOOST_TEST(k.key == "a-key-someone-set-by-hand");
  BOOST_TEST(static_cast<int>(k.origin) == static_cast<int>(RoomKeyOrigin::StateFile));
}

BOOST_AUTO_TEST_CASE(bad_key_files_are_refused_with_the_reason) {
  auto refusal = [](const std::string& text, unsigned mode) {
    TempDir tmp;
    writeFile(tmp.path / "room.key", text, mode);
    try {
      core::resolveRoomKey("", tmp.path.string(), true);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string good = "0123456789abcdef0123\n";
  BOOST_TEST(refusal(good, 0644).find("readable by other users (mode 0644)") != std::string::npos);
  BOOST_TEST(refusal(good, 0640).find("mode 0640") != std::string::npos);
  BOOST_TEST(refusal("", 0600).find("does not hold a key") != std::string::npos);
  BOOST_TEST(refusal("short\n", 0600).find("does not hold a key") != std::string::npos);
  BOOST_TEST(refusal("two words 0123456789\n", 0600).find("does not hold a key") !=
             std::string::npos);
  BOOST_TEST(refusal(std::string(5000, 'k'), 0600).find("larger than") != std::string::npos);
  BOOST_TEST(refusal(good, 0600) == "accepted");
}
