// The rooms part of the HTTP API (R2, R4, R11, R15, R17, R19), JSON under
// /api/v1 as docs/room-protocol.md lists it: rooms, their info and status,
// messages as the system or a user, broadcast, members, counters. Writes need an
// admin UserSig in the query (identifier=...&usersig=..., as the seed IM's REST
// calls). Registered by main(); loop thread.
#pragma once

#include "protocols/http/http_server.hpp"
#include "protocols/room/room_server.hpp"

namespace room {

void registerRoomsApi(http::HttpServer& http, RoomServer& server);

// The admin check of the API's writes (identifier + usersig of an admin account in
// the query): nullopt when it passes, else the error response (401/403/400).
std::optional<http::HttpResponse> requireAdmin(const http::HttpRequest& req, RoomServer& server);

}  // namespace room
