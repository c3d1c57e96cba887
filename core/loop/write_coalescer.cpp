#include "core/loop/write_coalescer.hpp"

#include "core/loop/event_loop.hpp"

namespace core {
namespace {

constexpr size_t kClientsPerClockRead = 32;

}  // namespace

WriteCoalescer::WriteCoalescer(EventLoop& loop, int64_t windowMs)
    : timer_(loop, [this] { onWindow(); }), idle_(new uv_idle_t), windowMs_(windowMs) {
  uv_idle_init(loop.uv(), idle_);
  idle_->data = this;
}

WriteCoalescer::~WriteCoalescer() {
  uv_idle_stop(idle_);
  uv_close(reinterpret_cast<uv_handle_t*>(idle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
}

void WriteCoalescer::schedule(Client& client) {
  if (windowMs_ <= 0) {
    client.flush();
    return;
  }
  if (client.where_ != Client::Where::None) return;
  client.where_ = Client::Where::Waiting;
  client.slot_ = waiting_.size();
  waiting_.push_back(&client);
  if (!timer_.active() && !windowDue_) timer_.start(static_cast<uint64_t>(windowMs_));
}

void WriteCoalescer::cancel(Client& client) {
  if (client.where_ == Client::Where::Waiting) waiting_[client.slot_] = nullptr;
  if (client.where_ == Client::Where::InPass) pass_[client.slot_] = nullptr;
  client.where_ = Client::Where::None;
}

void WriteCoalescer::onWindow() {
  if (passRunning()) {
    windowDue_ = true;  // the next pass starts as soon as this one ends
    return;
  }
  startPass();
}

void WriteCoalescer::startPass() {
  pass_.swap(waiting_);
  waiting_.clear();
  next_ = 0;
  for (size_t i = 0; i < pass_.size(); ++i)
    if (pass_[i]) pass_[i]->where_ = Client::Where::InPass;  // slot_ stays i
  runSlice();
  if (passRunning())
    uv_idle_start(idle_, [](uv_idle_t* h) { static_cast<WriteCoalescer*>(h->data)->runSlice(); });
}

void WriteCoalescer::runSlice() {
  const uint64_t deadline = uv_hrtime() + static_cast<uint64_t>(kSliceBudgetMs * 1e6);
  size_t sinceClockRead = 0;
  // NOTE: a client's flush may close its session (its deletion is deferred to the
  // end of the loop iteration, and its destructor cancels it here), schedule it
  // again, or cancel others; next_ advances before each flush so none of that
  // disturbs the walk.
  while (next_ < pass_.size()) {
    Client* c = pass_[next_];
    pass_[next_++] = nullptr;
    if (!c) continue;
    c->where_ = Client::Where::None;
    c->flush();
    if (++sinceClockRead == kClientsPerClockRead) {
      sinceClockRead = 0;
      if (uv_hrtime() >= deadline) break;
    }
  }
  if (passRunning()) return;
  uv_idle_stop(idle_);
  pass_.clear();
  next_ = 0;
  if (windowDue_) {
    windowDue_ = false;
    // The window of the clients now waiting has already passed.
    if (!waiting_.empty()) startPass();
  }
}

}  // namespace core
