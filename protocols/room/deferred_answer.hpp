// DeferredAnswer: an HTTP route's answer that may come at once or later: the
// message path answers a send when it is done, which is at once unless the
// backend's before-send hook is asked. Answered inside the handler, it is the
// handler's response; else the exchange is deferred until it comes. Loop thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "protocols/http/http_server.hpp"

namespace room {

class DeferredAnswer {
 public:
  using Answer = std::function<void(http::HttpResponse)>;

  // Runs `start`, which answers exactly once through the function it is given.
  static http::HttpResponse run(http::HttpExchange& exchange,
                                const std::function<void(Answer)>& start) {
    auto state = std::make_shared<State>();
    start([state](http::HttpResponse response) {
      if (state->later)
        state->later->respond(response);
      else
        state->now = std::move(response);
    });
    if (state->now) return std::move(*state->now);
    state->later = exchange.defer();
    return {};  // ignored: the responder answers
  }

 private:
  struct State {
    std::optional<http::HttpResponse> now;
    std::shared_ptr<http::HttpResponder> later;
  };
};

}  // namespace room
