#include "core/loop/async_file.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "core/loop/event_loop.hpp"

namespace {

struct Read {
  bool called = false;
  std::string error, contents;
};

Read readNow(const std::string& path, size_t maxBytes) {
  core::EventLoop loop;
  Read out;
  core::readFile(loop, path, maxBytes, [&](const std::string& error, std::string contents) {
    out.called = true;
    out.error = error;
    out.contents = std::move(contents);
  });
  loop.run();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_a_whole_file_in_chunks) {
  const auto path = std::filesystem::temp_directory_path() / "roomcast-async-read-test.txt";
  std::string big(200 * 1024, 'x');  // more than one 64 KiB chunk
  big += "end";
  std::ofstream(path, std::ios::binary) << big;
  Read r = readNow(path.string(), 1 << 20);
  BOOST_TEST(r.called);
  BOOST_TEST(r.error.empty());
  BOOST_TEST(r.contents == big);
  Read small = readNow(path.string(), 1000);
  BOOST_TEST(small.error.find("larger than 1000 bytes") != std::string::npos, small.error);
  BOOST_TEST(small.contents.empty());
  std::filesystem::remove(path);
  Read missing = readNow(path.string(), 1000);
  BOOST_TEST(missing.error.find("open ") == 0u, missing.error);
}
