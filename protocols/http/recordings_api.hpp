// The recordings part of the HTTP API (M6): GET /api/v1/recordings (open and
// closed files), POST /api/v1/recordings {"stream"} (start), DELETE
// /api/v1/recordings/{app}/{name} (stop), GET /api/v1/recordings/{id} (a closed
// file with its fragment index). Every call needs the admin check `authorize`
// gives (an admin UserSig, as the rooms API). Registered by main(); loop thread.
#pragma once

#include <functional>
#include <optional>

#include "core/media/recording_file.hpp"
#include "protocols/http/http_server.hpp"

namespace http {

using Authorize = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

void registerRecordingsApi(HttpServer& http, core::RecordingCatalog& recorder, Authorize authorize);

}  // namespace http
