#include "protocols/http/relay_api.hpp"

#include <spdlog/spdlog.h>

#include "core/format/json_text.hpp"

namespace http {
namespace {

const std::string kRelaysPrefix = "/api/v1/relays";

HttpResponse relayReply(const HttpRequest& req, const core::RelayControl::Answer& a) {
  if (a.status >= 400) {
    const nlohmann::json& e = a.body.contains("error") ? a.body["error"] : nlohmann::json();
    spdlog::info("relays api {} {} {}: {} ({})", req.peer, req.method, req.path.substr(0, 200),
                 a.status, e.is_string() ? e.get<std::string>() : std::string("?"));
  }
  return HttpResponse::json(a.status, core::dumpJson(a.body) + "\n");
}

HttpResponse handleRelays(const HttpRequest& req, core::RelayControl& relays) {
  const std::string rest =
      req.path.size() > kRelaysPrefix.size() ? req.path.substr(kRelaysPrefix.size() + 1) : "";
  if (rest.empty()) {
    if (req.method == "GET") return relayReply(req, {200, relays.listRelays()});
    if (req.method != "POST")
      return relayReply(req, {405, {{"error", "use GET or POST on " + kRelaysPrefix}}});
    const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
    if (read.status == core::JsonRead::Status::TooLarge)
      return relayReply(req, {413, {{"error", "the body is " + read.error}}});
    if (!read.ok())
      return relayReply(req, {400, {{"error", "the body is not JSON: " + read.error}}});
    if (!read.value.is_object())
      return relayReply(req, {400, {{"error", "the body must be a JSON object"}}});
    return relayReply(req, relays.createRelay(read.value));
  }
  if (rest.find('/') != std::string::npos)
    return relayReply(req,
                      {404, {{"error", "no such relay resource: " + req.path.substr(0, 200)}}});
  if (req.method == "GET") return relayReply(req, relays.getRelay(rest));
  if (req.method == "DELETE") return relayReply(req, relays.removeRelay(rest));
  return relayReply(req, {405, {{"error", "use GET or DELETE on " + req.path.substr(0, 200)}}});
}

}  // namespace

void registerRelayApi(HttpServer& http, core::RelayControl& relays, Authorize authorize) {
  http.route(
      [](const HttpRequest& req) {
        return req.path == kRelaysPrefix || req.path.starts_with(kRelaysPrefix + "/");
      },
      [&relays, authorize](const HttpRequest& req, HttpExchange&) {
        if (auto refused = authorize(req)) return *refused;
        return handleRelays(req, relays);
      });
}

}  // namespace http
