#include "protocols/http/webhook_sender.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "core/format/json_text.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"

namespace http {
namespace {

// NOTE: nlohmann's dump() throws on invalid UTF-8 by default; a webhook body built
// from user text must never throw on the data path, so bad bytes become U+FFFD.
std::string dumpJson(const nlohmann::json& body) {
  return core::dumpJson(body);
}

}  // namespace

WebhookSender::WebhookSender(core::EventLoop& loop, WebhookOptions options)
    : loop_(loop),
      options_(std::move(options)),
      client_(loop, options_.maxInFlight, options_.maxQueue) {
  HttpUrl parsed;
  std::string error;
  if (!HttpClient::parseUrl(options_.url, &parsed, &error))
    throw std::invalid_argument("webhook url: " + error);
}

WebhookSender::~WebhookSender() = default;

std::string WebhookSender::percentEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string WebhookSender::buildUrl(const std::string& command, const std::string& clientIp,
                                    const std::string& platform) const {
  std::string url = options_.url.substr(0, options_.url.find('#'));
  if (url.find('?') == std::string::npos)
    url += '?';
  else if (url.back() != '?' && url.back() != '&')
    url += '&';
  url += "SdkAppid=" + std::to_string(options_.appId);
  url += "&CallbackCommand=" + percentEncode(command);
  url += "&contenttype=json";
  url += "&ClientIP=" + percentEncode(clientIp);
  url += "&OptPlatform=" + percentEncode(platform.empty() ? options_.platform : platform);
  return url;
}

std::string WebhookSender::signature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

std::map<std::string, std::string> WebhookSender::headersFor(const std::string& body) const {
  std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
  if (!options_.secret.empty()) headers[kSignatureHeader] = signature(options_.secret, body);
  return headers;
}

WebhookReply WebhookSender::parseReply(const HttpClientResult& result) {
  WebhookReply reply;
  reply.status = result.status;
  reply.elapsedMs = result.elapsedMs;
  if (!result.error.empty()) {
    reply.error = result.error;
    return reply;
  }
  core::JsonRead read = core::readJson(result.body, HttpClient::kMaxResponseBody);
  const nlohmann::json& json = read.value;
  if (read.ok()) reply.body = json;
  if (result.status < 200 || result.status > 299) {
    reply.error = "HTTP " + std::to_string(result.status);
    return reply;
  }
  if (read.status == core::JsonRead::Status::Malformed) {
    reply.error = "reply is not JSON";
    return reply;
  }
  if (!read.ok()) {
    reply.error = "reply is " + read.error;
    return reply;
  }
  if (!json.is_object()) {
    reply.error = "reply is not a JSON object";
    return reply;
  }
  auto code = json.find("ErrorCode");
  if (code == json.end() || !code->is_number_integer()) {
    reply.error = "reply has no integer ErrorCode";
    return reply;
  }
  const int64_t value = code->get<int64_t>();
  if (value < INT32_MIN || value > INT32_MAX) {
    reply.error = "reply ErrorCode out of range";
    return reply;
  }
  reply.errorCode = static_cast<int>(value);
  if (auto info = json.find("ErrorInfo"); info != json.end() && info->is_string())
    reply.errorInfo = info->get<std::string>();
  reply.ok = true;
  return reply;
}

void WebhookSender::call(const std::string& command, const nlohmann::json& body,
                         const std::string& clientIp, std::function<void(WebhookReply)> done,
                         const std::string& platform) {
  ++stats_.calls;
  std::string text = dumpJson(body);
  auto headers = headersFor(text);
  client_.post(buildUrl(command, clientIp, platform), std::move(text), headers, options_.timeoutMs,
               [this, command, done = std::move(done)](HttpClientResult result) {
                 WebhookReply reply = parseReply(result);
                 if (!reply.ok) {
                   ++stats_.callFailures;
                   logFailure(command, reply.error);
                 }
                 if (done) done(std::move(reply));
               });
}

void WebhookSender::notify(const std::string& command, nlohmann::json body,
                           const std::string& clientIp, const std::string& platform) {
  auto event = std::make_shared<Event>();
  event->url = buildUrl(command, clientIp, platform);
  event->command = command;
  event->body = dumpJson(body);
  send(std::move(event));
}

void WebhookSender::send(std::shared_ptr<Event> event) {
  ++event->attempt;
  std::string body = event->body;
  auto headers = headersFor(body);
  client_.post(event->url, std::move(body), headers, options_.timeoutMs,
               [this, event](HttpClientResult result) { onNotifyResult(event, result); });
}

void WebhookSender::onNotifyResult(std::shared_ptr<Event> event, const HttpClientResult& result) {
  if (result.error.empty() && result.status >= 200 && result.status <= 299) {
    ++stats_.succeeded;
    return;
  }
  const std::string reason =
      result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error;
  if (result.error == "queue full") {
    ++stats_.dropped;
    logFailure(event->command, "dropped: " + reason);
    return;
  }
  if (event->attempt > options_.retries) {
    ++stats_.failed;
    logFailure(event->command,
               reason + " (gave up after " + std::to_string(event->attempt) + " attempts)");
    return;
  }
  if (retryTimers_.size() >= options_.maxQueue) {
    ++stats_.dropped;
    logFailure(event->command, reason + " (dropped: retry backlog full)");
    return;
  }
  logFailure(event->command,
             reason + " (attempt " + std::to_string(event->attempt) + ", retrying)");
  // Backoff: retryDelayMs, then doubled per attempt, capped.
  int64_t delay = std::max<int64_t>(0, options_.retryDelayMs);
  for (int i = 1; i < event->attempt && delay < kMaxRetryDelayMs; ++i) delay *= 2;
  delay = std::min(delay, kMaxRetryDelayMs);
  const uint64_t id = nextRetryId_++;
  auto timer = std::make_unique<core::Timer>(loop_, [this, id, event] {
    retryTimers_.erase(id);  // Timer allows destruction inside its own callback
    ++stats_.retried;
    send(event);
  });
  timer->start(static_cast<uint64_t>(delay));
  retryTimers_.emplace(id, std::move(timer));
}

void WebhookSender::logFailure(const std::string& command, const std::string& reason) {
  // At most one warning a second: a dead receiver under load must not flood the log.
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  if (lastLogMs_ >= 0 && now - lastLogMs_ < 1000) {
    ++suppressedLogs_;
    return;
  }
  lastLogMs_ = now;
  if (suppressedLogs_ > 0) {
    spdlog::warn("webhook {} {}: {} ({} similar failures not logged)", options_.url, command,
                 reason, suppressedLogs_);
    suppressedLogs_ = 0;
  } else {
    spdlog::warn("webhook {} {}: {}", options_.url, command, reason);
  }
}

}  // namespace http
