// The streams part of the HTTP API (O2): GET /api/v1/streams and
// GET /api/v1/streams/{app}/{name}. Registered by main(); loop thread.
#pragma once

#include "core/media/stream_registry.hpp"
#include "protocols/http/http_server.hpp"

namespace http {

void registerStreamsApi(HttpServer& server, const core::StreamRegistry& registry);

}  // namespace http
