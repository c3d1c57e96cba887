// HttpClient: a small non-blocking HTTP/1.1 client for POSTing JSON (webhooks).
// Owned by whoever calls out (WebhookSender); loop thread only. One connection per
// request (Connection: close), bounded concurrency, bounded queue, bounded reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace core {
class EventLoop;
}

namespace http {

struct HttpClientResult {
  int status = 0;         // HTTP status; 0 when no response was read (see error)
  std::string body;       // the response body (at most HttpClient::kMaxResponseBody)
  std::string error;      // empty on a complete response (whatever its status)
  int64_t elapsedMs = 0;  // from post() to the result, queue wait included
};

// A parsed `http://host[:port][/path][?query]` URL.
struct HttpUrl {
  std::string host;  // dotted IPv4 ("localhost" is mapped to 127.0.0.1)
  uint16_t port = 80;
  std::string target;      // path and query, "/" when empty
  std::string hostHeader;  // the Host header value (as written in the URL)
};

class HttpClient {
 public:
  static constexpr size_t kMaxResponseBody = 64 * 1024;
  static constexpr size_t kMaxResponseHead = 16 * 1024;
  static constexpr size_t kMaxUrlLength = 8192;

  explicit HttpClient(core::EventLoop& loop, size_t maxInFlight = 32, size_t maxQueue = 10000);
  // Cancels every queued and in-flight request silently: no `done` runs after this.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` to `url`. `headers` are added as given (Content-Type defaults to
  // application/json; Host, Content-Length and Connection are the client's).
  // `done` runs exactly once, never inside post() (always from the loop), within
  // about `timeoutMs` from this call: the deadline covers queue wait, connect,
  // write and read. Errors: bad URL or header, "queue full", "timeout ...",
  // "connect: ...", "response too large", "malformed response: ...".
  // NOTE: no DNS on the loop: only numeric IPv4 hosts and "localhost" are
  // accepted; any other host is an error at parse time (resolve in config).
  void post(const std::string& url, std::string body,
            const std::map<std::string, std::string>& headers, int64_t timeoutMs,
            std::function<void(HttpClientResult)> done);

  size_t inFlight() const { return active_; }
  size_t queued() const { return queuedCount_; }

  // Parses `url` as above; false with a reason in *error when rejected.
  static bool parseUrl(const std::string& url, HttpUrl* out, std::string* error);

 private:
  class Request;
  friend class Request;

  void start(Request& req);
  void finish(Request& req, HttpClientResult result);
  void pump();
  void deliver(std::function<void(HttpClientResult)> done, HttpClientResult result);

  core::EventLoop& loop_;
  const size_t maxInFlight_;
  const size_t maxQueue_;
  uint64_t nextId_ = 1;
  std::map<uint64_t, std::unique_ptr<Request>> requests_;  // queued and in flight
  std::deque<uint64_t> waiting_;  // FIFO of queued ids (may hold finished ones)
  size_t queuedCount_ = 0;
  size_t active_ = 0;
  bool pumping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace http
