// SessionSet: the sessions a listener owns (RTMP, HTTP, HTTP-FLV). Adding hands
// ownership in; a session that closed itself is removed and destroyed through
// EventLoop::deferDelete, never inside its own callback. Loop thread.
#pragma once

#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "core/loop/event_loop.hpp"

namespace core {

template <typename Session>
class SessionSet {
 public:
  explicit SessionSet(EventLoop& loop) : loop_(loop) {}

  Session& add(std::unique_ptr<Session> session) {
    Session* raw = session.get();
    sessions_.emplace(raw, std::move(session));
    return *raw;
  }
  void remove(Session* session) {
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    loop_.deferDelete(std::move(it->second));
    sessions_.erase(it);
  }
  // Closes every session (each removes itself while closing).
  void closeAll(std::string_view reason) {
    std::vector<Session*> all;
    for (auto& [raw, session] : sessions_) all.push_back(raw);
    for (Session* s : all) s->close(reason);
  }
  size_t size() const { return sessions_.size(); }

 private:
  EventLoop& loop_;
  std::map<Session*, std::unique_ptr<Session>> sessions_;
};

}  // namespace core
