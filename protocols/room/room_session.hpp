// RoomSession: one chat client on a WebSocket, speaking the JSON protocol of
// docs/room-protocol.md (login, profile, join, leave, send, history, members,
// heartbeat), and a Member of the rooms it joined: room events are written as
// the shared frame built once per event. Owned by the RoomServer; loop thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/log/log_limiter.hpp"
#include "protocols/http/websocket.hpp"
#include "room/member.hpp"
#include "room/room.hpp"
#include "room/send_request.hpp"

namespace room {

class RoomServer;

class RoomSession : public Member, public http::WebSocket::Handler {
 public:
  RoomSession(RoomServer& server, std::string peer);
  ~RoomSession() override;

  void attach(std::unique_ptr<http::WebSocket> ws) { ws_ = std::move(ws); }
  void close(std::string_view reason);

  // Member
  const Sender& identity() const override { return who_; }
  ClientInfo client() const override { return {platform_, clientIp()}; }
  void deliver(const RoomEventPtr& event) override;
  void removedFrom(const std::string& roomId, const RoomEventPtr& event) override;

  // http::WebSocket::Handler
  void onMessage(http::WsOpcode op, std::string_view payload) override;
  void onClose(std::string_view reason) override;

 private:
  using json = nlohmann::json;

  bool admitRequest();
  void handle(const json& request);
  void reply(const json& request, int code, std::string info, json fields = json::object());
  void sendError(int code, std::string info);
  void sendJson(const json& value);

  void onLogin(const json& req);
  void onProfile(const json& req);
  void onJoin(const json& req);
  void onLeave(const json& req);
  void onSend(const json& req);
  SendRequest sendRequest(const json& req);
  void onHistory(const json& req);
  void onMembers(const json& req);
  // Sets `code`/`info` when the profile fields are bad.
  bool applyProfile(const json& req, int& code, std::string& info);
  Room* joinedRoom(const json& req, int& code, std::string& info);
  void leaveAll(const char* cause);
  void finishJoin(const json& req, const std::string& id);
  std::string clientIp() const;

  RoomServer& server_;
  std::string peer_;
  std::unique_ptr<http::WebSocket> ws_;
  Sender who_;
  std::string platform_ = "Web";  // the login's "platform" (the IM's OptPlatform)
  bool loggedIn_ = false;
  bool closed_ = false;
  std::vector<std::string> rooms_;  // joined, oldest first
  // The per-connection request budget (a token bucket, bursts of 2 s worth).
  double tokens_;
  int64_t lastRefillMs_ = 0;
  int refusedInARow_ = 0;
  core::LogLimiter log_;  // lines about the client's refused requests
  // NOTE: hook callbacks hold a weak_ptr to this: a session gone before its
  // backend answered gets no reply.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace room
