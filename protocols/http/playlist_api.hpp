// The playlists part of the HTTP API (issue 18, VOD-to-live): POST and GET
// /api/v1/playlists, GET, PATCH and DELETE /api/v1/playlists/{app}/{name} (the
// playlist's stream). Every call needs the admin check `authorize` gives.
// Registered by main(); loop thread.
#pragma once

#include "core/media/playlist_control.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/recordings_api.hpp"

namespace http {

void registerPlaylistApi(HttpServer& http, core::PlaylistControl& playlists, Authorize authorize);

}  // namespace http
