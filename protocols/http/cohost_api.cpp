#include "protocols/http/cohost_api.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "core/format/json_text.hpp"

namespace http {
namespace {

const std::string kCohostPrefix = "/api/v1/cohost";

HttpResponse cohostReply(const HttpRequest& req, const core::ProgramControl::Answer& a) {
  if (a.status >= 400) {
    const nlohmann::json& e = a.body.contains("error") ? a.body["error"] : nlohmann::json();
    spdlog::info("cohost api {} {} {}: {} ({})", req.peer, req.method, req.path, a.status,
                 e.is_string() ? e.get<std::string>() : std::string("?"));
  }
  return HttpResponse::json(a.status, core::dumpJson(a.body) + "\n");
}

// "http://host:port/whip/app/name?expire=..&sign=.." (a path alone without a Host).
std::string cohostUrl(const HttpRequest& req, const std::string& kind, const std::string& key,
                      const core::UrlSigner* signer, int64_t ttl) {
  const std::string* host = req.header("host");
  std::string url = (host ? "http://" + *host : std::string()) + "/" + kind + "/" + key;
  if (signer) {
    const size_t slash = key.find('/');
    const int64_t expire = static_cast<int64_t>(std::time(nullptr)) + ttl;
    url += "?expire=" + std::to_string(expire) +
           "&sign=" + signer->sign(key.substr(0, slash), key.substr(slash + 1), expire);
  }
  return url;
}

HttpResponse cohostOpen(const HttpRequest& req, core::CohostSet& cohosts, const CohostUrls& urls,
                        const std::string& app, const std::string& name) {
  nlohmann::json body = nlohmann::json::object();
  if (!req.body.empty()) {
    const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
    if (read.status == core::JsonRead::Status::TooLarge)
      return cohostReply(req, {413, {{"error", "the body is " + read.error}}});
    if (!read.ok())
      return cohostReply(req, {400, {{"error", "the body is not JSON: " + read.error}}});
    body = read.value;
  }
  core::ProgramControl::Answer a = cohosts.open(app, name, body);
  if (a.status < 400) {
    a.body["guest_whip_url"] = cohostUrl(req, "whip", a.body["guest"].get<std::string>(),
                                         urls.publishSigner, urls.ttlSeconds);
    a.body["host_whep_url"] =
        cohostUrl(req, "whep", a.body["host"].get<std::string>(), urls.playSigner, urls.ttlSeconds);
    spdlog::info("cohost api {}: opened on {}/{}", req.peer, app, name);
  }
  return cohostReply(req, a);
}

HttpResponse handleCohost(const HttpRequest& req, core::CohostSet& cohosts,
                          const CohostUrls& urls) {
  const std::string rest =
      req.path.size() > kCohostPrefix.size() ? req.path.substr(kCohostPrefix.size() + 1) : "";
  if (rest.empty()) {
    if (req.method == "GET") return cohostReply(req, {200, cohosts.list()});
    return cohostReply(req, {405, {{"error", "use GET on " + kCohostPrefix}}});
  }
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || std::count(rest.begin(), rest.end(), '/') != 1)
    return cohostReply(req,
                       {404, {{"error", "no such cohost resource: " + req.path.substr(0, 200)}}});
  if (req.method == "POST")
    return cohostOpen(req, cohosts, urls, rest.substr(0, slash), rest.substr(slash + 1));
  if (req.method == "GET") return cohostReply(req, cohosts.get(rest));
  if (req.method == "DELETE") return cohostReply(req, cohosts.close(rest));
  return cohostReply(req,
                     {405, {{"error", "use POST, GET or DELETE on " + req.path.substr(0, 200)}}});
}

}  // namespace

void registerCohostApi(HttpServer& http, core::CohostSet& cohosts, CohostUrls urls,
                       Authorize authorize) {
  http.route(
      [](const HttpRequest& req) {
        return req.path == kCohostPrefix || req.path.starts_with(kCohostPrefix + "/");
      },
      [&cohosts, urls, authorize](const HttpRequest& req, HttpExchange&) {
        if (auto refused = authorize(req)) return *refused;
        return handleCohost(req, cohosts, urls);
      });
}

}  // namespace http
