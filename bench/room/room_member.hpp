// RoomMember: one simulated chat client of roomcast-room-load: TCP connect, WebSocket
// upgrade, login (guest or UserSig), join, then it times every `message` event it
// receives; a sender also sends text messages stamped with the send time.
// Owned by RoomLoadRunner; loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/room/latency_histogram.hpp"
#include "bench/room/room_load_options.hpp"
#include "bench/room/ws_frame.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/tcp_connection.hpp"

namespace bench {

// Monotonic clock in microseconds (uv_hrtime). Sender and receivers are in one
// process, so the latency is a difference of two readings of the same clock.
uint64_t clockUs();

// Counters every member adds to; owned by RoomLoadRunner.
struct RoomLoadStats {
  bool measuring = false;    // inside the measured window
  LatencyHistogram latency;  // send -> receive of every delivery in the window
  LatencyHistogram loopLag;  // client loop: lateness of the 2 ms pacing tick, in the window
  uint64_t deliveries = 0;   // `message` events received in the window
  uint64_t deliveriesTotal = 0;
  uint64_t otherEvents = 0;  // replies, online, enter/leave, ...
  uint64_t sent = 0, sentInWindow = 0;
  uint64_t acked = 0, ackErrors = 0;        // replies to `send`: code 0 / any other code
  uint64_t malformedMessages = 0;           // a frame with the marker but no number after it
  int joined = 0, failed = 0, dropped = 0;  // failed: never joined; dropped: after joining
  std::vector<double> joinMs;               // connect start -> join reply, per member
  std::map<std::string, int> errors;        // reason -> occurrences
};

class RoomMember : public core::TcpConnection::Handler, public WsFrameDecoder::Sink {
 public:
  enum class State { Idle, Connecting, Upgrading, LoggingIn, Joining, Joined, Ended };

  // `loginJson`: the whole login request; `room`: the room id to join.
  RoomMember(core::EventLoop& loop, const RoomLoadOptions& options, RoomLoadStats& stats,
             std::string room, std::string loginJson, uint64_t seed);
  ~RoomMember() override;
  RoomMember(const RoomMember&) = delete;
  RoomMember& operator=(const RoomMember&) = delete;

  void start();  // begins the TCP connect
  void stop();   // end of the run: closes without counting as a drop
  // Sends one text message carrying the current clock; false if not joined.
  bool sendText();
  State state() const { return state_; }

  void onData(std::span<const uint8_t> bytes) override;
  void onDisconnect(std::string_view reason) override;
  bool onWsMessage(WsOpcode opcode, std::span<const uint8_t> payload) override;

 private:
  void onConnected();
  void onHandshakeBytes(std::span<const uint8_t> bytes);
  void onText(std::span<const uint8_t> payload);
  void onReply(std::string_view cmd, int code, std::string_view info);
  void sendFrame(WsOpcode opcode, std::span<const uint8_t> payload);
  void sendJson(std::string_view json) {
    sendFrame(WsOpcode::Text, {reinterpret_cast<const uint8_t*>(json.data()), json.size()});
  }
  void fail(std::string reason);

  core::EventLoop& loop_;
  const RoomLoadOptions& options_;
  RoomLoadStats& stats_;
  std::string room_;
  std::string loginJson_;
  std::string key_;        // Sec-WebSocket-Key
  std::string handshake_;  // response head bytes so far
  std::unique_ptr<core::TcpConnection> conn_;
  WsFrameDecoder decoder_;
  State state_ = State::Idle;
  double connectStartMs_ = 0;
  uint32_t maskState_;
  int64_t nextId_ = 1;
  bool stopped_ = false;
};

}  // namespace bench
