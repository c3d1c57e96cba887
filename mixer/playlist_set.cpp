#include "mixer/playlist_set.hpp"

#include <spdlog/spdlog.h>

namespace mixer {

PlaylistSet::PlaylistSet(core::EventLoop& loop, core::StreamRegistry& registry, av::Libraries& libs,
                         PlaylistSetOptions options)
    : options_(std::move(options)),
      mailbox_(loop, [this](PlaylistEvent&& event) { onEvent(std::move(event)); }),
      context_{loop, registry, libs, options_.dirs,
               [this](PlaylistEvent event) { return mailbox_.post(std::move(event)); }} {}

PlaylistSet::~PlaylistSet() {
  shutdown();
  // NOTE: the threads were told to stop; joining waits at most for the packet each
  // is on. The mailbox closes after, so their last posts land (and are dropped).
  retired_.clear();
  mailbox_.close();
}

void PlaylistSet::shutdown() {
  for (auto& [key, p] : playlists_) {
    p->stop("server shutdown");
    routes_.erase(p->id());
    retired_.push_back(std::move(p));
  }
  playlists_.clear();
}

core::PlaylistControl::Answer PlaylistSet::createPlaylist(const nlohmann::json& body) {
  auto refuse = [](int status, std::string message) {
    return Answer{status, {{"error", std::move(message)}}};
  };
  if (!options_.enabled) return refuse(503, "playlists are off (vod.enabled)");
  std::string error;
  auto spec = PlaylistSpec::parse(body, error);
  if (!spec) return refuse(400, "playlist: " + error);
  const std::string key = spec->key();
  if (auto it = playlists_.find(key); it != playlists_.end()) {
    if (!it->second->ended()) return refuse(409, "playlist " + key + " exists");
    removePlaylist(key);  // an ended one gives its place to the new one
  }
  size_t running = 0;
  for (const auto& [k, p] : playlists_) running += p->ended() ? 0 : 1;
  if (running >= options_.maxPlaylists)
    return refuse(503,
                  "vod.max_playlists (" + std::to_string(options_.maxPlaylists) + ") are playing");
  const uint64_t id = nextId_++;
  auto playlist = std::make_unique<Playlist>(context_, id, std::move(*spec));
  if (!playlist->start(error)) {
    playlist->stop("not started");
    return refuse(409, "playlist " + key + ": " + error);
  }
  routes_[id] = playlist.get();
  Playlist* p = playlist.get();
  playlists_[key] = std::move(playlist);
  return {201, p->describe()};
}

nlohmann::json PlaylistSet::listPlaylists() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, p] : playlists_) list.push_back(p->describe());
  return {{"playlists", std::move(list)}};
}

core::PlaylistControl::Answer PlaylistSet::getPlaylist(const std::string& key) const {
  auto it = playlists_.find(key);
  if (it == playlists_.end()) return {404, {{"error", "no playlist " + key.substr(0, 200)}}};
  return {200, it->second->describe()};
}

core::PlaylistControl::Answer PlaylistSet::patchPlaylist(const std::string& key,
                                                         const nlohmann::json& body) {
  auto it = playlists_.find(key);
  if (it == playlists_.end()) return {404, {{"error", "no playlist " + key.substr(0, 200)}}};
  Playlist& p = *it->second;
  if (p.ended()) return {409, {{"error", "playlist " + key.substr(0, 200) + " has ended"}}};
  std::string error;
  auto next = p.spec().patched(body, error);
  if (!next) return {400, {{"error", "playlist " + key.substr(0, 200) + ": " + error}}};
  p.update(*next);
  spdlog::info("playlist {}: changed: {} items{}", key, next->items.size(),
               next->loop ? ", looping" : "");
  return {200, p.describe()};
}

core::PlaylistControl::Answer PlaylistSet::removePlaylist(const std::string& key) {
  auto it = playlists_.find(key);
  if (it == playlists_.end()) return {404, {{"error", "no playlist " + key.substr(0, 200)}}};
  std::unique_ptr<Playlist> p = std::move(it->second);
  playlists_.erase(it);
  p->stop("playlist removed");
  routes_.erase(p->id());
  if (!p->tryReap()) retired_.push_back(std::move(p));
  spdlog::info("playlist {}: removed", key);
  return {200, {{"output", key}, {"removed", true}}};
}

void PlaylistSet::onEvent(PlaylistEvent&& event) {
  const bool ended = std::holds_alternative<PlaylistEnded>(event.body);
  if (auto it = routes_.find(event.id); it != routes_.end()) it->second->onEvent(std::move(event));
  if (ended) reap();
}

void PlaylistSet::reap() {
  std::erase_if(retired_, [](const std::unique_ptr<Playlist>& p) { return p->tryReap(); });
}

}  // namespace mixer
