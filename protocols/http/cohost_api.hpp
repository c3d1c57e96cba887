// The co-host part of the HTTP API (issue 17 point 5): GET /api/v1/cohost, POST,
// GET and DELETE /api/v1/cohost/{app}/{name} (the host's stream). Every call needs
// the admin check `authorize` gives; the answer to POST carries the guest's WHIP
// URL and the host's WHEP URL, signed when auth protects publish/play.
// Registered by main(); loop thread.
#pragma once

#include <cstdint>

#include "core/auth/url_signer.hpp"
#include "core/media/cohost_set.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/recordings_api.hpp"

namespace http {

struct CohostUrls {
  const core::UrlSigner* publishSigner = nullptr;  // auth.protect_publish
  const core::UrlSigner* playSigner = nullptr;     // auth.protect_play
  int64_t ttlSeconds = 3600;                       // how long the signed URLs last
};

void registerCohostApi(HttpServer& http, core::CohostSet& cohosts, CohostUrls urls,
                       Authorize authorize);

}  // namespace http
