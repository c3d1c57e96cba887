#include "core/loop/timer.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/event_loop.hpp"

namespace core {

Timer::Timer(EventLoop& loop, std::function<void()> onFire)
    : handle_(new uv_timer_t), onFire_(std::move(onFire)) {
  uv_timer_init(loop.uv(), handle_);
  handle_->data = this;
}

Timer::~Timer() {
  handle_->data = nullptr;
  uv_timer_stop(handle_);
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void Timer::start(uint64_t timeoutMs, uint64_t repeatMs) {
  uv_timer_start(
      handle_,
      [](uv_timer_t* t) noexcept {
        auto* self = static_cast<Timer*>(t->data);
        if (!self) return;
        try {
          auto fire = self->onFire_;  // survives the Timer being destroyed by the call
          fire();
        } catch (const std::exception& e) {
          spdlog::error("timer callback threw: {}", e.what());
        }
      },
      timeoutMs, repeatMs);
}

void Timer::stop() {
  uv_timer_stop(handle_);
}

bool Timer::active() const {
  return uv_is_active(reinterpret_cast<const uv_handle_t*>(handle_));
}

}  // namespace core
