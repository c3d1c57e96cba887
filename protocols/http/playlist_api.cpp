#include "protocols/http/playlist_api.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "core/format/json_text.hpp"

namespace http {
namespace {

const std::string kPlaylistsPrefix = "/api/v1/playlists";

HttpResponse playlistReply(const HttpRequest& req, const core::PlaylistControl::Answer& a) {
  if (a.status >= 400) {
    const nlohmann::json& e = a.body.contains("error") ? a.body["error"] : nlohmann::json();
    spdlog::info("playlists api {} {} {}: {} ({})", req.peer, req.method, req.path, a.status,
                 e.is_string() ? e.get<std::string>() : std::string("?"));
  }
  return HttpResponse::json(a.status, core::dumpJson(a.body) + "\n");
}

HttpResponse playlistRefuse(const HttpRequest& req, int status, const std::string& message) {
  return playlistReply(req, {status, {{"error", message}}});
}

// The body as a JSON object, or the refusal.
std::optional<HttpResponse> playlistBody(const HttpRequest& req, nlohmann::json& out) {
  const core::JsonRead read = core::readJson(req.body, kMaxJsonBodyBytes);
  if (read.status == core::JsonRead::Status::TooLarge)
    return playlistRefuse(req, 413, "the body is " + read.error);
  if (!read.ok()) return playlistRefuse(req, 400, "the body is not JSON: " + read.error);
  if (!read.value.is_object()) return playlistRefuse(req, 400, "the body must be a JSON object");
  out = read.value;
  return std::nullopt;
}

HttpResponse handlePlaylists(const HttpRequest& req, core::PlaylistControl& playlists) {
  const std::string rest =
      req.path.size() > kPlaylistsPrefix.size() ? req.path.substr(kPlaylistsPrefix.size() + 1) : "";
  nlohmann::json body;
  if (rest.empty()) {
    if (req.method == "GET") return playlistReply(req, {200, playlists.listPlaylists()});
    if (req.method != "POST")
      return playlistRefuse(req, 405, "use GET or POST on " + kPlaylistsPrefix);
    if (auto refused = playlistBody(req, body)) return *refused;
    auto a = playlists.createPlaylist(body);
    if (a.status < 400)
      spdlog::info("playlists api {}: playlist {}", req.peer, a.body.value("output", ""));
    return playlistReply(req, a);
  }
  // {app}/{name}: stream names hold no '/'.
  if (std::count(rest.begin(), rest.end(), '/') != 1)
    return playlistRefuse(req, 404, "no such playlist resource: " + req.path.substr(0, 200));
  if (req.method == "GET") return playlistReply(req, playlists.getPlaylist(rest));
  if (req.method == "PATCH") {
    if (auto refused = playlistBody(req, body)) return *refused;
    return playlistReply(req, playlists.patchPlaylist(rest, body));
  }
  if (req.method == "DELETE") return playlistReply(req, playlists.removePlaylist(rest));
  return playlistRefuse(req, 405, "use GET, PATCH or DELETE on " + req.path.substr(0, 200));
}

}  // namespace

void registerPlaylistApi(HttpServer& http, core::PlaylistControl& playlists, Authorize authorize) {
  http.route(
      [](const HttpRequest& req) {
        return req.path == kPlaylistsPrefix || req.path.starts_with(kPlaylistsPrefix + "/");
      },
      [&playlists, authorize](const HttpRequest& req, HttpExchange&) {
        if (auto refused = authorize(req)) return *refused;
        return handlePlaylists(req, playlists);
      });
}

}  // namespace http
