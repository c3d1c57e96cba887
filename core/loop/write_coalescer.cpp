#include "core/loop/write_coalescer.hpp"

#include <algorithm>

namespace core {

WriteCoalescer::WriteCoalescer(EventLoop& loop, int64_t windowMs)
    : timer_(loop, [this] { flushAll(); }), windowMs_(windowMs) {}

void WriteCoalescer::schedule(Client& client) {
  if (windowMs_ <= 0) {
    client.flush();
    return;
  }
  if (client.scheduled_) return;
  client.scheduled_ = true;
  dirty_.push_back(&client);
  if (!timer_.active()) timer_.start(static_cast<uint64_t>(windowMs_));
}

void WriteCoalescer::cancel(Client& client) {
  if (!client.scheduled_) return;
  client.scheduled_ = false;
  std::erase(dirty_, &client);
}

void WriteCoalescer::flushAll() {
  // NOTE: a flush only ever closes its own session, and a session's sender lives
  // until the session's deferred deletion, so every client of this batch is
  // still alive here even if an earlier one's flush closed its session.
  auto batch = std::move(dirty_);
  dirty_.clear();
  for (Client* c : batch) c->scheduled_ = false;
  for (Client* c : batch) c->flush();
}

}  // namespace core
