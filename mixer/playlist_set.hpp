// PlaylistSet: the VOD-to-live playlists by their stream key, the one Mailbox their
// threads post to, and the playlists removed or ended whose threads are still
// returning; answers the playlists API (core::PlaylistControl). Owned by main();
// loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/loop/mailbox.hpp"
#include "core/media/playlist_control.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/playlist.hpp"

namespace mixer {

struct PlaylistSetOptions {
  bool enabled = true;
  size_t maxPlaylists = 4;
  std::vector<std::string> dirs;  // where item files are looked for, in order
};

class PlaylistSet final : public core::PlaylistControl {
 public:
  PlaylistSet(core::EventLoop& loop, core::StreamRegistry& registry, av::Libraries& libs,
              PlaylistSetOptions options);
  ~PlaylistSet() override;
  PlaylistSet(const PlaylistSet&) = delete;
  PlaylistSet& operator=(const PlaylistSet&) = delete;

  // Stops every playlist (server shutdown).
  void shutdown();

  Answer createPlaylist(const nlohmann::json& body) override;
  nlohmann::json listPlaylists() const override;
  Answer getPlaylist(const std::string& key) const override;
  Answer patchPlaylist(const std::string& key, const nlohmann::json& body) override;
  Answer removePlaylist(const std::string& key) override;

  size_t retired() const { return retired_.size(); }

 private:
  void onEvent(PlaylistEvent&& event);
  void reap();

  PlaylistSetOptions options_;
  core::Mailbox<PlaylistEvent> mailbox_;
  PlaylistContext context_;
  // NOTE: an ended playlist stays listed (state "ended", why) until DELETE, so the
  // API can tell what happened; it no longer holds its stream name.
  std::map<std::string, std::unique_ptr<Playlist>> playlists_;
  std::map<uint64_t, Playlist*> routes_;
  std::vector<std::unique_ptr<Playlist>> retired_;
  uint64_t nextId_ = 1;
};

}  // namespace mixer
