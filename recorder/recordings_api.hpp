// The recordings part of the HTTP API (M6): GET /api/v1/recordings (open and
// closed files), POST /api/v1/recordings {"stream"} (start), DELETE
// /api/v1/recordings/{app}/{name} (stop), GET /api/v1/recordings/{id} (a closed
// file with its fragment index). Every call needs the admin check `authorize`
// gives (an admin UserSig, as the rooms API). Registered by main(); loop thread.
#pragma once

#include <functional>
#include <optional>

#include "protocols/http/http_server.hpp"
#include "recorder/recorder.hpp"

namespace recorder {

using Authorize = std::function<std::optional<http::HttpResponse>(const http::HttpRequest&)>;

void registerRecordingsApi(http::HttpServer& http, Recorder& recorder, Authorize authorize);

}  // namespace recorder
