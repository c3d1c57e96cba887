#include "protocols/http/recordings_api.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"

namespace http {
namespace {

using nlohmann::json;

const std::string kPrefix = "/api/v1/recordings";

HttpResponse answer(int status, const json& body) {
  return HttpResponse::json(status, core::dumpJson(body) + "\n");
}

HttpResponse failure(const HttpRequest& req, int status, const std::string& message) {
  spdlog::info("recordings api {} {} {}: {} ({})", req.peer, req.method, req.path, status, message);
  return answer(status, {{"error", message}});
}

HttpResponse handle(const HttpRequest& req, core::RecordingCatalog& recorder) {
  const std::string rest =
      req.path.size() > kPrefix.size() ? req.path.substr(kPrefix.size() + 1) : "";
  if (rest.empty()) {
    if (req.method == "GET") return answer(200, recorder.list());
    if (req.method != "POST") return failure(req, 405, "use GET or POST on " + kPrefix);
    const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
    if (read.status == core::JsonRead::Status::TooLarge)
      return failure(req, 413, "the body is " + read.error);
    if (read.status == core::JsonRead::Status::TooDeep)
      return failure(req, 400, "the body is " + read.error);
    const json& body = read.value;
    if (!read.ok() || !body.is_object() || !body.contains("stream") || !body["stream"].is_string())
      return failure(req, 400, "the body must be a JSON object with \"stream\": \"app/name\"");
    const std::string key = body["stream"].get<std::string>();
    std::string error;
    if (!recorder.start(key, error))
      return failure(req, recorder.recording(key) ? 409 : 404, error);
    spdlog::info("recordings api {}: recording {}", req.peer, key);
    return answer(201, {{"stream", key}, {"recording", true}});
  }
  if (req.method == "DELETE") {
    if (!recorder.stop(rest, "stopped by the API"))
      return failure(req, 404, rest + " is not being recorded");
    return answer(200, {{"stream", rest}, {"recording", false}});
  }
  if (req.method != "GET") return failure(req, 405, "use GET or DELETE on " + req.path);
  const core::RecordingFile* file = recorder.find(rest);
  if (!file) return failure(req, 404, "no closed recording " + rest);
  return answer(200, file->toJson(true));
}

}  // namespace

void registerRecordingsApi(HttpServer& http, core::RecordingCatalog& recorder,
                           Authorize authorize) {
  http.route(
      [](const HttpRequest& req) {
        return req.path == kPrefix || req.path.starts_with(kPrefix + "/");
      },
      [&recorder, authorize](const HttpRequest& req, HttpExchange&) {
        if (auto refused = authorize(req)) return *refused;
        return handle(req, recorder);
      });
}

}  // namespace http
