#include "protocols/http/http_client.hpp"

#include <http_parser.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <climits>

#include "core/loop/event_loop.hpp"
#include "core/loop/tcp_connection.hpp"
#include "core/loop/timer.hpp"

namespace http {
namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isTokenChar(char c) {
  return isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A header the caller may set: a token name and a value without CR, LF or NUL
// (anything else would let a value inject headers or a second request).
bool validHeader(const std::string& name, const std::string& value, std::string* error) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), isTokenChar)) {
    *error = "invalid header name \"" + name + "\"";
    return false;
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    *error = "header " + name + " has a CR, LF or NUL in its value";
    return false;
  }
  return true;
}

std::string buildRequest(const HttpUrl& url, const std::string& body,
                         const std::map<std::string, std::string>& headers) {
  std::string out = "POST " + url.target + " HTTP/1.1\r\nHost: " + url.hostHeader + "\r\n";
  bool hasType = false;
  for (const auto& [name, value] : headers) {
    const std::string l = lower(name);
    if (l == "host" || l == "content-length" || l == "connection" || l == "transfer-encoding")
      continue;  // the client's own framing
    if (l == "content-type") hasType = true;
    out += name + ": " + value + "\r\n";
  }
  if (!hasType) out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

}  // namespace

// One exchange: queued, then connecting, then waiting for the response, then done.
// Owned by HttpClient::requests_; after finish() it is closed and deferred-deleted.
class HttpClient::Request : public core::TcpConnection::Handler {
 public:
  enum class State { Queued, Connecting, Waiting, Done };

  Request(HttpClient& client, uint64_t id, HttpUrl url, std::string wire, int64_t timeoutMs,
          std::function<void(HttpClientResult)> done)
      : client_(client),
        id_(id),
        url_(std::move(url)),
        wire_(std::move(wire)),
        timeoutMs_(timeoutMs),
        startedMs_(steadyMs()),
        done_(std::move(done)),
        timer_(client.loop_, [this] { onTimeout(); }) {
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_header_field = onHeaderBytes;
    settings_.on_header_value = onHeaderBytes;
    settings_.on_status = onHeaderBytes;
    settings_.on_headers_complete = onHeadersComplete;
    settings_.on_body = onBody;
    settings_.on_message_complete = onMessageComplete;
    // NOTE: the loop's clock is the start of this turn; on a busy loop that is well
    // before startedMs_, and the deadline would come early. Read the clock anew.
    uv_update_time(client.loop_.uv());
    timer_.start(static_cast<uint64_t>(timeoutMs_));
  }
  ~Request() override {
    if (conn_) conn_->close();
  }

  void connect() {
    state_ = State::Connecting;
    std::weak_ptr<bool> token = token_;
    conn_.reset(core::TcpConnection::connect(client_.loop_, url_.host, url_.port,
                                             [this, token](core::TcpConnection*, int status) {
                                               // NOTE: libuv calls back with UV_ECANCELED after the
                                               // request was finished or destroyed (the handle
                                               // closed under it): the token and the state tell.
                                               if (token.expired() || state_ != State::Connecting)
                                                 return;
                                               onConnected(status);
                                             }));
    if (!conn_) fail(std::string("connect to ") + url_.host + ": cannot start");
  }

  void onData(std::span<const uint8_t> bytes) override {
    if (state_ != State::Waiting) return;
    http_parser_execute(&parser_, &settings_, reinterpret_cast<const char*>(bytes.data()),
                        bytes.size());
    afterParse();
  }

  void onDisconnect(std::string_view reason) override {
    if (state_ != State::Waiting) return;
    // A zero-length execute tells the parser about EOF (ends a body that runs to
    // the close).
    if (!complete_ && HTTP_PARSER_ERRNO(&parser_) == HPE_OK)
      http_parser_execute(&parser_, &settings_, nullptr, 0);
    if ((complete_ || !error_.empty()) && afterParse()) return;
    fail("connection closed before the response was complete (" + std::string(reason) + ")");
  }

  uint64_t id() const { return id_; }
  State state() const { return state_; }
  int64_t elapsedMs() const { return steadyMs() - startedMs_; }

 private:
  friend class HttpClient;

  void onConnected(int status) {
    if (status != 0) {
      fail(std::string("connect to ") + url_.host + ":" + std::to_string(url_.port) + ": " +
           uv_strerror(status));
      return;
    }
    state_ = State::Waiting;
    conn_->setHandler(this);
    conn_->setNoDelay(true);
    conn_->startReading();
    std::string wire;
    wire.swap(wire_);
    if (conn_->write(core::SharedBuffer::copyOf(wire)) == core::ByteSink::Write::Closed &&
        state_ == State::Waiting)
      fail("write failed");
  }

  void onTimeout() {
    const char* phase = state_ == State::Queued       ? "queued, not started"
                        : state_ == State::Connecting ? "connecting"
                                                      : "waiting for the response";
    fail("timeout after " + std::to_string(timeoutMs_) + " ms (" + phase + ")");
  }

  // True when the exchange ended (complete or a parse error); finishes it.
  bool afterParse() {
    if (state_ == State::Done) return true;
    if (!error_.empty()) {
      fail(error_);
      return true;
    }
    if (complete_) {
      HttpClientResult r;
      r.status = static_cast<int>(parser_.status_code);
      r.body = std::move(body_);
      client_.finish(*this, std::move(r));
      return true;
    }
    const auto err = HTTP_PARSER_ERRNO(&parser_);
    if (err != HPE_OK && err != HPE_PAUSED) {
      fail(std::string("malformed response: ") + http_errno_description(err));
      return true;
    }
    return false;
  }

  void fail(std::string error) {
    HttpClientResult r;
    r.error = std::move(error);
    client_.finish(*this, std::move(r));
  }

  static Request* self(http_parser* p) { return static_cast<Request*>(p->data); }
  static int onHeaderBytes(http_parser* p, const char*, size_t len) {
    auto* r = self(p);
    r->headBytes_ += len;
    if (r->headBytes_ <= kMaxResponseHead) return 0;
    r->error_ = "response head larger than " + std::to_string(kMaxResponseHead) + " bytes";
    return -1;
  }
  static int onHeadersComplete(http_parser* p) {
    if (p->content_length != ULLONG_MAX && p->content_length > kMaxResponseBody) {
      self(p)->error_ = "response too large";
      return -1;
    }
    return 0;
  }
  static int onBody(http_parser* p, const char* at, size_t len) {
    auto* r = self(p);
    if (r->body_.size() + len > kMaxResponseBody) {
      r->error_ = "response too large";
      return -1;
    }
    r->body_.append(at, len);
    return 0;
  }
  static int onMessageComplete(http_parser* p) {
    self(p)->complete_ = true;
    http_parser_pause(p, 1);  // ignore whatever follows (we asked for Connection: close)
    return 0;
  }

  HttpClient& client_;
  const uint64_t id_;
  const HttpUrl url_;
  std::string wire_;
  const int64_t timeoutMs_;
  const int64_t startedMs_;
  std::function<void(HttpClientResult)> done_;
  State state_ = State::Queued;
  std::shared_ptr<bool> token_ = std::make_shared<bool>(true);
  std::unique_ptr<core::TcpConnection> conn_;
  http_parser parser_;
  http_parser_settings settings_;
  size_t headBytes_ = 0;
  std::string body_;
  std::string error_;
  bool complete_ = false;
  core::Timer timer_;
};

HttpClient::HttpClient(core::EventLoop& loop, size_t maxInFlight, size_t maxQueue)
    : loop_(loop), maxInFlight_(std::max<size_t>(1, maxInFlight)), maxQueue_(maxQueue) {}

HttpClient::~HttpClient() {
  *alive_ = false;
  // Requests close their sockets and timers without calling anyone back.
  requests_.clear();
}

void HttpClient::post(const std::string& url, std::string body,
                      const std::map<std::string, std::string>& headers, int64_t timeoutMs,
                      std::function<void(HttpClientResult)> done) {
  HttpUrl parsed;
  std::string error;
  if (!parseUrl(url, &parsed, &error)) {
    deliver(std::move(done), HttpClientResult{0, {}, std::move(error), 0});
    return;
  }
  for (const auto& [name, value] : headers) {
    if (!validHeader(name, value, &error)) {
      deliver(std::move(done), HttpClientResult{0, {}, std::move(error), 0});
      return;
    }
  }
  const bool startNow = active_ < maxInFlight_;
  if (!startNow && queuedCount_ >= maxQueue_) {
    deliver(std::move(done), HttpClientResult{0, {}, "queue full", 0});
    return;
  }
  const uint64_t id = nextId_++;
  std::string wire = buildRequest(parsed, body, headers);
  auto req = std::make_unique<Request>(*this, id, std::move(parsed), std::move(wire),
                                       std::max<int64_t>(1, timeoutMs), std::move(done));
  Request& ref = *req;
  requests_.emplace(id, std::move(req));
  if (startNow) {
    start(ref);
    return;
  }
  waiting_.push_back(id);
  ++queuedCount_;
}

void HttpClient::start(Request& req) {
  ++active_;
  req.connect();
}

void HttpClient::finish(Request& req, HttpClientResult result) {
  auto it = requests_.find(req.id());
  if (it == requests_.end() || req.state() == Request::State::Done) return;
  if (req.state() == Request::State::Queued)
    --queuedCount_;
  else
    --active_;
  req.state_ = Request::State::Done;
  req.timer_.stop();
  if (req.conn_) req.conn_->close();
  result.elapsedMs = req.elapsedMs();
  auto done = std::move(req.done_);
  loop_.deferDelete(std::move(it->second));
  requests_.erase(it);
  deliver(std::move(done), std::move(result));
  pump();
}

void HttpClient::pump() {
  // NOTE: a start may fail at once and finish() calls pump() again; the flag keeps
  // that from recursing once per queued request.
  if (pumping_) return;
  pumping_ = true;
  while (active_ < maxInFlight_ && !waiting_.empty()) {
    const uint64_t id = waiting_.front();
    waiting_.pop_front();
    auto it = requests_.find(id);
    if (it == requests_.end() || it->second->state() != Request::State::Queued) continue;
    --queuedCount_;
    start(*it->second);
  }
  // Requests that timed out while queued leave their ids behind; drop them when
  // they outnumber the live ones.
  if (waiting_.size() > 2 * queuedCount_ + 64) {
    std::erase_if(waiting_, [this](uint64_t id) {
      auto it = requests_.find(id);
      return it == requests_.end() || it->second->state() != Request::State::Queued;
    });
  }
  pumping_ = false;
}

void HttpClient::deliver(std::function<void(HttpClientResult)> done, HttpClientResult result) {
  if (!done) return;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([alive, done = std::move(done), result = std::move(result)]() mutable {
    if (alive.expired()) return;  // the client was destroyed: cancelled silently
    try {
      done(std::move(result));
    } catch (const std::exception& e) {
      // NOTE: a throw would end EventLoop::drain() and lose the tasks behind it.
      spdlog::error("http client: done callback threw: {}", e.what());
    }
  });
}

bool HttpClient::parseUrl(const std::string& url, HttpUrl* out, std::string* error) {
  if (url.size() > kMaxUrlLength) {
    *error = "URL longer than " + std::to_string(kMaxUrlLength) + " bytes";
    return false;
  }
  http_parser_url u;
  http_parser_url_init(&u);
  if (url.empty() || http_parser_parse_url(url.data(), url.size(), 0, &u) != 0) {
    *error = "malformed URL \"" + url + "\"";
    return false;
  }
  auto field = [&](int f) -> std::string {
    if (!(u.field_set & (1 << f))) return {};
    return url.substr(u.field_data[f].off, u.field_data[f].len);
  };
  if (lower(field(UF_SCHEMA)) != "http") {
    *error = "unsupported URL scheme in \"" + url + "\" (only http:// is supported)";
    return false;
  }
  if (u.field_set & (1 << UF_USERINFO)) {
    *error = "user info in URLs is not supported";
    return false;
  }
  const std::string host = field(UF_HOST);
  in_addr addr{};
  if (lower(host) == "localhost") {
    out->host = "127.0.0.1";
  } else if (uv_inet_pton(AF_INET, host.c_str(), &addr) == 0) {
    out->host = host;
  } else {
    *error = "host \"" + host +
             "\" is not a numeric IPv4 address or localhost (no DNS on the loop: resolve it in "
             "the config)";
    return false;
  }
  out->port = (u.field_set & (1 << UF_PORT)) ? u.port : 80;
  if (out->port == 0) {
    *error = "port 0 in URL";
    return false;
  }
  out->hostHeader = (u.field_set & (1 << UF_PORT)) ? host + ":" + std::to_string(out->port) : host;
  out->target = field(UF_PATH);
  if (out->target.empty()) out->target = "/";
  if (u.field_set & (1 << UF_QUERY)) out->target += "?" + field(UF_QUERY);
  return true;
}

}  // namespace http
