#include "protocols/rtmp/rtmp_relay.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "core/loop/event_loop.hpp"
#include "core/loop/socket_address.hpp"
#include "core/loop/wall_clock.hpp"

namespace rtmp {

const char* relayStateName(RtmpRelay::State state) {
  switch (state) {
    case RtmpRelay::State::WaitingForSource:
      return "waiting_for_source";
    case RtmpRelay::State::Connecting:
      return "connecting";
    case RtmpRelay::State::Publishing:
      return "publishing";
    case RtmpRelay::State::Backoff:
      return "backoff";
    case RtmpRelay::State::Stopped:
      break;
  }
  return "stopped";
}

struct RtmpRelay::Resolve {
  uv_getaddrinfo_t req;
  RtmpRelay* relay;  // null once the relay stopped waiting for it
};

RtmpRelay::RtmpRelay(core::EventLoop& loop, core::StreamRegistry& registry,
                     core::WriteCoalescer& coalescer, const RelayOptions& options, std::string id,
                     std::string app, std::string name, RelayUrl url)
    : loop_(loop),
      registry_(registry),
      coalescer_(coalescer),
      options_(options),
      id_(std::move(id)),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(core::StreamRegistry::makeKey(app_, name_)),
      url_(std::move(url)),
      label_("relay " + id_ + " " + key_ + " -> " + url_.redacted()),
      retryTimer_(loop, [this] { connectNow(); }),
      connectTimer_(loop,
                    [this] {
                      const char* stage = !conn_ || !client_ ? "TCP/TLS connect"
                                          : client_->state() == PublishClient::State::Handshake
                                              ? "RTMP handshake"
                                              : "connect/publish commands";
                      fail("no NetStream.Publish.Start within " +
                           std::to_string(options_.connectTimeoutMs) + " ms (stuck in " + stage +
                           ")");
                    }),
      backoff_(options.backoff),
      sinceMs_(static_cast<uint64_t>(core::wallClockMs())) {}

RtmpRelay::~RtmpRelay() {
  *alive_ = false;
  if (resolve_) resolve_->relay = nullptr;
  subscription_.reset();
}

void RtmpRelay::setState(State s) {
  if (s == state_) return;
  state_ = s;
  sinceMs_ = static_cast<uint64_t>(core::wallClockMs());
}

bool RtmpRelay::sourceLive() const {
  const core::Stream* s = registry_.find(key_);
  return s && s->hasPublisher();
}

void RtmpRelay::start() {
  if (sourceLive()) {
    connectNow();
  } else {
    setState(State::WaitingForSource);
    spdlog::info("{}: waiting for the source", label_);
  }
}

void RtmpRelay::sourcePublished() {
  if (state_ != State::WaitingForSource) return;
  backoff_.reset();
  spdlog::info("{}: the source is live, connecting", label_);
  connectNow();
}

void RtmpRelay::stop() {
  teardown(true);
  retryTimer_.stop();
  setState(State::Stopped);
}

void RtmpRelay::connectNow() {
  retryTimer_.stop();
  if (state_ == State::Stopped) return;
  if (!sourceLive()) {
    setState(State::WaitingForSource);
    return;
  }
  ++attempts_;
  setState(State::Connecting);
  connectTimer_.start(static_cast<uint64_t>(options_.connectTimeoutMs));
  if (core::socketAddress(url_.host, url_.port)) {
    onResolved(0, url_.host);
    return;
  }
  // NOTE: the name lookup runs on libuv's thread pool; the loop never blocks on it.
  resolve_ = new Resolve{{}, this};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const int rc = uv_getaddrinfo(
      loop_.uv(), &resolve_->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept {
        auto* r = reinterpret_cast<Resolve*>(req);
        char ip[64] = "";
        if (status == 0 && res) {
          if (res->ai_family == AF_INET)
            uv_ip4_name(reinterpret_cast<sockaddr_in*>(res->ai_addr), ip, sizeof ip);
          else
            uv_ip6_name(reinterpret_cast<sockaddr_in6*>(res->ai_addr), ip, sizeof ip);
        }
        uv_freeaddrinfo(res);
        if (RtmpRelay* relay = r->relay) {
          relay->resolve_ = nullptr;
          try {
            relay->onResolved(status, ip);
          } catch (const std::exception& e) {
            spdlog::error("{}: {}", relay->label_, e.what());
          }
        }
        delete r;
      },
      url_.host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete resolve_;
    resolve_ = nullptr;
    fail(std::string("cannot look up ") + url_.host + ": " + uv_strerror(rc));
  }
}

void RtmpRelay::onResolved(int status, const std::string& ip) {
  if (state_ != State::Connecting) return;
  if (status != 0 || ip.empty()) {
    fail("cannot look up " + url_.host + ": " + (status ? uv_strerror(status) : "no address"));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  conn_.reset(core::TcpConnection::connect(loop_, ip, url_.port,
                                           [this, alive](core::TcpConnection* c, int st) {
                                             if (alive.expired() || c != conn_.get()) return;
                                             onConnected(c, st);
                                           }));
  if (!conn_) fail("cannot connect to " + core::hostPort(ip, url_.port));
}

void RtmpRelay::onConnected(core::TcpConnection* conn, int status) {
  if (status != 0) {
    fail("connect to " + core::hostPort(url_.host, url_.port) + ": " + uv_strerror(status));
    return;
  }
  conn->setHandler(this);
  conn->setNoDelay(true);
  if (options_.sendBufferBytes > 0) conn->setSendBuffer(options_.sendBufferBytes);
  conn->startReading();
  if (!url_.tls) {
    client_ = std::make_unique<PublishClient>(
        PublishTarget{url_.app, url_.tcUrl(), url_.publishName(), options_.chunkSize});
    sendRaw(client_->start());
    return;
  }
  if (!options_.tls) {
    fail("rtmps:// is not available (no TLS context)");
    return;
  }
  tls_ = std::make_unique<TlsClient>(*options_.tls, url_.host);
  std::string error;
  if (!tls_->start(error)) return fail(error);
  auto hello = tls_->takeCipher();
  conn_->write(core::SharedBuffer::adopt(std::move(hello)));
}

void RtmpRelay::onData(std::span<const uint8_t> bytes) {
  if (!conn_) return;
  if (!tls_) return onPlain(bytes);
  std::vector<uint8_t> plain;
  std::string error;
  const bool ok = tls_->feed(bytes, plain, error);
  if (auto out = tls_->takeCipher(); !out.empty() && conn_)
    conn_->write(core::SharedBuffer::adopt(std::move(out)));
  if (!ok) return fail(error);
  if (tls_->handshakeDone() && !client_) {
    client_ = std::make_unique<PublishClient>(
        PublishTarget{url_.app, url_.tcUrl(), url_.publishName(), options_.chunkSize});
    sendRaw(client_->start());
  }
  if (!plain.empty() && conn_) onPlain(plain);
}

void RtmpRelay::onPlain(std::span<const uint8_t> bytes) {
  if (!client_) return;
  const auto result = client_->feed(bytes);
  if (auto out = client_->takeOutput(); !out.empty()) sendRaw(std::move(out));
  if (result.status == PublishClient::Status::Error) return fail(result.reason);
  if (result.status == PublishClient::Status::Published) onPublished();
}

void RtmpRelay::onPublished() {
  connectTimer_.stop();
  ++connections_;
  backoff_.published(static_cast<int64_t>(loop_.nowMs()));
  started_ = sawVideoConfig_ = false;
  baseDts_ = 0;
  lastTimestamp_ = 0;
  sender_ = std::make_unique<core::MediaSender>(
      *this, coalescer_, options_.limits,
      [this](const core::MediaPacket&) -> const core::SharedBuffer& { return empty_; },
      [this](const std::string& reason) { fail("the target reads too slowly: " + reason); });
  sender_->onBytesSent = [this](uint64_t n) {
    if (subscription_) subscription_->countBytesOut(n);
  };
  setState(State::Publishing);
  spdlog::info("{}: publishing (connection {}, attempt {})", label_, connections_, attempts_);
  sender_->beginBurst();
  subscription_ = registry_.subscribe(app_, name_, *this, "relay");
  if (!subscription_) {
    teardown(true);
    setState(State::WaitingForSource);
    spdlog::info("{}: the source left while connecting; waiting for it", label_);
    return;
  }
  if (sender_) sender_->endBurst();
}

void RtmpRelay::onPacket(const core::MediaPacket& packet) {
  if (!sender_ || !client_) return;
  if (packet.codec == core::Codec::RoomEvent) return;
  if (packet.isVideo() && packet.config) sawVideoConfig_ = true;
  if (!packet.config && packet.isAudio() != packet.isVideo()) {
    // NOTE: a target's clock starts at a keyframe (the GOP cache starts with one;
    // without it, the live stream is joined at its next keyframe).
    if (!started_ && sawVideoConfig_ && !(packet.isVideo() && packet.keyframe)) return;
    if (!started_) {
      started_ = true;
      baseDts_ = packet.dts;
    }
  }
  // Headers before the first media go at 0; then the stream's clock from the first
  // media packet, never going back (the target sees one continuous publish).
  const int64_t ts = started_ ? std::max<int64_t>(packet.dts - baseDts_, lastTimestamp_) : 0;
  lastTimestamp_ = ts;
  // NOTE: this relay's own bytes (its clock and stream id): the viewers' shared RTMP
  // form cannot serve it.
  std::vector<uint8_t> bytes;
  bytes.reserve(packet.payload.size() + 64);
  client_->appendMedia(bytes, packet, static_cast<uint32_t>(ts));
  if (bytes.empty()) return;
  sender_->send(packet, core::SharedBuffer::adopt(std::move(bytes)), 0);
}

void RtmpRelay::onStreamEnd(std::string_view reason) {
  if (state_ == State::Stopped) return;
  spdlog::info("{}: the source ended ({}); waiting for it", label_, reason);
  teardown(true);
  backoff_.reset();
  setState(State::WaitingForSource);
}

core::ByteSink::Write RtmpRelay::write(std::span<const core::SharedBuffer> buffers) {
  if (!conn_ || conn_->closed()) return Write::Closed;
  if (!tls_) return conn_->write(buffers);
  std::string error;
  for (const auto& b : buffers) {
    if (!tls_->write(b.span(), error)) {
      // NOTE: inside the sender's flush: the teardown happens after it returns.
      loop_.post([this, alive = std::weak_ptr<bool>(alive_), error] {
        if (!alive.expired()) fail(error);
      });
      return Write::Closed;
    }
  }
  return conn_->write(core::SharedBuffer::adopt(tls_->takeCipher()));
}

void RtmpRelay::sendRaw(std::vector<uint8_t> bytes) {
  if (bytes.empty()) return;
  auto buffer = core::SharedBuffer::adopt(std::move(bytes));
  if (sender_) {
    sender_->sendControl(std::move(buffer));
    return;
  }
  write(std::span(&buffer, 1));
}

void RtmpRelay::onDrained() {
  if (sender_) sender_->onDrained();
}

void RtmpRelay::onDisconnect(std::string_view reason) {
  fail(state_ == State::Publishing
           ? "the target closed the connection while publishing (" + std::string(reason) + ")"
           : "the target closed the connection (" + std::string(reason) + ")");
}

void RtmpRelay::fail(std::string reason) {
  if (state_ == State::Stopped || state_ == State::WaitingForSource || state_ == State::Backoff)
    return;  // a late report of a connection already given up
  lastError_ = reason;
  lastErrorAtMs_ = static_cast<uint64_t>(core::wallClockMs());
  teardown(false);
  if (!sourceLive()) {
    spdlog::warn("{}: {}; waiting for the source", label_, reason);
    setState(State::WaitingForSource);
    return;
  }
  const int64_t delay = backoff_.failed(static_cast<int64_t>(loop_.nowMs()));
  spdlog::warn("{}: {}; retrying in {} ms", label_, reason, delay);
  setState(State::Backoff);
  retryTimer_.start(static_cast<uint64_t>(delay));
}

void RtmpRelay::teardown(bool polite) {
  connectTimer_.stop();
  if (resolve_) {
    resolve_->relay = nullptr;
    resolve_ = nullptr;
  }
  if (sender_) {
    if (polite && client_ && client_->state() == PublishClient::State::Publishing)
      sender_->sendControl(core::SharedBuffer::adopt(client_->unpublish()));
    bytesSent_ += sender_->bytesSent();
    droppedPackets_ += sender_->droppedPackets();
  }
  // NOTE: this may run inside the Stream's delivery or the sender's flush: what
  // they are using is deleted at the end of the loop turn, not here.
  loop_.deferDelete(std::move(subscription_));
  loop_.deferDelete(std::move(sender_));
  loop_.deferDelete(std::move(client_));
  loop_.deferDelete(std::move(tls_));
  if (conn_) {
    conn_->setHandler(nullptr);
    conn_->close();
    loop_.deferDelete(std::move(conn_));
  }
}

nlohmann::json RtmpRelay::toJson() const {
  nlohmann::json j = {
      {"id", id_},
      {"stream", key_},
      {"url", url_.redacted()},
      {"state", relayStateName(state_)},
      {"since_ms", sinceMs_},
      {"attempts", attempts_},
      {"connections", connections_},
      {"bytes_sent", bytesSent_ + (sender_ ? sender_->bytesSent() : 0)},
      {"dropped_packets", droppedPackets_ + (sender_ ? sender_->droppedPackets() : 0)},
      {"last_error", lastError_.empty() ? nlohmann::json() : nlohmann::json(lastError_)}};
  if (lastErrorAtMs_) j["last_error_at_ms"] = lastErrorAtMs_;
  if (state_ == State::Backoff) j["failures"] = backoff_.failures();
  return j;
}

}  // namespace rtmp
