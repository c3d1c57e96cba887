// PlaylistControl: what the HTTP API needs of the VOD-to-live playlists (mixer/),
// which protocols/ cannot see: create, list, read, change and delete playlists
// from JSON. Implemented by mixer::PlaylistSet; loop thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace core {

class PlaylistControl {
 public:
  struct Answer {
    int status = 200;
    nlohmann::json body;  // the playlist, or {"error": ...}
  };
  virtual ~PlaylistControl() = default;
  // POST /api/v1/playlists {"output":"app/name", "items":[{"file":...}], "loop":...}
  virtual Answer createPlaylist(const nlohmann::json& body) = 0;
  // {"playlists": [...]}
  virtual nlohmann::json listPlaylists() const = 0;
  virtual Answer getPlaylist(const std::string& key) const = 0;
  // PATCH: items, loop.
  virtual Answer patchPlaylist(const std::string& key, const nlohmann::json& body) = 0;
  virtual Answer removePlaylist(const std::string& key) = 0;
};

}  // namespace core
