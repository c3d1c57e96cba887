#include "core/loop/signal_watcher.hpp"

#include "core/loop/event_loop.hpp"

namespace core {

SignalWatcher::SignalWatcher(EventLoop& loop, int signum, std::function<void(int)> onSignal)
    : handle_(new uv_signal_t), onSignal_(std::move(onSignal)) {
  uv_signal_init(loop.uv(), handle_);
  handle_->data = this;
  uv_signal_start(
      handle_,
      [](uv_signal_t* h, int signum) noexcept {
        if (auto* self = static_cast<SignalWatcher*>(h->data)) self->onSignal_(signum);
      },
      signum);
}

SignalWatcher::~SignalWatcher() {
  handle_->data = nullptr;
  uv_signal_stop(handle_);
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
}

}  // namespace core
