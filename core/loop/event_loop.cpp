#include "core/loop/event_loop.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace core {

EventLoop::EventLoop() : loop_(new uv_loop_t), drainTimer_(new uv_timer_t) {
  if (int rc = uv_loop_init(loop_); rc != 0) {
    delete loop_;
    delete drainTimer_;
    throw std::runtime_error(std::string("uv_loop_init: ") + uv_strerror(rc));
  }
  uv_timer_init(loop_, drainTimer_);
  drainTimer_->data = this;
}

EventLoop::~EventLoop() {
  // Deleting deferred objects may post more work; run it all.
  for (int round = 0; round < 100 && !posted_.empty(); ++round) drain();
  uv_close(reinterpret_cast<uv_handle_t*>(drainTimer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  // Let close callbacks of every handle run, then free the loop.
  uv_run(loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(loop_) != 0) {
    spdlog::warn("event loop closed with live handles");
    uv_walk(
        loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(loop_, UV_RUN_DEFAULT);
    uv_loop_close(loop_);
  }
  delete loop_;
}

void EventLoop::run() {
  uv_run(loop_, UV_RUN_DEFAULT);
}

void EventLoop::stop() {
  uv_stop(loop_);
}

void EventLoop::post(std::function<void()> fn) {
  posted_.push_back(std::move(fn));
  if (!drainScheduled_) {
    drainScheduled_ = true;
    uv_timer_start(
        drainTimer_,
        [](uv_timer_t* t) noexcept {
          auto* self = static_cast<EventLoop*>(t->data);
          try {
            self->drain();
          } catch (const std::exception& e) {
            spdlog::error("posted task threw: {}", e.what());
          }
        },
        0, 0);
  }
}

void EventLoop::drain() {
  drainScheduled_ = false;
  // Work posted while draining runs in the next round, so a task that re-posts
  // itself cannot starve the loop.
  std::vector<std::function<void()>> work;
  work.swap(posted_);
  for (auto& fn : work) fn();
}

}  // namespace core
