// The caster part of the HTTP API (M5): POST /api/v1/casters (start a ladder on a
// live stream, from a profile and/or a spec), GET /api/v1/casters, GET and DELETE
// /api/v1/casters/{app}/{name}. Every call needs the admin check `authorize` gives.
// Registered by main(); loop thread.
#pragma once

#include "core/media/caster_control.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/recordings_api.hpp"

namespace http {

void registerCasterApi(HttpServer& http, core::CasterControl& casters, Authorize authorize);

}  // namespace http
