// Playlist: one VOD-to-live playlist: its stream published into the hub like a
// push (so every output, recording, program and ladder gets it), the thread that
// plays its files in real time (PlaylistPlayer), and what the API shows of it.
// Owned by the PlaylistSet; loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/media/stream_registry.hpp"
#include "mixer/playlist_event.hpp"
#include "mixer/playlist_shared.hpp"
#include "mixer/playlist_spec.hpp"
#include "mixer/worker_thread.hpp"

namespace av {
class Libraries;
}

namespace mixer {

struct PlaylistContext {
  core::EventLoop& loop;
  core::StreamRegistry& registry;
  av::Libraries& libs;
  std::vector<std::string> dirs;            // [vod] dir, then record.dir
  std::function<bool(PlaylistEvent)> post;  // the PlaylistSet's Mailbox
};

class Playlist {
 public:
  Playlist(PlaylistContext& ctx, uint64_t id, PlaylistSpec spec);
  ~Playlist();
  Playlist(const Playlist&) = delete;
  Playlist& operator=(const Playlist&) = delete;

  // Publishes the stream and starts the thread; false with `error` when the name
  // is taken.
  bool start(std::string& error);
  // Stops the thread (it returns within a packet) and ends the stream.
  void stop(std::string_view reason);
  // Joins the thread once it has returned; true when joined (or never started).
  bool tryReap();
  // A PATCH: the new items and loop take over after the current item.
  void update(const PlaylistSpec& spec);
  void onEvent(PlaylistEvent&& event);

  uint64_t id() const { return id_; }
  const PlaylistSpec& spec() const { return spec_; }
  bool ended() const { return state_ == "ended"; }
  nlohmann::json describe() const;

 private:
  void noteError(size_t index, const std::string& file, const std::string& reason);

  PlaylistContext& ctx_;
  const uint64_t id_;
  PlaylistSpec spec_;
  std::shared_ptr<PlaylistShared> shared_;
  std::unique_ptr<core::PublishLease> lease_;
  std::unique_ptr<WorkerThread> thread_;
  std::string state_ = "starting";  // waiting, playing, ended
  std::string endReason_;
  std::optional<size_t> current_;
  std::string currentFile_;
  int64_t itemStartMs_ = 0;  // the current item's first dts on the playlist's clock
  int64_t lastDts_ = 0;
  std::optional<int64_t> waitingUntil_;  // unix ms
  uint64_t played_ = 0, failed_ = 0, videoFrames_ = 0, audioFrames_ = 0;
  struct ItemError {
    size_t index;
    std::string file, reason;
  };
  std::deque<ItemError> errors_;  // the newest few
};

}  // namespace mixer
