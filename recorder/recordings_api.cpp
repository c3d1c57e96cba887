#include "recorder/recordings_api.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace recorder {
namespace {

using nlohmann::json;

const std::string kPrefix = "/api/v1/recordings";

http::HttpResponse answer(int status, const json& body) {
  return http::HttpResponse::json(status,
                                  body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

http::HttpResponse failure(const http::HttpRequest& req, int status, const std::string& message) {
  spdlog::info("recordings api {} {} {}: {} ({})", req.peer, req.method, req.path, status, message);
  return answer(status, {{"error", message}});
}

http::HttpResponse handle(const http::HttpRequest& req, Recorder& recorder) {
  const std::string rest =
      req.path.size() > kPrefix.size() ? req.path.substr(kPrefix.size() + 1) : "";
  if (rest.empty()) {
    if (req.method == "GET") return answer(200, recorder.list());
    if (req.method != "POST") return failure(req, 405, "use GET or POST on " + kPrefix);
    const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("stream") || !body["stream"].is_string())
      return failure(req, 400, "the body must be a JSON object with \"stream\": \"app/name\"");
    const std::string key = body["stream"].get<std::string>();
    std::string error;
    if (!recorder.start(key, error))
      return failure(req, recorder.recording(key) ? 409 : 404, error);
    spdlog::info("recordings api {}: recording {}", req.peer, key);
    return answer(201, {{"stream", key}, {"recording", true}});
  }
  if (req.method == "DELETE") {
    if (!recorder.stop(rest)) return failure(req, 404, rest + " is not being recorded");
    return answer(200, {{"stream", rest}, {"recording", false}});
  }
  if (req.method != "GET") return failure(req, 405, "use GET or DELETE on " + req.path);
  const RecordingFile* file = recorder.find(rest);
  if (!file) return failure(req, 404, "no closed recording " + rest);
  return answer(200, file->toJson(true));
}

}  // namespace

void registerRecordingsApi(http::HttpServer& http, Recorder& recorder, Authorize authorize) {
  http.route(
      [](const http::HttpRequest& req) {
        return req.path == kPrefix || req.path.starts_with(kPrefix + "/");
      },
      [&recorder, authorize](const http::HttpRequest& req, http::HttpExchange&) {
        if (auto refused = authorize(req)) return *refused;
        return handle(req, recorder);
      });
}

}  // namespace recorder
