#include "mixer/playlist_player.hpp"

#include <stdlib.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "av/av_libraries.hpp"

using mixer::PlaylistEvent;
using mixer::PlaylistItem;
using mixer::PlaylistPlayer;
using mixer::PlaylistShared;

namespace {

// What a player posted (from its thread), in order.
struct PlayerEvents {
  std::mutex mutex;
  std::vector<PlaylistEvent> events;
  template <typename T>
  std::vector<T> of() {
    std::lock_guard lock(mutex);
    std::vector<T> out;
    for (const auto& e : events)
      if (auto* body = std::get_if<T>(&e.body)) out.push_back(*body);
    return out;
  }
};

struct PlayerFixture {
  av::Libraries libs;
  std::string dir;
  std::shared_ptr<PlayerEvents> events = std::make_shared<PlayerEvents>();
  std::shared_ptr<PlaylistShared> shared = std::make_shared<PlaylistShared>();

  PlayerFixture() {
    char tmpl[] = "/tmp/playlist_player_test.XXXXXX";
    BOOST_REQUIRE(::mkdtemp(tmpl));
    dir = tmpl;
  }
  ~PlayerFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  PlaylistPlayer player(std::vector<PlaylistItem> items, bool loop) {
    PlaylistPlayer::Setup s;
    s.id = 7;
    s.key = "live/test";
    s.dirs = {dir};
    s.spec.app = "live";
    s.spec.name = "test";
    s.spec.items = std::move(items);
    s.spec.loop = loop;
    s.libs = &libs;
    s.post = [events = events](PlaylistEvent e) {
      std::lock_guard lock(events->mutex);
      events->events.push_back(std::move(e));
      return true;
    };
    s.shared = shared;
    return PlaylistPlayer(std::move(s));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(items_that_cannot_play_are_reported_and_skipped, PlayerFixture) {
  std::ofstream(dir + "/noise.mp4", std::ios::binary) << std::string(4096, '\x5a');
  auto p = player({{"missing.mp4", std::nullopt}, {"noise.mp4", std::nullopt}}, false);
  BOOST_TEST(p.run() == "the last item ended");
  const auto failed = events->of<mixer::PlaylistItemFailed>();
  BOOST_REQUIRE(failed.size() == 2u);
  BOOST_TEST(failed[0].index == 0u);
  BOOST_TEST(failed[0].reason.find("no such file") != std::string::npos);
  BOOST_TEST(failed[1].file == "noise.mp4");
  BOOST_TEST(failed[1].reason.find("cannot open") != std::string::npos, failed[1].reason);
  BOOST_TEST(events->of<mixer::PlaylistPacket>().empty());
}

BOOST_FIXTURE_TEST_CASE(a_loop_of_failing_items_ends, PlayerFixture) {
  auto p = player({{"a.mp4", std::nullopt}, {"b.mp4", std::nullopt}}, true);
  BOOST_TEST(p.run().find("whole pass") != std::string::npos);
  BOOST_TEST(events->of<mixer::PlaylistItemFailed>().size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(stop_ends_a_wait_for_start_at_at_once, PlayerFixture) {
  const int64_t inAnHour = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           3'600'000;
  auto p = player({{"a.mp4", inAnHour}}, false);
  std::string result;
  std::thread t([&] { result = p.run(); });
  for (int i = 0; i < 200 && events->of<mixer::PlaylistWaiting>().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_REQUIRE(events->of<mixer::PlaylistWaiting>().size() == 1u);
  BOOST_TEST(events->of<mixer::PlaylistWaiting>()[0].untilUnixMs >= inAnHour - 1000);
  const auto t0 = std::chrono::steady_clock::now();
  shared->stop();
  t.join();
  const auto tookMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  BOOST_TEST(tookMs < 500);
  BOOST_TEST(result == "stopped");
  BOOST_TEST(events->of<mixer::PlaylistItemFailed>().empty());
}

BOOST_FIXTURE_TEST_CASE(a_new_list_ends_a_wait_for_start_at, PlayerFixture) {
  const int64_t inAnHour = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count() +
                           3'600'000;
  auto p = player({{"later.mp4", inAnHour}}, false);
  std::string result;
  std::atomic<bool> returned{false};
  std::thread t([&] {
    result = p.run();
    returned = true;
  });
  for (int i = 0; i < 200 && events->of<mixer::PlaylistWaiting>().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_REQUIRE(events->of<mixer::PlaylistWaiting>().size() == 1u);
  // The PATCH: its item 0 plays now (here: fails, no such file) and the list ends.
  shared->change({{"now.mp4", std::nullopt}}, false);
  for (int i = 0; i < 200 && !returned.load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  shared->stop();
  t.join();
  BOOST_TEST(result == "the last item ended");
  const auto failed = events->of<mixer::PlaylistItemFailed>();
  BOOST_REQUIRE(failed.size() == 1u);
  BOOST_TEST(failed[0].file == "now.mp4");
}

BOOST_AUTO_TEST_CASE(shared_bounds_the_packets_in_flight_and_stop_wakes_a_waiter) {
  PlaylistShared shared;
  std::atomic<size_t> reserved{0};
  std::atomic<bool> gaveUp{false};
  std::thread producer([&] {
    while (shared.reserve()) reserved.fetch_add(1);
    gaveUp = true;
  });
  for (int i = 0; i < 200 && reserved.load() < PlaylistShared::kMaxInFlight; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_TEST(reserved.load() == PlaylistShared::kMaxInFlight);  // and it waits there
  shared.release();
  for (int i = 0; i < 200 && reserved.load() == PlaylistShared::kMaxInFlight; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  BOOST_TEST(reserved.load() == PlaylistShared::kMaxInFlight + 1);
  shared.stop();
  producer.join();
  BOOST_TEST(gaveUp.load());
  // A PATCH waits for the thread, once.
  shared.change({{"x.mp4", std::nullopt}}, true);
  auto c = shared.takeChange();
  BOOST_REQUIRE(c);
  BOOST_TEST(c->second);
  BOOST_TEST(!shared.takeChange());
}
