#include "bench/room/room_member.hpp"

#include <uv.h>

#include <nlohmann/json.hpp>

#include "bench/room/ws_handshake.hpp"
#include "core/buffer/shared_buffer.hpp"

namespace bench {
namespace {

constexpr size_t kMaxMessage = 1 << 20;
// NOTE: the marker the senders put in the body ({"text":"t=<us>"}). A member finds
// it with one search instead of parsing the JSON of every delivery, which keeps the
// client's CPU per delivery far below the server's.
constexpr std::string_view kMarker = "\"t=";

double nowMs() {
  return static_cast<double>(uv_hrtime()) / 1e6;
}

int intField(const nlohmann::json& j, const char* name, int fallback) {
  auto it = j.find(name);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

std::string stringField(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

uint64_t clockUs() {
  return uv_hrtime() / 1000;
}

RoomMember::RoomMember(core::EventLoop& loop, const RoomLoadOptions& options, RoomLoadStats& stats,
                       std::string room, std::string loginJson, uint64_t seed)
    : loop_(loop),
      options_(options),
      stats_(stats),
      room_(std::move(room)),
      loginJson_(std::move(loginJson)),
      key_(makeWsKey(seed)),
      decoder_(kMaxMessage),
      maskState_(static_cast<uint32_t>(seed * 2654435761u) | 1u) {}

RoomMember::~RoomMember() {
  if (conn_) conn_->close();
}

void RoomMember::start() {
  state_ = State::Connecting;
  connectStartMs_ = nowMs();
  auto* conn = core::TcpConnection::connect(
      loop_, options_.host, options_.port, [this](core::TcpConnection* c, int status) {
        if (stopped_ || c != conn_.get()) return;
        if (status != 0) {
          fail(std::string("connect: ") + uv_strerror(status));
          return;
        }
        c->setHandler(this);
        c->setNoDelay(true);
        c->startReading();
        onConnected();
      });
  if (!conn) {
    fail("connect: bad address " + options_.host);
    return;
  }
  conn_.reset(conn);
}

void RoomMember::stop() {
  stopped_ = true;
  if (conn_) conn_->close();
}

void RoomMember::onConnected() {
  state_ = State::Upgrading;
  const std::string host = options_.host + ":" + std::to_string(options_.port);
  conn_->write(core::SharedBuffer::copyOf(wsUpgradeRequest(host, options_.path, key_)));
}

void RoomMember::onDisconnect(std::string_view reason) {
  if (stopped_) return;
  fail(std::string(reason));
}

void RoomMember::onData(std::span<const uint8_t> bytes) {
  if (state_ == State::Ended) return;
  if (state_ == State::Upgrading) {
    onHandshakeBytes(bytes);
    return;
  }
  if (!decoder_.feed(bytes, *this) && state_ != State::Ended) fail(decoder_.error());
}

void RoomMember::onHandshakeBytes(std::span<const uint8_t> bytes) {
  handshake_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const auto r = parseWsUpgradeResponse(handshake_, key_);
  if (r.status == WsHandshakeResult::Status::NeedMore) return;
  if (r.status == WsHandshakeResult::Status::Error) {
    fail(r.error);
    return;
  }
  state_ = State::LoggingIn;
  const std::string rest = handshake_.substr(r.headerBytes);
  std::string().swap(handshake_);
  sendJson(loginJson_);
  if (!rest.empty() &&
      !decoder_.feed({reinterpret_cast<const uint8_t*>(rest.data()), rest.size()}, *this) &&
      state_ != State::Ended)
    fail(decoder_.error());
}

bool RoomMember::onWsMessage(WsOpcode opcode, std::span<const uint8_t> payload) {
  switch (opcode) {
    case WsOpcode::Text:
      onText(payload);
      return state_ != State::Ended;
    case WsOpcode::Ping:
      sendFrame(WsOpcode::Pong, payload);
      return true;
    case WsOpcode::Pong:
      return true;
    case WsOpcode::Close: {
      const int code = payload.size() >= 2 ? (payload[0] << 8) | payload[1] : 1005;
      std::string reason(
          reinterpret_cast<const char*>(payload.data()) + std::min<size_t>(2, payload.size()),
          payload.size() - std::min<size_t>(2, payload.size()));
      sendFrame(WsOpcode::Close, payload.first(std::min<size_t>(2, payload.size())));
      fail("server closed: " + std::to_string(code) + (reason.empty() ? "" : " " + reason));
      return false;
    }
    default:
      fail("server sent a binary frame");
      return false;
  }
}

void RoomMember::onText(std::span<const uint8_t> payload) {
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  const size_t at = text.find(kMarker);
  if (at != std::string_view::npos) {
    const uint64_t now = clockUs();
    uint64_t sentUs = 0;
    size_t i = at + kMarker.size();
    const size_t digitsFrom = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      sentUs = sentUs * 10 + (text[i++] - '0');
    if (i == digitsFrom) {
      ++stats_.malformedMessages;
      return;
    }
    ++stats_.deliveriesTotal;
    if (stats_.measuring) {
      ++stats_.deliveries;
      stats_.latency.record(now > sentUs ? now - sentUs : 0);
    }
    return;
  }
  ++stats_.otherEvents;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ++stats_.errors["server sent a frame that is not a JSON object"];
    return;
  }
  const std::string event = stringField(j, "event");
  if (event == "reply") {
    onReply(stringField(j, "cmd"), intField(j, "code", -1), stringField(j, "info"));
  } else if (event == "error") {
    ++stats_.errors["error event " + std::to_string(intField(j, "code", -1)) + ": " +
                    stringField(j, "info").substr(0, 80)];
  }
}

void RoomMember::onReply(std::string_view cmd, int code, std::string_view info) {
  const auto refusal = [&] {
    return std::string(cmd) + " refused: " + std::to_string(code) + " " +
           std::string(info.substr(0, 80));
  };
  if (cmd == "send") {
    if (code == 0) {
      ++stats_.acked;
    } else {
      ++stats_.ackErrors;
      ++stats_.errors[refusal()];
    }
  } else if (cmd == "login" && state_ == State::LoggingIn) {
    if (code != 0) return fail(refusal());
    state_ = State::Joining;
    sendJson(R"({"cmd":"join","id":2,"room":")" + room_ + "\"}");
    nextId_ = 3;
  } else if (cmd == "join" && state_ == State::Joining) {
    if (code != 0) return fail(refusal());
    state_ = State::Joined;
    ++stats_.joined;
    stats_.joinMs.push_back(nowMs() - connectStartMs_);
  }
}

bool RoomMember::sendText() {
  if (state_ != State::Joined || !conn_) return false;
  char json[256];
  const int n = std::snprintf(
      json, sizeof json,
      R"({"cmd":"send","id":%lld,"room":"%s","type":"text","body":{"text":"t=%llu"}})",
      static_cast<long long>(nextId_++), room_.c_str(), static_cast<unsigned long long>(clockUs()));
  if (n <= 0 || static_cast<size_t>(n) >= sizeof json) return false;
  sendJson(std::string_view(json, static_cast<size_t>(n)));
  ++stats_.sent;
  if (stats_.measuring) ++stats_.sentInWindow;
  return true;
}

void RoomMember::sendFrame(WsOpcode opcode, std::span<const uint8_t> payload) {
  if (!conn_ || conn_->closed()) return;
  maskState_ ^= maskState_ << 13, maskState_ ^= maskState_ >> 17, maskState_ ^= maskState_ << 5;
  std::vector<uint8_t> frame;
  frame.reserve(payload.size() + 14);
  appendWsFrame(frame, opcode, payload, true, maskState_);
  conn_->write(core::SharedBuffer::adopt(std::move(frame)));
}

void RoomMember::fail(std::string reason) {
  if (state_ == State::Ended) return;
  if (state_ == State::Joined)
    ++stats_.dropped;
  else
    ++stats_.failed;
  state_ = State::Ended;
  ++stats_.errors[std::move(reason)];
  if (conn_) {
    conn_->close();
    // NOTE: this may run inside the connection's own callback: delete it later.
    loop_.deferDelete(std::move(conn_));
  }
}

}  // namespace bench
