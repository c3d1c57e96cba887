#include "core/loop/async_appender.hpp"

#include <stdlib.h>
#include <uv.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "tests/unit/run_loop.hpp"

namespace fs = std::filesystem;
using core::AsyncAppender;
using core::SharedBuffer;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "roomcast-appender-XXXXXX").string();
    BOOST_REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string readAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Deterministic bytes that differ by position and seed, so reordering shows.
SharedBuffer pattern(size_t size, uint32_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 31 + seed * 7 + i / 251));
  return SharedBuffer::adopt(std::move(bytes));
}

// Open fds of this process on files under `prefix` (the loop's own fds aside).
size_t openFdsUnder(const fs::path& prefix) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = fs::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind(prefix.string(), 0) == 0) ++n;
  }
  return n;
}

// An appender plus what its callbacks reported.
struct Recording {
  std::vector<std::string> errors;
  std::optional<uint64_t> closedWith;
  std::unique_ptr<AsyncAppender> appender;

  Recording(core::EventLoop& loop, const std::string& path, AsyncAppender::Options options = {}) {
    appender = std::make_unique<AsyncAppender>(
        loop, path, options, [this](const std::string& e) { errors.push_back(e); });
  }
  void close() {
    appender->close([this](uint64_t n) { closedWith = n; });
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(many_appends_of_various_sizes_arrive_intact_and_in_order) {
  TempDir tmp;
  const auto path = tmp.path / "rec.flv";
  core::EventLoop loop;
  Recording rec(loop, path.string());
  rec.appender->open();
  const SharedBuffer big = pattern(300 * 1024, 99);
  std::string expected;
  for (uint32_t i = 0; i < 400; ++i) {
    // Mix fresh buffers with slices of one shared storage.
    const size_t size = 1 + (i * 7919) % 20000;
    SharedBuffer b = i % 3 == 0 ? big.slice((i * 1009) % big.size(), size) : pattern(size, i);
    expected.append(b.view());
    BOOST_TEST(rec.appender->append(b));
    if (i % 50 == 0) testing_loop::runFor(loop, 2);  // let some writes complete meanwhile
  }
  rec.close();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return rec.closedWith.has_value(); }));
  BOOST_TEST(rec.errors.empty());
  BOOST_TEST(*rec.closedWith == expected.size());
  BOOST_TEST(rec.appender->bytesWritten() == expected.size());
  BOOST_TEST(rec.appender->queuedBytes() == 0u);
  BOOST_TEST(readAll(path) == expected);              // sizes first, then bytes
  BOOST_TEST(!rec.appender->append(pattern(10, 1)));  // after close: ignored
}

BOOST_AUTO_TEST_CASE(appends_before_the_open_completes_are_queued_and_gathered) {
  TempDir tmp;
  const auto path = tmp.path / "early.mp4";
  core::EventLoop loop;
  Recording rec(loop, path.string());
  std::string expected;
  // Before open() and before the loop ran the open: 300 buffers > 64 per write.
  for (uint32_t i = 0; i < 300; ++i) {
    SharedBuffer b = pattern(100 + i, i);
    expected.append(b.view());
    BOOST_TEST(rec.appender->append(b));
    if (i == 10) rec.appender->open();
  }
  BOOST_TEST(rec.appender->queuedBytes() == expected.size());
  BOOST_TEST(rec.appender->bytesWritten() == 0u);
  BOOST_TEST(rec.appender->append(SharedBuffer()));  // empty: accepted, nothing queued
  rec.close();
  rec.close();  // a second close is ignored
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return rec.closedWith.has_value(); }));
  BOOST_TEST(rec.errors.empty());
  BOOST_TEST(*rec.closedWith == expected.size());
  BOOST_TEST(readAll(path) == expected);
}

BOOST_AUTO_TEST_CASE(sync_between_appends_keeps_the_bytes_in_order) {
  TempDir tmp;
  const auto path = tmp.path / "frag.mp4";
  core::EventLoop loop;
  Recording rec(loop, path.string());
  rec.appender->sync();  // nothing appended yet: no-op
  rec.appender->open();
  std::string expected;
  for (uint32_t i = 0; i < 20; ++i) {
    SharedBuffer b = pattern(5000 + i * 13, i);
    expected.append(b.view());
    rec.appender->append(b);
    if (i % 4 == 3) rec.appender->sync();
    if (i % 5 == 0) testing_loop::runFor(loop, 1);
  }
  rec.close();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return rec.closedWith.has_value(); }));
  BOOST_TEST(rec.errors.empty());
  BOOST_TEST(readAll(path) == expected);
}

BOOST_AUTO_TEST_CASE(creates_missing_nested_directories) {
  TempDir tmp;
  const auto path = tmp.path / "live" / "room1" / "2024-01-31" / "rec.flv";
  core::EventLoop loop;
  Recording rec(loop, path.string());
  rec.appender->open();
  rec.appender->append(SharedBuffer::copyOf(std::string_view("FLV\x01")));
  rec.close();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return rec.closedWith.has_value(); }));
  BOOST_TEST(rec.errors.empty());
  BOOST_TEST(*rec.closedWith == 4u);
  BOOST_TEST(readAll(path) == "FLV\x01");
}

BOOST_AUTO_TEST_CASE(no_directories_are_created_when_disabled) {
  TempDir tmp;
  const auto path = tmp.path / "missing" / "rec.flv";
  core::EventLoop loop;
  AsyncAppender::Options options;
  options.createDirs = false;
  Recording rec(loop, path.string(), options);
  rec.appender->open();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !rec.errors.empty(); }));
  BOOST_TEST(contains(rec.errors[0], "open " + path.string()), rec.errors[0]);
  BOOST_TEST(contains(rec.errors[0], uv_strerror(UV_ENOENT)), rec.errors[0]);
  BOOST_TEST(!fs::exists(tmp.path / "missing"));
}

BOOST_AUTO_TEST_CASE(a_path_under_a_regular_file_fails_once_and_later_appends_are_ignored) {
  TempDir tmp;
  std::ofstream(tmp.path / "file.txt") << "not a directory";
  const auto path = tmp.path / "file.txt" / "sub" / "x.flv";
  core::EventLoop loop;
  Recording rec(loop, path.string());
  rec.appender->open();
  BOOST_TEST(rec.appender->append(pattern(1000, 1)));  // queued while opening
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !rec.errors.empty(); }));
  BOOST_TEST(rec.errors.size() == 1u);
  BOOST_TEST(contains(rec.errors[0], path.string()), rec.errors[0]);
  BOOST_TEST(contains(rec.errors[0], uv_strerror(UV_ENOTDIR)), rec.errors[0]);
  BOOST_TEST(rec.appender->failed());
  BOOST_TEST(rec.appender->queuedBytes() == 0u);  // dropped
  BOOST_TEST(!rec.appender->append(pattern(10, 2)));
  rec.close();  // after an error: ignored, done never called
  rec.appender->sync();
  testing_loop::runFor(loop, 30);
  BOOST_TEST(rec.errors.size() == 1u);
  BOOST_TEST(!rec.closedWith.has_value());
  BOOST_TEST(openFdsUnder(tmp.path) == 0u);
}

BOOST_AUTO_TEST_CASE(a_path_in_proc_fails_with_the_path_in_the_message) {
  const std::string path = "/proc/roomcast-appender-test/x.flv";
  core::EventLoop loop;
  Recording rec(loop, path);
  rec.appender->open();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !rec.errors.empty(); }));
  BOOST_TEST(rec.errors.size() == 1u);
  BOOST_TEST(contains(rec.errors[0], path), rec.errors[0]);
  BOOST_TEST(rec.appender->failed());
}

BOOST_AUTO_TEST_CASE(exceeding_max_queued_bytes_fails_with_disk_too_slow) {
  TempDir tmp;
  const auto path = tmp.path / "slow.flv";
  core::EventLoop loop;
  AsyncAppender::Options options;
  options.maxQueuedBytes = 1000;
  Recording rec(loop, path.string(), options);
  rec.appender->open();
  BOOST_TEST(rec.appender->append(pattern(600, 1)));
  BOOST_TEST(rec.appender->append(pattern(400, 2)));  // exactly at the limit: fine
  BOOST_TEST(!rec.appender->append(pattern(1, 3)));   // one byte over
  BOOST_TEST(rec.appender->failed());
  BOOST_TEST(rec.errors.empty());  // reported from the loop, not inside append()
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !rec.errors.empty(); }));
  BOOST_TEST(rec.errors.size() == 1u);
  BOOST_TEST(rec.errors[0] == "disk too slow: 1001 bytes waiting for " + path.string());
  BOOST_TEST(!rec.appender->append(pattern(10, 4)));
  testing_loop::runFor(loop, 30);  // the open completes; its fd is closed again
  BOOST_TEST(rec.errors.size() == 1u);
  BOOST_TEST(openFdsUnder(tmp.path) == 0u);
}

BOOST_AUTO_TEST_CASE(a_single_append_larger_than_the_limit_fails) {
  TempDir tmp;
  core::EventLoop loop;
  AsyncAppender::Options options;
  options.maxQueuedBytes = 100;
  Recording rec(loop, (tmp.path / "x.flv").string(), options);
  rec.appender->open();
  BOOST_TEST(!rec.appender->append(pattern(101, 1)));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !rec.errors.empty(); }));
  BOOST_TEST(contains(rec.errors[0], "disk too slow: 101 bytes"), rec.errors[0]);
}

BOOST_AUTO_TEST_CASE(dev_full_reports_no_space_left_on_device) {
  core::EventLoop loop;
  Recording rec(loop, "/dev/full");
  rec.appender->open();
  BOOST_TEST(rec.appender->append(pattern(4096, 1)));
  BOOST_TEST(rec.appender->append(pattern(4096, 2)));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !rec.errors.empty(); }));
  testing_loop::runFor(loop, 20);
  BOOST_TEST(rec.errors.size() == 1u);
  BOOST_TEST(contains(rec.errors[0], "write /dev/full"), rec.errors[0]);
  BOOST_TEST(contains(rec.errors[0], uv_strerror(UV_ENOSPC)), rec.errors[0]);
  BOOST_TEST(rec.appender->bytesWritten() == 0u);
  BOOST_TEST(!rec.appender->append(pattern(10, 3)));
  BOOST_TEST(openFdsUnder("/dev/full") == 0u);
}

BOOST_AUTO_TEST_CASE(close_before_open_creates_nothing_and_reports_zero) {
  TempDir tmp;
  const auto path = tmp.path / "never.flv";
  core::EventLoop loop;
  Recording rec(loop, path.string());
  rec.close();
  BOOST_TEST(!rec.closedWith.has_value());  // posted, not called inside close()
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return rec.closedWith.has_value(); }));
  BOOST_TEST(*rec.closedWith == 0u);
  rec.appender->open();  // too late: ignored
  testing_loop::runFor(loop, 20);
  BOOST_TEST(!fs::exists(path));
  BOOST_TEST(rec.errors.empty());
}

BOOST_AUTO_TEST_CASE(destroying_mid_write_closes_the_fd_and_the_loop_finishes) {
  TempDir tmp;
  core::EventLoop loop;
  AsyncAppender::Options options;
  options.maxQueuedBytes = 64 * 1024 * 1024;
  Recording rec(loop, (tmp.path / "big.flv").string(), options);
  rec.appender->open();
  // 160 buffers: more than one write of kMaxBuffersPerWrite.
  for (uint32_t i = 0; i < 160; ++i) rec.appender->append(pattern(256 * 1024, i));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return rec.appender->bytesWritten() > 0; }, 10000));
  BOOST_TEST(rec.appender->queuedBytes() > 0u);  // more to write: a write is in flight
  BOOST_TEST(openFdsUnder(tmp.path) == 1u);      // (so this check can see a leak)
  rec.appender.reset();
  loop.run();  // returns once every request (the write, then the close) completed
  BOOST_TEST(rec.errors.empty());
  BOOST_TEST(!rec.closedWith.has_value());
  BOOST_TEST(openFdsUnder(tmp.path) == 0u);
}

BOOST_AUTO_TEST_CASE(destroying_while_opening_or_closing_leaks_no_fd) {
  TempDir tmp;
  core::EventLoop loop;
  {
    Recording opening(loop, (tmp.path / "a" / "b.flv").string());  // mkdir chain in flight
    opening.appender->open();
    opening.appender->append(pattern(100, 1));
  }
  {
    Recording closing(loop, (tmp.path / "c.flv").string());
    closing.appender->open();
    closing.appender->append(pattern(100, 1));
    testing_loop::runFor(loop, 20);
    closing.close();
  }
  {
    Recording failing(loop, (tmp.path / "d.flv").string(), AsyncAppender::Options{1, true, 0644});
    failing.appender->open();
    failing.appender->append(pattern(2, 1));  // fails; the report is posted
  }                                           // destroyed before it runs: no callback
  loop.run();
  BOOST_TEST(openFdsUnder(tmp.path) == 0u);
}

BOOST_AUTO_TEST_CASE(the_error_callback_may_destroy_the_appender) {
  core::EventLoop loop;
  std::unique_ptr<AsyncAppender> appender;
  int errors = 0;
  appender = std::make_unique<AsyncAppender>(loop, "/dev/full", AsyncAppender::Options{},
                                             [&](const std::string&) {
                                               ++errors;
                                               appender.reset();
                                             });
  appender->open();
  appender->append(pattern(100, 1));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return errors > 0; }));
  BOOST_TEST(!appender);
  loop.run();
  BOOST_TEST(errors == 1);
}
