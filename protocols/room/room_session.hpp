// RoomSession: one chat client on a text channel (a WebSocket, or the "room" data
// channel of a WHEP/WHIP session bound to its stream's room), speaking the JSON
// protocol of docs/room-protocol.md (login, profile, join, leave, send, history,
// members, heartbeat), and a Member of the rooms it joined: room events are written
// as the channel's shared wire form built once per event. Owned by the RoomServer
// (WebSocket) or by the channel's transport (data channel); loop thread.
#pragma once

#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/log/log_limiter.hpp"
#include "core/loop/text_channel.hpp"
#include "room/member.hpp"
#include "room/room.hpp"
#include "room/send_request.hpp"

namespace room {

class RoomServer;

// A session on the data channel of one stream's session: bound to the stream's
// room, which it joins on login; `mediaCarriesEvents` (a WHEP viewer): the room's
// events that ride in the media (the sidechannel's kinds) are not sent again.
struct RoomSessionBinding {
  std::string room;
  bool mediaCarriesEvents = false;
};

class RoomSession : public Member, public core::TextChannelHandler {
 public:
  // `link` carries the protocol (not owned: the transport's, or adopt()ed).
  RoomSession(RoomServer& server, core::TextChannel& link,
              std::optional<RoomSessionBinding> binding = std::nullopt);
  ~RoomSession() override;

  // Takes ownership of the session's own link (the WebSocket's adapter).
  void adopt(std::unique_ptr<core::TextChannel> link) { ownedLink_ = std::move(link); }
  void close(std::string_view reason);
  // Logs in with credentials the transport's request carried (a data channel's
  // WHEP/WHIP URL), exactly as a "login" request: its reply goes on the channel.
  void loginWith(const std::string& user, const std::string& usersig);

  // Member
  const Sender& identity() const override { return who_; }
  ClientInfo client() const override { return {platform_, clientIp()}; }
  void deliver(const RoomEventPtr& event) override;
  void removedFrom(const std::string& roomId, const RoomEventPtr& event) override;

  // core::TextChannelHandler
  void onMessage(std::string_view payload, bool text) override;
  void onClose(std::string_view reason) override;

 private:
  using json = nlohmann::json;

  bool admitRequest();
  void handle(const json& request);
  // A data channel's session: the event rides in the media it also gets.
  bool carriedByMedia(const RoomEvent& event) const;
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
  // A data channel's requests that waited for a join's verdict, in order.
  void releaseHeld();
  void finishJoin(const json& req, const std::string& id);
  std::string clientIp() const;

  RoomServer& server_;
  core::TextChannel& link_;
  std::unique_ptr<core::TextChannel> ownedLink_;
  std::optional<RoomSessionBinding> binding_;
  const char* kind_;  // "room ws" or "room dc": log lines
  std::string peer_;
  Sender who_;
  std::string platform_ = "Web";  // the login's "platform" (the IM's OptPlatform)
  bool loggedIn_ = false;
  bool closed_ = false;
  std::vector<std::string> rooms_;  // joined, oldest first
  bool joinPending_ = false;        // a join waits for the backend's before-join hook
  std::deque<json> held_;           // a data channel's requests meanwhile
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
