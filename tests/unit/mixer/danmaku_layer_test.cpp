// The danmaku layer on a program's real compositor thread: the test thread plays
// the loop (DanmakuFeed's side), queueing messages while the compositor draws
// them and publishes its counters; the program keeps its frames. Also under
// ThreadSanitizer (the inbox is the only thing the two threads share).
#include "mixer/danmaku_layer.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "av/av_libraries.hpp"
#include "mixer/compositor.hpp"
#include "mixer/worker_thread.hpp"

using namespace mixer;

namespace {

av::Libraries& danmakuLibs() {
  static av::Libraries l;
  return l;
}

}  // namespace

BOOST_AUTO_TEST_CASE(messages_from_another_thread_reach_the_picture) {
  CompositorSettings s;
  s.id = 9;
  s.key = "test/danmaku";
  s.width = 320;
  s.height = 180;
  s.fps = 30;
  s.kbps = 300;
  s.preset = "ultrafast";
  s.fontFile = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
  DanmakuSpec d;
  d.fontSize = 20;
  d.speed = 400;
  d.lanes = 4;
  d.maxOnScreen = 6;
  s.danmaku = d;
  auto post = [](MixerEvent e) {
    if (auto* err = std::get_if<StageError>(&e.body)) BOOST_ERROR(err->stage + ": " + err->reason);
    return true;
  };
  auto state = std::make_shared<CompositorState>(s, danmakuLibs(), post, 1, Scene{});
  auto thread = std::make_unique<WorkerThread>(
      "t-dm", [state] { Compositor(*state).run(); }, [] {});
  // Frames out (by 10 s): FFmpeg loads and x264 opens on the thread first, slowly
  // under the sanitizers.
  auto framesOutBy = [&](uint64_t n) {
    for (int i = 0; i < 1000 && state->counters.framesOut.load() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return state->counters.framesOut.load();
  };
  const uint64_t first = framesOutBy(1);
  BOOST_REQUIRE(first >= 1u);
  for (int i = 0; i < 20; ++i) {
    DanmakuItem item{"弹幕 " + std::to_string(i), 0xFFFF00, compositorNowMs()};
    BOOST_TEST(state->danmaku.queue.tryPush(item));
    state->danmaku.received.fetch_add(1, std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    (void)state->danmaku.onScreen.load(std::memory_order_relaxed);  // as the API reads it
  }
  BOOST_TEST(framesOutBy(first + 10) >= first + 10);  // the program kept encoding
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  state->stopAll();
  while (!thread->tryJoin()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // 20 messages in 0.5 s, at most 6 on screen and 6 waiting: some were let in and
  // the rest either shown later or dropped as the oldest waiting.
  const uint64_t shown = state->danmaku.shown.load(), dropped = state->danmaku.dropped.load();
  BOOST_TEST(shown >= 6u);
  BOOST_TEST(shown + dropped + state->danmaku.queue.depth() <= 20u);
  BOOST_TEST(state->danmaku.onScreen.load() <= 6u);
}
