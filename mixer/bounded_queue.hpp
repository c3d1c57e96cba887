// mixer::BoundedQueue<T>: a fixed-capacity FIFO between two threads of a pipeline
// (loop → decoder, decoder → rung encoder). The producer never waits: tryPush fails
// when full and the producer drops by its own policy. Any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace mixer {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity > 0 ? capacity : 1) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Never waits. False (the item is left to the caller: moved only on success)
  // when the queue holds `capacity` items.
  bool tryPush(T& item) {
    {
      std::lock_guard lock(mutex_);
      if (items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
      depth_.store(items_.size(), std::memory_order_relaxed);
    }
    ready_.notify_one();
    return true;
  }
  bool tryPush(T&& item) { return tryPush(item); }

  // Waits for an item. nullopt when `stop` is set (it wins over queued items: the
  // owner abandons them) or when wake() was called since the last pop, so the
  // consumer can look at its commands; the caller sets `stop`, then calls wake().
  std::optional<T> pop(const std::atomic<bool>& stop) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock,
                [&] { return woken_ || !items_.empty() || stop.load(std::memory_order_acquire); });
    if (stop.load(std::memory_order_acquire) || woken_) {
      woken_ = false;
      return std::nullopt;
    }
    return takeFront();
  }

  // Never waits: the front item, or nullopt when empty.
  std::optional<T> tryPop() {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return std::nullopt;
    return takeFront();
  }

  // Makes the consumer's current or next pop() return nullopt once.
  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    ready_.notify_all();
  }

  // Items queued now: a relaxed snapshot for stats (any thread, no lock).
  size_t depth() const { return depth_.load(std::memory_order_relaxed); }
  size_t capacity() const { return capacity_; }

 private:
  T takeFront() {
    T item = std::move(items_.front());
    items_.pop_front();
    depth_.store(items_.size(), std::memory_order_relaxed);
    return item;
  }

  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;  // guarded by mutex_
  bool woken_ = false;   // guarded by mutex_
  std::atomic<size_t> depth_{0};
};

}  // namespace mixer
