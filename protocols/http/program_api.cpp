#include "protocols/http/program_api.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "core/format/json_text.hpp"

namespace http {
namespace {

const std::string kProgramsPrefix = "/api/v1/programs";

HttpResponse programReply(const HttpRequest& req, const core::ProgramControl::Answer& a) {
  if (a.status >= 400) {
    const nlohmann::json& e = a.body.contains("error") ? a.body["error"] : nlohmann::json();
    spdlog::info("programs api {} {} {}: {} ({})", req.peer, req.method, req.path, a.status,
                 e.is_string() ? e.get<std::string>() : std::string("?"));
  }
  return HttpResponse::json(a.status, core::dumpJson(a.body) + "\n");
}

HttpResponse programRefuse(const HttpRequest& req, int status, const std::string& message) {
  return programReply(req, {status, {{"error", message}}});
}

// The body as a JSON object, or the refusal.
std::optional<HttpResponse> programBody(const HttpRequest& req, nlohmann::json& out) {
  const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
  if (read.status == core::JsonRead::Status::TooLarge)
    return programRefuse(req, 413, "the body is " + read.error);
  if (!read.ok()) return programRefuse(req, 400, "the body is not JSON: " + read.error);
  if (!read.value.is_object()) return programRefuse(req, 400, "the body must be a JSON object");
  out = read.value;
  return std::nullopt;
}

HttpResponse handlePrograms(const HttpRequest& req, core::ProgramControl& programs) {
  const std::string rest =
      req.path.size() > kProgramsPrefix.size() ? req.path.substr(kProgramsPrefix.size() + 1) : "";
  nlohmann::json body;
  if (rest.empty()) {
    if (req.method == "GET") return programReply(req, {200, programs.listPrograms()});
    if (req.method != "POST")
      return programRefuse(req, 405, "use GET or POST on " + kProgramsPrefix);
    if (auto refused = programBody(req, body)) return *refused;
    auto a = programs.createProgram(body);
    if (a.status < 400)
      spdlog::info("programs api {}: program {}", req.peer, a.body.value("output", ""));
    return programReply(req, a);
  }
  // {app}/{name}[/preview|/take]: stream names hold no '/'.
  if (std::count(rest.begin(), rest.end(), '/') == 2) {
    const size_t cut = rest.rfind('/');
    const std::string key = rest.substr(0, cut), action = rest.substr(cut + 1);
    if (action == "preview") {
      if (req.method != "PATCH") return programRefuse(req, 405, "use PATCH on " + req.path);
      if (auto refused = programBody(req, body)) return *refused;
      return programReply(req, programs.patchProgram(key, {{"preview", body}}));
    }
    if (action == "take") {
      if (req.method != "POST") return programRefuse(req, 405, "use POST on " + req.path);
      if (req.body.empty())
        body = nlohmann::json::object();
      else if (auto refused = programBody(req, body))
        return *refused;
      return programReply(req, programs.takeProgram(key, body));
    }
  }
  if (std::count(rest.begin(), rest.end(), '/') != 1)
    return programRefuse(req, 404, "no such program resource: " + req.path.substr(0, 200));
  if (req.method == "GET") return programReply(req, programs.getProgram(rest));
  if (req.method == "PATCH") {
    if (auto refused = programBody(req, body)) return *refused;
    return programReply(req, programs.patchProgram(rest, body));
  }
  if (req.method == "DELETE") return programReply(req, programs.removeProgram(rest));
  return programRefuse(req, 405, "use GET, PATCH or DELETE on " + req.path.substr(0, 200));
}

}  // namespace

void registerProgramApi(HttpServer& http, core::ProgramControl& programs, Authorize authorize) {
  http.route(
      [](const HttpRequest& req) {
        return req.path == kProgramsPrefix || req.path.starts_with(kProgramsPrefix + "/");
      },
      [&programs, authorize](const HttpRequest& req, HttpExchange&) {
        if (auto refused = authorize(req)) return *refused;
        return handlePrograms(req, programs);
      });
}

}  // namespace http
