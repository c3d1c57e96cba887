// Work off the loop: runOnWorker() runs `work` on libuv's thread pool and then
// `done` on the loop thread, for CPU work that would hold up every connection if
// it ran on the loop (remuxing a replay segment). `work` must not touch anything
// that lives on the loop; it hands its result over through what both capture.
// Free function: the request holds everything it needs until `done` has run.
#pragma once

#include <functional>

namespace core {

class EventLoop;

void runOnWorker(EventLoop& loop, std::function<void()> work, std::function<void()> done);

}  // namespace core
