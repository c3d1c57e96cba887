// The relays part of the HTTP API (issue 18 point 6, relay out): POST and GET
// /api/v1/relays, GET and DELETE /api/v1/relays/{id}. Every call needs the admin
// check `authorize` gives. Registered by main(); loop thread.
#pragma once

#include "core/media/relay_control.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/recordings_api.hpp"

namespace http {

void registerRelayApi(HttpServer& http, core::RelayControl& relays, Authorize authorize);

}  // namespace http
