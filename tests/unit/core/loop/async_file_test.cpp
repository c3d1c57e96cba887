#include "core/loop/async_file.hpp"

#include <algorithm>
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

BOOST_AUTO_TEST_CASE(reads_a_byte_range_and_refuses_one_past_the_end) {
  const auto path = std::filesystem::temp_directory_path() / "roomcast-async-range-test.bin";
  std::string contents;
  for (int i = 0; i < 300000; ++i) contents += static_cast<char>('a' + i % 26);
  std::ofstream(path, std::ios::binary) << contents;
  core::EventLoop loop;
  std::string error = "not called", got;
  core::readFileRange(loop, path.string(), 1000, 200000,
                      [&](const std::string& e, core::SharedBuffer bytes) {
                        error = e;
                        got = std::string(bytes.view());
                      });
  loop.run();
  BOOST_TEST(error.empty());
  BOOST_TEST(got == contents.substr(1000, 200000));
  core::readFileRange(loop, path.string(), 299990, 20,
                      [&](const std::string& e, core::SharedBuffer) { error = e; });
  loop.run();
  BOOST_TEST(error.find("the file ends at 300000") != std::string::npos, error);
  core::readFileRange(loop, path.string() + ".missing", 0, 1,
                      [&](const std::string& e, core::SharedBuffer) { error = e; });
  loop.run();
  BOOST_TEST(error.find("open ") == 0u, error);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(lists_files_by_suffix_breadth_first_within_the_depth) {
  const auto base = std::filesystem::temp_directory_path() / "roomcast-list-test";
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base / "a" / "b" / "c");
  for (const auto& p : {base / "top.json", base / "a" / "one.json", base / "a" / "x.mp4",
                        base / "a" / "b" / "two.json", base / "a" / "b" / "c" / "deep.json"})
    std::ofstream(p) << "{}";
  core::EventLoop loop;
  std::vector<std::string> got;
  core::listFiles(loop, base.string(), ".json", 100, 2,
                  [&](std::vector<std::string> paths) { got = std::move(paths); });
  loop.run();
  std::sort(got.begin(), got.end());
  const std::vector<std::string> want = {(base / "a" / "b" / "two.json").string(),
                                         (base / "a" / "one.json").string(),
                                         (base / "top.json").string()};
  BOOST_TEST(got == want, "depth 2 stops before c/");
  core::listFiles(loop, base.string(), ".json", 2, 8,
                  [&](std::vector<std::string> paths) { got = std::move(paths); });
  loop.run();
  BOOST_TEST(got.size() == 2u);  // at most maxFiles
  bool called = false;
  core::listFiles(loop, (base / "missing").string(), ".json", 10, 3,
                  [&](std::vector<std::string> paths) {
                    called = true;
                    BOOST_TEST(paths.empty());
                  });
  loop.run();
  BOOST_TEST(called);
  std::filesystem::remove_all(base);
}
