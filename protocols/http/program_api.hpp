// The programs part of the HTTP API (issue 18, the compositor): POST and GET
// /api/v1/programs, GET, PATCH and DELETE /api/v1/programs/{app}/{name} (the
// program's own stream). Every call needs the admin check `authorize` gives.
// Registered by main(); loop thread.
#pragma once

#include "core/media/program_control.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/recordings_api.hpp"

namespace http {

void registerProgramApi(HttpServer& http, core::ProgramControl& programs, Authorize authorize);

}  // namespace http
