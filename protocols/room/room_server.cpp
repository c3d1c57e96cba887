#include "protocols/room/room_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "protocols/room/room_session.hpp"
#include "protocols/room/ws_text_channel.hpp"

namespace room {

RoomServer::RoomServer(core::EventLoop& loop, http::HttpServer& http, RoomRegistry& rooms,
                       MessagePath& messages, RoomServerOptions options)
    : loop_(loop),
      rooms_(rooms),
      messages_(messages),
      options_(std::move(options)),
      sessions_(loop) {
  http.route([path = options_.path](const http::HttpRequest& req) { return req.path == path; },
             [this](const http::HttpRequest& req, http::HttpExchange& exchange) {
               auto link = std::make_unique<WsTextChannel>(req.peer);
               auto session = std::make_unique<RoomSession>(*this, *link);
               link->setHandler(session.get());
               http::HttpResponse error;
               auto ws = http::WebSocket::accept(req, exchange, options_.ws, link.get(), &error);
               if (!ws) {
                 spdlog::info("room ws {}: upgrade refused: {} {}", req.peer, error.status,
                              error.body);
                 return error;
               }
               spdlog::info("room ws {}: connected", req.peer);
               link->attach(std::move(ws));
               session->adopt(std::move(link));
               sessions_.add(std::move(session));
               return http::HttpResponse{};  // ignored: the socket was taken over
             });
}

RoomServer::~RoomServer() {
  closeAll();
}

void RoomServer::closeAll() {
  sessions_.closeAll("server shutting down");
}

std::unique_ptr<core::TextChannelHandler> RoomServer::openChannel(
    core::TextChannel& channel, const core::TextChannelOpen& open) {
  auto session = std::make_unique<RoomSession>(
      *this, channel, RoomSessionBinding{open.streamKey, open.mediaCarriesEvents});
  spdlog::info("room dc {}: opened on {}", channel.peer(), open.streamKey);
  if (!open.user.empty() || !open.usersig.empty()) session->loginWith(open.user, open.usersig);
  return session;
}

std::string RoomServer::clientIp(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  if (colon == std::string::npos) return peer;
  // "[::1]:5678" (an IPv6 peer) -> "::1"
  if (peer.front() == '[' && colon > 1 && peer[colon - 1] == ']') return peer.substr(1, colon - 2);
  return peer.substr(0, colon);
}

bool RoomServer::isAdmin(const std::string& user) const {
  return user == "administrator" ||
         std::find(options_.admins.begin(), options_.admins.end(), user) != options_.admins.end();
}

core::UserSigCheck RoomServer::verify(const std::string& user, const std::string& usersig) const {
  if (options_.key.empty())
    return {70009, "room.key is not set on this server: no UserSig can be checked"};
  return core::verifyUserSig(usersig, user, options_.appId, options_.key, std::time(nullptr));
}

}  // namespace room
