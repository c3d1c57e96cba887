#include "mixer/playlist_player.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "av/av_libraries.hpp"
#include "core/format/amf0.hpp"
#include "mixer/vod_path.hpp"

namespace mixer {

namespace {

uint64_t playlistSteadyNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

int64_t playlistUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The first candidate that is a regular file, or "" (`error` says where it looked).
std::string playlistResolve(const std::string& file, const std::vector<std::string>& dirs,
                            std::string& error) {
  for (const std::string& path : VodPath::candidates(file, dirs)) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  error = "no such file in ";
  for (size_t i = 0; i < dirs.size(); ++i) error += (i ? " or " : "") + dirs[i];
  return {};
}

}  // namespace

PlaylistPlayer::PlaylistPlayer(Setup setup)
    : setup_(std::move(setup)), schedule_(setup_.spec.items, setup_.spec.loop) {}

std::string PlaylistPlayer::run() {
  std::string error;
  api_ = setup_.libs->format(error);
  if (!api_) return "cannot load FFmpeg: " + error;
  auto& shared = *setup_.shared;
  while (!shared.stopped()) {
    if (auto change = shared.takeChange()) schedule_.replace(change->first, change->second);
    const auto index = schedule_.next();
    if (!index) return schedule_.why();
    const Wait wait = waitForStart(*index);
    if (wait == Wait::Stopped) break;
    if (wait == Wait::Changed) {
      schedule_.retry();  // the new list's item at this index waits (or plays) instead
      continue;
    }
    bool sentAny = false;
    const std::string why = playItem(*index, sentAny);
    if (shared.stopped()) break;
    schedule_.finished(why.empty());
    const std::string& file = schedule_.item(*index).file;
    if (why.empty()) {
      post(PlaylistItemEnded{*index});
    } else {
      spdlog::warn("playlist {}: item {} ({}): {}; skipped", setup_.key, *index, file, why);
      post(PlaylistItemFailed{*index, file, why});
    }
  }
  return "stopped";
}

PlaylistPlayer::Wait PlaylistPlayer::waitForStart(size_t index) {
  const int64_t waitMs = schedule_.waitMs(index, playlistUnixMs());
  if (waitMs <= 0) return Wait::Start;
  post(PlaylistWaiting{index, playlistUnixMs() + waitMs});
  // NOTE: the stream idles (published, no media) until the item's time; the item
  // then starts at the output time that stands for that moment, so the clock keeps
  // pace with the wall clock across the wait. A new list (PATCH) ends the wait.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  if (!setup_.shared->sleepUntil(deadline, /*wakeOnChange=*/true)) return Wait::Stopped;
  if (std::chrono::steady_clock::now() < deadline && setup_.shared->changePending())
    return Wait::Changed;
  if (auto out = pacer_.outAt(playlistSteadyNs())) timeline_.idleUntil(*out);
  return Wait::Start;
}

std::string PlaylistPlayer::playItem(size_t index, bool& sentAny) {
  const std::string& file = schedule_.item(index).file;
  std::string error;
  const std::string path = playlistResolve(file, setup_.dirs, error);
  if (path.empty()) return error;
  VodReader reader(*api_, setup_.shared->stopFlag());
  if (!reader.open(path, error)) return error;
  timeline_.beginItem(reader.firstDtsMs());
  post(PlaylistItemStarted{index, file, timeline_.itemStart()});
  spdlog::info("playlist {}: item {} ({}) at {} ms", setup_.key, index, file,
               timeline_.itemStart());
  sendConfigs(reader.tracks());
  for (;;) {
    VodPacket in;
    const VodReader::Read r = reader.read(in, error);
    if (r == VodReader::Read::End) return {};
    if (r == VodReader::Read::Error) return error;
    const auto mapped = timeline_.map(in.kind, in.dtsMs, in.ptsMs, in.endMs);
    if (!mapped) continue;
    core::MediaPacket p;
    p.kind = in.kind;
    p.codec = in.kind == core::MediaKind::Video ? core::Codec::H264 : core::Codec::AAC;
    p.dts = mapped->dts;
    p.pts = mapped->pts;
    p.keyframe = in.keyframe;
    p.payload = std::move(in.payload);
    const uint64_t due = pacer_.dueNs(p.dts, playlistSteadyNs());
    if (!setup_.shared->sleepUntil(std::chrono::steady_clock::time_point(
            std::chrono::nanoseconds(static_cast<int64_t>(due)))))
      return {};
    if (!sendPacket(std::move(p))) return {};
    sentAny = true;
  }
}

void PlaylistPlayer::sendConfigs(const VodTracks& tracks) {
  const bool videoChanged = tracks.video && tracks.avcC != sentAvcC_;
  const bool audioChanged = tracks.audio && tracks.asc != sentAsc_;
  if (!videoChanged && !audioChanged) return;
  const int64_t at = timeline_.itemStart();
  if (videoChanged || tracks.width != sentWidth_ || tracks.height != sentHeight_) {
    using core::Amf0Value;
    std::vector<core::Amf0Property> props = {{"encoder", Amf0Value("roomcast playlist")}};
    if (tracks.video) {
      props.push_back({"width", Amf0Value(tracks.width)});
      props.push_back({"height", Amf0Value(tracks.height)});
      props.push_back({"framerate", Amf0Value(tracks.fps)});
      props.push_back({"videocodecid", Amf0Value(7)});  // AVC (FLV spec)
    }
    if (tracks.audio || !sentAsc_.empty()) props.push_back({"audiocodecid", Amf0Value(10)});
    core::MediaPacket meta;
    meta.kind = core::MediaKind::Data;
    meta.codec = core::Codec::Amf0;
    meta.config = true;
    meta.dts = meta.pts = at;
    meta.payload = core::SharedBuffer::adopt(
        core::encodeAmf0All({Amf0Value("onMetaData"), Amf0Value::ecmaArray(std::move(props))}));
    sendPacket(std::move(meta));
    sentWidth_ = tracks.width;
    sentHeight_ = tracks.height;
  }
  auto config = [&](core::MediaKind kind, core::Codec codec, const std::vector<uint8_t>& bytes) {
    core::MediaPacket p;
    p.kind = kind;
    p.codec = codec;
    p.config = true;
    p.keyframe = kind == core::MediaKind::Video;
    p.dts = p.pts = at;
    p.payload = core::SharedBuffer::copyOf(bytes);
    sendPacket(std::move(p));
  };
  if (videoChanged) {
    config(core::MediaKind::Video, core::Codec::H264, tracks.avcC);
    sentAvcC_ = tracks.avcC;
  }
  if (audioChanged) {
    config(core::MediaKind::Audio, core::Codec::AAC, tracks.asc);
    sentAsc_ = tracks.asc;
  }
  spdlog::info("playlist {}: new sequence headers ({}{})", setup_.key, videoChanged ? "video " : "",
               audioChanged ? "audio" : "");
}

bool PlaylistPlayer::sendPacket(core::MediaPacket packet) {
  if (!setup_.shared->reserve()) return false;
  post(PlaylistPacket{std::move(packet)});
  return true;
}

}  // namespace mixer
