// PlaylistPlayer: the body of a playlist's thread: picks each item
// (PlaylistSchedule), waits for its start time, demuxes its file (VodReader),
// rebases its timestamps onto the playlist's continuous clock (PlaylistTimeline)
// and posts each packet when it is due on the steady clock (PlaylistPacer), new
// sequence headers only when the codec parameters change. An item that cannot
// be played is reported and skipped. Owned by its WorkerThread; that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mixer/playlist_event.hpp"
#include "mixer/playlist_pacer.hpp"
#include "mixer/playlist_schedule.hpp"
#include "mixer/playlist_shared.hpp"
#include "mixer/playlist_timeline.hpp"
#include "mixer/vod_reader.hpp"

namespace av {
class Libraries;
}

namespace mixer {

class PlaylistPlayer {
 public:
  struct Setup {
    uint64_t id = 0;
    std::string key;                // the output stream, for logs
    std::vector<std::string> dirs;  // where item files are looked for, in order
    PlaylistSpec spec;
    av::Libraries* libs = nullptr;
    std::function<bool(PlaylistEvent)> post;  // the PlaylistSet's Mailbox
    std::shared_ptr<PlaylistShared> shared;
  };
  explicit PlaylistPlayer(Setup setup);

  // The thread's body: returns at the end of the list (why it ended) or soon after
  // stop ("stopped"). The caller posts PlaylistEnded once the thread is done.
  std::string run();

 private:
  // Plays item `index` to its end: "" when it played, else why it failed.
  std::string playItem(size_t index, bool& sentAny);
  enum class Wait { Start, Changed, Stopped };
  Wait waitForStart(size_t index);
  void sendConfigs(const VodTracks& tracks);
  bool sendPacket(core::MediaPacket packet);
  void post(PlaylistEvent::Body body) { setup_.post(PlaylistEvent{setup_.id, std::move(body)}); }

  Setup setup_;
  const av::FormatApi* api_ = nullptr;
  PlaylistSchedule schedule_;
  PlaylistTimeline timeline_;
  PlaylistPacer pacer_;
  std::vector<uint8_t> sentAvcC_, sentAsc_;  // the sequence headers the stream has
  int sentWidth_ = 0, sentHeight_ = 0;
};

}  // namespace mixer
