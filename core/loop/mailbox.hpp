// core::Mailbox<T>: messages from any thread to the loop thread. post() appends under
// a mutex and wakes the loop (uv_async_t); the loop swaps the batch out and delivers
// each message in post order. Created, closed and destroyed on the loop thread.
#pragma once

#include <spdlog/spdlog.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/loop/event_loop.hpp"

namespace core {

template <typename T>
class Mailbox {
 public:
  Mailbox(EventLoop& loop, std::function<void(T&&)> onMessage)
      : state_(std::make_shared<State>()), handle_(new uv_async_t) {
    state_->onMessage = std::move(onMessage);
    uv_async_init(loop.uv(), handle_, &Mailbox::onAsync);
    handle_->data = new std::shared_ptr<State>(state_);
  }
  ~Mailbox() { close(); }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Any thread. False (the message dropped) once close() has run.
  bool post(T message) {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) return false;
    state_->queue.push_back(std::move(message));
    // NOTE: the mutex guards the handover, not uv_async_send: the loop takes the
    // batch under the same mutex, so the message happens-before its delivery in a
    // way ThreadSanitizer sees (libuv is not instrumented; its wake-up orders
    // nothing TSan knows of). Sending under the mutex also means close(), which
    // takes it first, can never free the handle between our check and our send.
    // One wake per batch: the loop empties the queue when it takes it.
    if (state_->queue.size() == 1) uv_async_send(handle_);
    return true;
  }

  // Loop thread, after the producers have stopped (joined or signalled done):
  // later posts are refused, messages not yet delivered are dropped without a
  // callback, and a delivery in progress stops after the current message. Idempotent.
  void close() {
    if (!handle_) return;
    std::vector<T> dropped;
    {
      std::lock_guard lock(state_->mutex);
      state_->closed = true;
      dropped.swap(state_->queue);
    }
    state_->closedOnLoop = true;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) {
      delete static_cast<std::shared_ptr<State>*>(h->data);
      delete reinterpret_cast<uv_async_t*>(h);
    });
    handle_ = nullptr;
  }

  // Messages posted and not yet taken by the loop (any thread; a snapshot).
  size_t pending() const {
    std::lock_guard lock(state_->mutex);
    return state_->queue.size();
  }

 private:
  struct State {
    std::mutex mutex;
    std::vector<T> queue;       // guarded by mutex
    bool closed = false;        // guarded by mutex
    bool closedOnLoop = false;  // loop thread only: stops a delivery in progress
    std::function<void(T&&)> onMessage;
  };

  static void onAsync(uv_async_t* handle) noexcept {
    // A copy: the callback may destroy the Mailbox (close() runs, the handle's copy
    // goes in the close callback, later), and State must outlive this delivery.
    std::shared_ptr<State> state = *static_cast<std::shared_ptr<State>*>(handle->data);
    std::vector<T> batch;
    {
      std::lock_guard lock(state->mutex);
      if (state->closed) return;
      batch.swap(state->queue);
    }
    for (auto& message : batch) {
      if (state->closedOnLoop) return;
      try {
        state->onMessage(std::move(message));
      } catch (const std::exception& e) {
        // Nothing of ours throws here; a consumer's bug must not end the loop.
        spdlog::error("mailbox consumer threw: {}", e.what());
      }
    }
  }

  std::shared_ptr<State> state_;
  uv_async_t* handle_;  // null once closed; freed by its close callback
};

}  // namespace core
