#include "core/loop/write_coalescer.hpp"

#include <uv.h>

#include <boost/test/unit_test.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"
#include "tests/unit/run_loop.hpp"

namespace {

// A client whose flush costs `costUs` of CPU (as a socket write does) and counts
// its flushes and the "messages" each flush carried.
struct Counting : core::WriteCoalescer::Client {
  int flushes = 0;
  int pending = 0;    // messages queued since the last flush
  int delivered = 0;  // messages flushed
  uint64_t costUs = 0;
  std::function<void()> onFlush;
  void flush() override {
    ++flushes;
    delivered += pending;
    pending = 0;
    const uint64_t until = uv_hrtime() + costUs * 1000;
    while (uv_hrtime() < until) {
    }
    if (onFlush) onFlush();
  }
};

void queueMessage(core::WriteCoalescer& coalescer,
                  std::vector<std::unique_ptr<Counting>>& clients) {
  for (auto& c : clients) {
    if (!c) continue;
    ++c->pending;
    coalescer.schedule(*c);
  }
}

std::vector<std::unique_ptr<Counting>> makeClients(int n, uint64_t costUs) {
  std::vector<std::unique_ptr<Counting>> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<Counting>());
    clients.back()->costUs = costUs;
  }
  return clients;
}

}  // namespace

BOOST_AUTO_TEST_CASE(flushes_each_client_once_per_window) {
  core::EventLoop loop;
  core::WriteCoalescer coalescer(loop, 30);
  auto clients = makeClients(3, 0);
  const uint64_t start = loop.nowMs();
  for (int i = 0; i < 5; ++i) queueMessage(coalescer, clients);
  testing_loop::runFor(loop, 10);
  BOOST_TEST(clients[0]->flushes == 0);  // the window has not ended
  BOOST_TEST(testing_loop::runUntil(loop, [&] { return clients[2]->flushes > 0; }));
  BOOST_TEST(loop.nowMs() - start >= 30);
  for (auto& c : clients) {
    BOOST_TEST(c->flushes == 1);  // five messages, one write
    BOOST_TEST(c->delivered == 5);
  }
}

BOOST_AUTO_TEST_CASE(window_zero_flushes_at_once) {
  core::EventLoop loop;
  core::WriteCoalescer coalescer(loop, 0);
  auto clients = makeClients(2, 0);
  queueMessage(coalescer, clients);
  BOOST_TEST(clients[0]->flushes == 1);
  BOOST_TEST(clients[1]->delivered == 1);
}

BOOST_AUTO_TEST_CASE(a_long_pass_yields_and_a_message_mid_pass_joins_it) {
  core::EventLoop loop;
  core::WriteCoalescer coalescer(loop, 5);
  // 400 clients x 50 us = 20 ms of writes: about ten slices of 2 ms.
  auto clients = makeClients(400, 50);
  int reachedBeforeMidPass = -1;
  bool sawPassRunning = false;
  // A timer set by the first flush fires between slices, as a message read from a
  // socket would: it is fanned out while the pass is half done.
  core::Timer midPass(loop, [&] {
    sawPassRunning = coalescer.passRunning();
    reachedBeforeMidPass = 0;
    for (auto& c : clients) reachedBeforeMidPass += c->flushes;
    queueMessage(coalescer, clients);
  });
  clients[0]->onFlush = [&] {
    if (reachedBeforeMidPass < 0 && !midPass.active()) midPass.start(0);
  };
  queueMessage(coalescer, clients);
  BOOST_TEST(testing_loop::runUntil(loop, [&] {
    int delivered = 0;
    for (auto& c : clients) delivered += c->delivered;
    return delivered == 800 && !coalescer.passRunning();
  }));
  BOOST_TEST(sawPassRunning);
  BOOST_TEST(reachedBeforeMidPass > 0);
  BOOST_TEST(reachedBeforeMidPass < 400);
  // Clients the pass had not reached took both messages in one write; the ones it
  // had reached took the second in the next pass.
  int flushes = 0;
  for (auto& c : clients) flushes += c->flushes;
  BOOST_TEST(flushes == 400 + reachedBeforeMidPass);
  for (size_t i = 0; i < clients.size(); ++i)
    BOOST_TEST(clients[i]->flushes == (static_cast<int>(i) < reachedBeforeMidPass ? 2 : 1));
}

BOOST_AUTO_TEST_CASE(a_client_cancelled_mid_pass_is_not_flushed) {
  core::EventLoop loop;
  core::WriteCoalescer coalescer(loop, 1);
  auto clients = makeClients(300, 50);  // 15 ms: several slices
  bool cancelled = false;
  core::Timer midPass(loop, [&] {
    // As a closing session does: cancel, then the object goes away.
    coalescer.cancel(*clients.back());
    clients.back().reset();
    cancelled = true;
  });
  clients[0]->onFlush = [&] { midPass.start(0); };
  queueMessage(coalescer, clients);
  BOOST_TEST(testing_loop::runUntil(loop, [&] { return cancelled && !coalescer.passRunning(); }));
  for (size_t i = 0; i + 1 < clients.size(); ++i) BOOST_TEST(clients[i]->flushes == 1);
}

BOOST_AUTO_TEST_CASE(a_window_that_ends_mid_pass_starts_the_next_pass_after_it) {
  core::EventLoop loop;
  core::WriteCoalescer coalescer(loop, 1);
  auto clients = makeClients(200, 50);  // 10 ms pass, 1 ms window
  auto late = makeClients(1, 0);
  clients[0]->onFlush = [&] {
    if (late[0]->pending == 0 && late[0]->flushes == 0) queueMessage(coalescer, late);
  };
  int lastFlushesWhenLateFlushed = -1;
  late[0]->onFlush = [&] { lastFlushesWhenLateFlushed = clients.back()->flushes; };
  queueMessage(coalescer, clients);
  BOOST_TEST(testing_loop::runUntil(loop, [&] { return late[0]->flushes == 1; }));
  // The late client's window ended long before the pass did; it went out right
  // after the pass, not in the middle of it and not a window later.
  BOOST_TEST(lastFlushesWhenLateFlushed == 1);
  BOOST_TEST(late[0]->delivered == 1);
}
