// WriteCoalescer: the merged-write window (SRS's "mw"). Viewers with queued bytes
// register here; one timer per loop flushes all of them every `windowMs`, so a
// viewer makes one gather write per window instead of one per packet. Owned by
// main(); loop thread. A window of 0 flushes at once.
#pragma once

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
    bool scheduled_ = false;
  };

  WriteCoalescer(EventLoop& loop, int64_t windowMs);

  void schedule(Client& client);
  void cancel(Client& client);
  int64_t windowMs() const { return windowMs_; }

 private:
  void flushAll();

  Timer timer_;
  int64_t windowMs_;
  std::vector<Client*> dirty_;
};

}  // namespace core
