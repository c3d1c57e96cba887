// RtmpSession: one RTMP connection, publisher or player (M1, M2). Owned by the
// RtmpServer; loop thread. Runs the handshake, the chunk stream in both
// directions and the NetConnection/NetStream commands; a publisher feeds its
// Stream through a PublishLease, a player is a MediaSink writing the shared,
// pre-chunked bytes of every packet through a MediaSender.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/auth/url_signer.hpp"
#include "core/format/amf0.hpp"
#include "core/log/log_limiter.hpp"
#include "core/loop/tcp_connection.hpp"
#include "core/loop/timer.hpp"
#include "core/loop/write_coalescer.hpp"
#include "core/media/invalid_input_guard.hpp"
#include "core/media/media_sender.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/rtmp/chunk_reader.hpp"
#include "protocols/rtmp/handshake.hpp"
#include "protocols/rtmp/timestamp_extender.hpp"

namespace rtmp {

struct RtmpOptions {
  uint32_t chunkSize = 4096;
  uint32_t maxMessageSize = 8 * 1024 * 1024;
  // Bytes all connections together may hold in incomplete messages (rtmp.max_partial_bytes).
  size_t maxPartialBytes = 128 * 1024 * 1024;
  uint32_t windowAckSize = 2500000;
  int64_t handshakeTimeoutMs = 10000;
  int64_t idleTimeoutMs = 30000;
  core::SendQueue::Limits viewerLimits;
  const core::UrlSigner* signer = nullptr;  // null: no signed URLs required
  bool protectPublish = true;
  bool protectPlay = true;
  bool roomEvents = true;  // players get the room's events (onTextData data messages)
};

class RtmpServer;

class RtmpSession : public core::TcpConnection::Handler, public core::MediaSink {
 public:
  RtmpSession(RtmpServer& server, std::unique_ptr<core::TcpConnection> conn,
              core::StreamRegistry& registry, core::WriteCoalescer& coalescer,
              const RtmpOptions& options);
  ~RtmpSession() override;

  void start();
  // Ends the session now; logs peer, stream and reason; the server deletes it later.
  void close(std::string_view reason);
  const std::string& peer() const { return conn_->peer(); }
  bool playing() const { return subscription_ != nullptr; }

  // TcpConnection::Handler
  void onData(std::span<const uint8_t> bytes) override;
  void onDisconnect(std::string_view reason) override { close(reason); }
  void onDrained() override;

  // MediaSink (player role)
  void onStreamStart(const core::Stream& stream) override;
  void onPacket(const core::MediaPacket& packet) override;
  bool takesLeadingData() const override { return true; }
  bool takesBatches() const override { return true; }
  void onBatch(const core::PacketBatch& batch, size_t from) override;
  void onPublisherGone(std::string_view reason) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  void onHandshakeData(std::span<const uint8_t> bytes);
  void onChunkData(std::span<const uint8_t> bytes);
  void handleMessage(const RtmpMessage& m);
  void handleControl(const RtmpMessage& m);
  void handleCommand(const RtmpMessage& m, std::span<const uint8_t> amf);
  void handleData(const RtmpMessage& m, std::span<const uint8_t> amf);
  void handleMedia(const RtmpMessage& m);
  void handleAggregate(const RtmpMessage& m);
  // Counts a publisher's message as usable or not; closes a session whose input is
  // mostly invalid. `what` says what was wrong with an invalid one.
  void recordInput(bool valid, std::string_view what = {});

  void onConnect(double txn, const core::Amf0Value* cmdObj);
  void onPublish(double txn, const std::vector<core::Amf0Value>& args);
  void onPlay(double txn, const std::vector<core::Amf0Value>& args);
  void stopPublishing(std::string_view reason);
  void stopPlaying();
  bool authorize(const char* action, const std::string& name, const std::string& query);
  // Publish or play was granted: lift the limits on unauthenticated peers.
  void markAuthenticated();

  void send(core::SharedBuffer bytes);
  void sendStatus(std::string_view level, std::string_view code, std::string_view description);
  // Sends what is queued, then closes (for refusals the client should read).
  void closeAfterFlush(std::string reason);
  void touch();
  std::string describeStream() const;

  // passed in
  RtmpServer& server_;
  core::StreamRegistry& registry_;
  core::WriteCoalescer& coalescer_;
  const RtmpOptions& options_;
  // owned
  std::unique_ptr<core::TcpConnection> conn_;
  ServerHandshake handshake_;
  ChunkReader reader_;
  core::Timer idleTimer_;
  core::Timer stopPingTimer_;  // one PingRequest after a player's deleteStream
  std::unique_ptr<core::PublishLease> lease_;
  TimestampExtender timestamps_;  // the publisher's 32-bit timestamps, made 64-bit
  std::unique_ptr<core::Subscription> subscription_;
  std::unique_ptr<core::MediaSender> sender_;
  core::LogLimiter inputLog_;  // lines about what the peer sends
  core::InvalidInputGuard inputGuard_;
  // other state
  std::string app_, tcUrl_, appQuery_, streamName_;
  uint32_t peerWindowAck_ = 0;
  uint64_t lastAckSent_ = 0;
  bool handshakeDone_ = false;
  bool connected_ = false;
  bool authenticated_ = false;  // a publish or play was granted
  bool closing_ = false;
  bool closed_ = false;
  bool wantAudio_ = true, wantVideo_ = true;
  std::string pendingCloseReason_;
  const char* role_ = "client";  // "publisher" / "player" once either started
  uint64_t packetsIn_ = 0;
};

}  // namespace rtmp
