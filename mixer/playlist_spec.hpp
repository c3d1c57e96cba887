// PlaylistSpec: a VOD-to-live playlist as the API states it: the output stream,
// the files (each with an optional start time) and whether it loops; parsed and
// checked from JSON (POST /api/v1/playlists, PATCH). A plain value; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mixer {

inline constexpr size_t kMaxPlaylistItems = 1000;

struct PlaylistItem {
  std::string file;                // relative to [vod] dir (or the recordings' dir)
  std::optional<int64_t> startAt;  // unix ms: the item waits for this time
  bool operator==(const PlaylistItem&) const = default;
};

struct PlaylistSpec {
  std::string app, name;
  std::vector<PlaylistItem> items;
  bool loop = false;

  std::string key() const { return app + "/" + name; }
  // The spec, or nullopt with `error` naming the field ("items[1].file: must not
  // contain \"..\"").
  static std::optional<PlaylistSpec> parse(const nlohmann::json& body, std::string& error);
  // A PATCH: "items" and/or "loop" replace this spec's; nothing else may change.
  std::optional<PlaylistSpec> patched(const nlohmann::json& body, std::string& error) const;
  nlohmann::json toJson() const;
};

// Unix ms of an ISO 8601 / RFC 3339 time "2026-12-07T22:00:00Z" (fraction and a
// "+01:00" offset allowed), or nullopt.
std::optional<int64_t> parseIsoTimeMs(std::string_view text);

}  // namespace mixer
