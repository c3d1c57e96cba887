#include "protocols/http/caster_api.hpp"

#include <spdlog/spdlog.h>

#include "core/format/json_text.hpp"

namespace http {
namespace {

using nlohmann::json;

const std::string kCastersPrefix = "/api/v1/casters";

HttpResponse reply(const HttpRequest& req, const core::CasterControl::Answer& a) {
  if (a.status >= 400) {
    const json& e = a.body.contains("error") ? a.body["error"] : json();
    spdlog::info("casters api {} {} {}: {} ({})", req.peer, req.method, req.path, a.status,
                 e.is_string() ? e.get<std::string>() : std::string("?"));
  }
  return HttpResponse::json(a.status, core::dumpJson(a.body) + "\n");
}

HttpResponse refuse(const HttpRequest& req, int status, const std::string& message) {
  return reply(req, {status, {{"error", message}}});
}

HttpResponse handleCasters(const HttpRequest& req, core::CasterControl& casters) {
  const std::string rest =
      req.path.size() > kCastersPrefix.size() ? req.path.substr(kCastersPrefix.size() + 1) : "";
  if (rest.empty()) {
    if (req.method == "GET") return reply(req, {200, casters.listCasters()});
    if (req.method != "POST") return refuse(req, 405, "use GET or POST on " + kCastersPrefix);
    const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
    if (read.status == core::JsonRead::Status::TooLarge)
      return refuse(req, 413, "the body is " + read.error);
    if (!read.ok()) return refuse(req, 400, "the body is not JSON: " + read.error);
    if (!read.value.is_object()) return refuse(req, 400, "the body must be a JSON object");
    auto a = casters.createCaster(read.value);
    if (a.status < 400)
      spdlog::info("casters api {}: caster on {}", req.peer, a.body.value("stream", ""));
    return reply(req, a);
  }
  // {app}/{name}[/overlays[/{id}]]: stream names hold no '/'.
  const size_t first = rest.find('/');
  const size_t second = first == std::string::npos ? std::string::npos : rest.find('/', first + 1);
  const std::string key = rest.substr(0, second);
  if (second != std::string::npos) {
    const std::string tail = rest.substr(second + 1);
    const bool all = tail == "overlays";
    if (!all && !tail.starts_with("overlays/"))
      return refuse(req, 404, "no such caster resource: " + req.path.substr(0, 200));
    const std::string id = all ? "" : tail.substr(9);
    if (all ? req.method != "POST" : (req.method != "PATCH" && req.method != "DELETE"))
      return refuse(req, 405,
                    all ? "use POST on " + req.path : "use PATCH or DELETE on " + req.path);
    nlohmann::json body = nlohmann::json::object();
    if (req.method != "DELETE") {
      const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
      if (read.status == core::JsonRead::Status::TooLarge)
        return refuse(req, 413, "the body is " + read.error);
      if (!read.ok() || !read.value.is_object())
        return refuse(req, 400, "the body must be a JSON object");
      body = read.value;
    }
    return reply(req, casters.changeOverlays(key, req.method, id, body));
  }
  if (req.method == "PATCH") {
    const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
    if (read.status == core::JsonRead::Status::TooLarge)
      return refuse(req, 413, "the body is " + read.error);
    if (!read.ok() || !read.value.is_object())
      return refuse(req, 400, "the body must be a JSON object");
    return reply(req, casters.changeOverlays(key, "PATCH", "", read.value));
  }
  if (req.method == "GET") return reply(req, casters.getCaster(rest));
  if (req.method == "DELETE") {
    auto a = casters.removeCaster(rest);
    if (a.status < 400) spdlog::info("casters api {}: caster on {} removed", req.peer, rest);
    return reply(req, a);
  }
  return refuse(req, 405, "use GET, PATCH or DELETE on " + req.path);
}

}  // namespace

void registerCasterApi(HttpServer& http, core::CasterControl& casters, Authorize authorize) {
  http.route(
      [](const HttpRequest& req) {
        return req.path == kCastersPrefix || req.path.starts_with(kCastersPrefix + "/");
      },
      [&casters, authorize](const HttpRequest& req, HttpExchange&) {
        if (auto refused = authorize(req)) return *refused;
        return handleCasters(req, casters);
      });
}

}  // namespace http
