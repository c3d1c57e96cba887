// The streams part of the HTTP API (O2): GET /api/v1/streams and
// GET /api/v1/streams/{app}/{name}. Registered by main(); loop thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/media/stream_registry.hpp"
#include "protocols/http/http_server.hpp"

namespace http {

// `protocols`: the egress protocols this server runs, so every stream reports a
// count (0 included) for each of them.
// `extraViewers`: counts of players the Stream cannot see (HLS polls), by protocol.
using ViewerCounter = std::function<std::map<std::string, int>(const core::Stream&)>;
void registerStreamsApi(HttpServer& server, const core::StreamRegistry& registry,
                        std::vector<std::string> protocols, ViewerCounter extraViewers = nullptr);

}  // namespace http
