// WebhookSender: the seed IM's webhook calling convention over HttpClient:
// before-* hooks answered with {"ErrorCode":n} (call) and fire-and-forget events
// retried with backoff (notify). Owned by the room service; loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "protocols/http/http_client.hpp"

namespace core {
class EventLoop;
class Timer;
}  // namespace core

namespace http {

struct WebhookOptions {
  std::string url;  // http://IPv4-or-localhost[:port]/path[?query] (see HttpClient)
  int64_t appId = 0;
  std::string secret;  // when set: X-Roomcast-Signature: sha256=<hex HMAC(secret, body)>
  int64_t timeoutMs = 2000;
  size_t maxInFlight = 32;
  size_t maxQueue = 10000;
  int retries = 3;                   // notify: extra attempts after the first
  int64_t retryDelayMs = 500;        // notify: first retry delay, doubled each time (max 30 s)
  std::string platform = "RESTAPI";  // OptPlatform when the caller gives none
};

struct WebhookReply {
  bool ok = false;  // a 2xx whose body is a JSON object with an integer ErrorCode
  int errorCode = 0;
  std::string errorInfo;
  nlohmann::json body;  // the whole reply when it was JSON
  std::string error;    // why not ok: timeout, refused, HTTP 500, not JSON...
  int status = 0;       // HTTP status, 0 when none
  int64_t elapsedMs = 0;
};

struct WebhookStats {
  uint64_t succeeded = 0;     // notify events delivered (2xx)
  uint64_t failed = 0;        // notify events given up after every retry
  uint64_t dropped = 0;       // notify events never sent: queue or retry backlog full
  uint64_t retried = 0;       // notify retry attempts
  uint64_t calls = 0;         // call() invocations
  uint64_t callFailures = 0;  // call() replies that were not ok
};

class WebhookSender {
 public:
  static constexpr int64_t kMaxRetryDelayMs = 30000;
  static constexpr const char* kSignatureHeader = "X-Roomcast-Signature";

  // Throws std::invalid_argument when options.url is not a URL HttpClient takes
  // (a config error: e.g. a host name, since the loop does no DNS).
  WebhookSender(core::EventLoop& loop, WebhookOptions options);
  // Cancels everything silently: no `done` runs after this.
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // A before-* hook: one attempt, deadline options.timeoutMs; `done` runs exactly
  // once, never inside call(). `platform` empty: options.platform.
  void call(const std::string& command, const nlohmann::json& body, const std::string& clientIp,
            std::function<void(WebhookReply)> done, const std::string& platform = "");
  // An after-* or state event: queued, retried on failure or a non-2xx, counted.
  void notify(const std::string& command, nlohmann::json body, const std::string& clientIp,
              const std::string& platform = "");

  const WebhookStats& stats() const { return stats_; }
  const WebhookOptions& options() const { return options_; }

  // {url}?SdkAppid=N&CallbackCommand=CMD&contenttype=json&ClientIP=IP&OptPlatform=P
  std::string buildUrl(const std::string& command, const std::string& clientIp,
                       const std::string& platform) const;
  // The header value: "sha256=" + lower-case hex HMAC-SHA256(secret, body).
  static std::string signature(const std::string& secret, const std::string& body);
  // RFC 3986 percent-encoding of everything but unreserved characters.
  static std::string percentEncode(const std::string& value);
  // Interprets an HTTP result as a webhook reply.
  static WebhookReply parseReply(const HttpClientResult& result);

 private:
  struct Event {
    std::string url;
    std::string command;
    std::string body;
    int attempt = 0;
  };
  void send(std::shared_ptr<Event> event);
  void onNotifyResult(std::shared_ptr<Event> event, const HttpClientResult& result);
  std::map<std::string, std::string> headersFor(const std::string& body) const;
  void logFailure(const std::string& command, const std::string& reason);

  core::EventLoop& loop_;
  const WebhookOptions options_;
  WebhookStats stats_;
  std::map<uint64_t, std::unique_ptr<core::Timer>> retryTimers_;
  uint64_t nextRetryId_ = 1;
  int64_t lastLogMs_ = -1;
  uint64_t suppressedLogs_ = 0;
  HttpClient client_;  // last: destroyed first, so no result reaches a dead sender
};

}  // namespace http
