// The seed IM's REST calls for the live room (issue 5 point 9), as
// docs/im-rest-compat.md lists them: POST /v4/group_open_http_svc/<command> and
// /v4/group_open_avchatroom_http_svc/get_members with the IM's query
// authentication, always HTTP 200 with ActionStatus/ErrorCode/ErrorInfo bodies.
// Registered by main(); loop thread.
#pragma once

#include "protocols/http/http_server.hpp"
#include "protocols/room/room_server.hpp"

namespace room {

void registerImRestApi(http::HttpServer& http, RoomServer& server);

}  // namespace room
