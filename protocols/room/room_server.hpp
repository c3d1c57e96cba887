// RoomServer: the live room's front door on the HTTP listener: the WebSocket
// endpoint (/ws) whose sessions are room members, the sessions of WebRTC "room"
// data channels (openChannel), the logins (UserSig, admins, guests) and the
// per-connection limits. Owned by main(); owns its WebSocket sessions; loop thread.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/auth/user_sig.hpp"
#include "core/loop/session_set.hpp"
#include "core/loop/text_channel.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/websocket.hpp"
#include "protocols/room/room_session.hpp"
#include "room/message_path.hpp"
#include "room/room_registry.hpp"

namespace room {

struct RoomServerOptions {
  int64_t appId = 0;
  std::string key;                  // "" refuses every UserSig
  std::vector<std::string> admins;  // besides "administrator"
  bool guests = true;
  size_t roomsPerConnection = 1;
  double clientRate = 20;  // requests per second, bursts of twice that
  std::string path = "/ws";
  http::WebSocketOptions ws;
  // The event kinds the sidechannel carries in the media (sidechannel.events): a
  // WHEP viewer's data channel gets those with the picture, not again from the room.
  std::set<std::string> mediaEvents;
};

class RoomServer {
 public:
  RoomServer(core::EventLoop& loop, http::HttpServer& http, RoomRegistry& rooms,
             MessagePath& messages, RoomServerOptions options);
  ~RoomServer();

  bool isAdmin(const std::string& user) const;
  // 0 when `usersig` is a valid UserSig of `user`; else the IM's 700xx code.
  core::UserSigCheck verify(const std::string& user, const std::string& usersig) const;
  std::string nextGuestId() { return "guest-" + std::to_string(++guests_); }

  RoomRegistry& rooms() { return rooms_; }
  // Where every transport sends its messages (not owned).
  MessagePath& messages() { return messages_; }
  core::EventLoop& loop() { return loop_; }
  const RoomServerOptions& options() const { return options_; }
  size_t sessions() const { return sessions_.size(); }
  void closeAll();
  // The session of a WebRTC "room" data channel (core::TextChannelFactory): bound to
  // the room of its stream, logged in at once when the request carried a UserSig.
  // The transport owns it and must destroy it before this server.
  std::unique_ptr<core::TextChannelHandler> openChannel(core::TextChannel& channel,
                                                        const core::TextChannelOpen& open);

  // The client's address of an "address:port" peer.
  static std::string clientIp(const std::string& peer);

 private:
  friend class RoomSession;
  void remove(RoomSession* session) { sessions_.remove(session); }

  core::EventLoop& loop_;
  RoomRegistry& rooms_;
  MessagePath& messages_;
  RoomServerOptions options_;
  uint64_t guests_ = 0;
  core::SessionSet<RoomSession> sessions_;
};

}  // namespace room
