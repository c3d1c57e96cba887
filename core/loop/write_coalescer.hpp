// WriteCoalescer: the merged-write window (SRS's "mw"). Clients with queued bytes
// register here; `windowMs` after the first of them registered, one pass flushes
// every registered client, so a client makes one gather write per window instead
// of one per packet. Owned by main(); loop thread. A window of 0 flushes at once.
//
// A pass over many clients (a 10,000-member room) is cut into slices of about
// `kSliceBudgetMs`, and the loop polls between slices: a message that arrives
// mid-pass joins the pending bytes of every client the pass has not reached yet,
// instead of waiting for the whole pass to end and a whole new pass after it.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/loop/timer.hpp"

namespace core {

class EventLoop;

class WriteCoalescer {
 public:
  class Client {
   public:
    virtual ~Client() = default;
    virtual void flush() = 0;

   private:
    friend class WriteCoalescer;
    enum class Where : uint8_t { None, Waiting, InPass };
    Where where_ = Where::None;
    size_t slot_ = 0;  // index in waiting_ or pass_
  };

  // Time a slice may take before the loop gets to poll again.
  static constexpr double kSliceBudgetMs = 2.0;

  WriteCoalescer(EventLoop& loop, int64_t windowMs);
  ~WriteCoalescer();
  WriteCoalescer(const WriteCoalescer&) = delete;
  WriteCoalescer& operator=(const WriteCoalescer&) = delete;

  // Registers `client` for the next pass; a client the running pass has not reached
  // yet stays where it is (its new bytes go out when the pass gets to it).
  void schedule(Client& client);
  // Unregisters `client` (call before destroying it); O(1).
  void cancel(Client& client);
  int64_t windowMs() const { return windowMs_; }
  bool passRunning() const { return next_ < pass_.size(); }

 private:
  void onWindow();
  void startPass();
  void runSlice();

  Timer timer_;
  uv_idle_t* idle_;  // active while a pass has slices left: the loop polls, then resumes
  int64_t windowMs_;
  std::vector<Client*> waiting_;  // for the window; nullptr = cancelled
  std::vector<Client*> pass_;     // the running pass; nullptr = cancelled or done
  size_t next_ = 0;               // next index of pass_ to flush
  bool windowDue_ = false;        // the window ended while a pass was running
};

}  // namespace core
