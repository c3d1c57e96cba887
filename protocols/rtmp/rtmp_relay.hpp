// RtmpRelay: one relay out ("restream"): a publishing client pushing the Stream to an
// rtmp(s):// URL, a MediaSink writing through a MediaSender (the slow-viewer policy),
// reconnecting with backoff. Owned by the RelaySet; loop thread.
#pragma once

#include <uv.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/loop/byte_sink.hpp"
#include "core/loop/tcp_connection.hpp"
#include "core/loop/timer.hpp"
#include "core/loop/write_coalescer.hpp"
#include "core/media/media_sender.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/rtmp/publish_client.hpp"
#include "protocols/rtmp/relay_backoff.hpp"
#include "protocols/rtmp/relay_url.hpp"
#include "protocols/rtmp/tls_client.hpp"

namespace rtmp {

struct RelayOptions {
  int64_t connectTimeoutMs = 10000;  // connect + TLS + RTMP up to Publish.Start
  RelayBackoff::Schedule backoff = RelayBackoff::kDefaultSchedule;
  core::SendQueue::Limits limits;  // the slow-viewer policy, as for a player
  uint32_t chunkSize = 4096;
  // SO_SNDBUF of the relay's socket; 0: the kernel's own (autotuned, up to a few MB
  // that a stalled target fills before the send queue's limits see any lag).
  int sendBufferBytes = 0;
  const TlsClientContext* tls = nullptr;  // for rtmps:// targets
};

class RtmpRelay final : public core::TcpConnection::Handler,
                        public core::MediaSink,
                        public core::ByteSink {
 public:
  enum class State { WaitingForSource, Connecting, Publishing, Backoff, Stopped };

  RtmpRelay(core::EventLoop& loop, core::StreamRegistry& registry, core::WriteCoalescer& coalescer,
            const RelayOptions& options, std::string id, std::string app, std::string name,
            RelayUrl url);
  ~RtmpRelay() override;

  // Connects now if the source is live, else waits for it.
  void start();
  // The source (re)started publishing (a StreamObserver's news).
  void sourcePublished();
  // Ends the relay (politely to the target when publishing); no reconnect.
  void stop();

  const std::string& id() const { return id_; }
  const std::string& streamKey() const { return key_; }
  const RelayUrl& url() const { return url_; }
  State state() const { return state_; }
  nlohmann::json toJson() const;

  // TcpConnection::Handler
  void onData(std::span<const uint8_t> bytes) override;
  void onDisconnect(std::string_view reason) override;
  void onDrained() override;
  // MediaSink
  void onPacket(const core::MediaPacket& packet) override;
  void onStreamEnd(std::string_view reason) override;
  // ByteSink (for the MediaSender: RTMP bytes, encrypted here for rtmps)
  Write write(std::span<const core::SharedBuffer> buffers) override;
  size_t queuedBytes() const override { return conn_ ? conn_->queuedBytes() : 0; }
  const std::string& peer() const override { return label_; }

 private:
  struct Resolve;
  void connectNow();
  void onResolved(int status, const std::string& ip);
  void onConnected(core::TcpConnection* conn, int status);
  void onPlain(std::span<const uint8_t> bytes);
  void onPublished();
  // Sends protocol bytes: behind the queued media once publishing, else at once.
  void sendRaw(std::vector<uint8_t> bytes);
  // Closes the connection; the next state: backoff (with `reason` as the error)
  // or waiting for the source.
  void fail(std::string reason);
  void teardown(bool polite);
  void setState(State s);
  bool sourceLive() const;

  // passed in
  core::EventLoop& loop_;
  core::StreamRegistry& registry_;
  core::WriteCoalescer& coalescer_;
  const RelayOptions& options_;
  // owned
  std::string id_, app_, name_, key_;
  RelayUrl url_;
  std::string label_;  // "relay 3 live/x -> rtmp://h/app/name" for logs
  core::Timer retryTimer_;
  core::Timer connectTimer_;
  RelayBackoff backoff_;
  Resolve* resolve_ = nullptr;  // pending name lookup (freed by its callback)
  std::unique_ptr<core::TcpConnection> conn_;
  std::unique_ptr<TlsClient> tls_;
  std::unique_ptr<PublishClient> client_;
  std::unique_ptr<core::MediaSender> sender_;
  std::unique_ptr<core::Subscription> subscription_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for connect callbacks
  // state
  State state_ = State::WaitingForSource;
  uint64_t sinceMs_ = 0;
  uint64_t attempts_ = 0;
  uint64_t connections_ = 0;  // publishes the target accepted
  std::string lastError_;
  uint64_t lastErrorAtMs_ = 0;
  uint64_t bytesSent_ = 0;  // of connections closed before the current one
  uint64_t droppedPackets_ = 0;
  // The current connection's clock: the first packet forwarded is at 0.
  bool started_ = false;  // the first packet (headers, or a keyframe) went out
  bool sawVideoConfig_ = false;
  int64_t baseDts_ = 0;
  int64_t lastTimestamp_ = 0;  // sent modulo 2^32, as RTMP's 32-bit clock wraps
  core::SharedBuffer empty_;   // the sender's serializer is never used (see onPacket)
};

const char* relayStateName(RtmpRelay::State state);

}  // namespace rtmp
