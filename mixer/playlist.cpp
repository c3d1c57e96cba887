#include "mixer/playlist.hpp"

#include <spdlog/spdlog.h>

#include "mixer/playlist_player.hpp"

namespace mixer {

namespace {

constexpr size_t kPlaylistErrorsKept = 10;

}  // namespace

Playlist::Playlist(PlaylistContext& ctx, uint64_t id, PlaylistSpec spec)
    : ctx_(ctx), id_(id), spec_(std::move(spec)), shared_(std::make_shared<PlaylistShared>()) {}

Playlist::~Playlist() {
  stop("playlist removed");
  // NOTE: the PlaylistSet destroys a playlist once tryReap() said its thread
  // returned (or at shutdown, when it was told to stop a moment ago).
  thread_.reset();
}

bool Playlist::start(std::string& error) {
  core::PublishSpec publish;
  publish.app = spec_.app;
  publish.name = spec_.name;
  publish.peer = "playlist";
  publish.origin = core::StreamOrigin::Push;
  lease_ = ctx_.registry.publish(
      publish,
      [this](std::string_view reason) {
        lease_.reset();  // already detached by the registry
        spdlog::warn("playlist {}: {}; stopped", spec_.key(), reason);
        stop(reason);
      },
      error);
  if (!lease_) return false;
  PlaylistPlayer::Setup setup;
  setup.id = id_;
  setup.key = spec_.key();
  setup.dirs = ctx_.dirs;
  setup.spec = spec_;
  setup.libs = &ctx_.libs;
  setup.post = ctx_.post;
  setup.shared = shared_;
  auto reason = std::make_shared<std::string>("the player thread failed");  // if it threw
  auto post = ctx_.post;
  const uint64_t id = id_;
  thread_ = std::make_unique<WorkerThread>(
      "rcV" + std::to_string(id_) + "-vod",
      [reason, player = std::make_shared<PlaylistPlayer>(std::move(setup))] {
        *reason = player->run();
      },
      [reason, post, id, key = spec_.key()] {
        spdlog::info("playlist {}: thread returned ({})", key, *reason);
        post(PlaylistEvent{id, PlaylistEnded{*reason}});
      });
  spdlog::info("playlist {}: started, {} items{}", spec_.key(), spec_.items.size(),
               spec_.loop ? ", looping" : "");
  return true;
}

void Playlist::stop(std::string_view reason) {
  shared_->stop();
  if (state_ != "ended") {
    state_ = "ended";
    endReason_ = std::string(reason);
  }
  if (lease_) {
    lease_->release(reason);
    lease_.reset();
  }
}

bool Playlist::tryReap() {
  return !thread_ || thread_->tryJoin();
}

void Playlist::update(const PlaylistSpec& spec) {
  spec_ = spec;
  shared_->change(spec.items, spec.loop);
}

void Playlist::noteError(size_t index, const std::string& file, const std::string& reason) {
  errors_.push_back({index, file, reason});
  if (errors_.size() > kPlaylistErrorsKept) errors_.pop_front();
}

void Playlist::onEvent(PlaylistEvent&& event) {
  if (auto* p = std::get_if<PlaylistPacket>(&event.body)) {
    shared_->release();
    if (!lease_) return;
    if (!p->packet.config) {
      lastDts_ = p->packet.dts;
      if (p->packet.isVideo()) ++videoFrames_;
      if (p->packet.isAudio()) ++audioFrames_;
    }
    lease_->push(std::move(p->packet));
  } else if (auto* s = std::get_if<PlaylistItemStarted>(&event.body)) {
    state_ = "playing";
    waitingUntil_.reset();
    current_ = s->index;
    currentFile_ = s->file;
    itemStartMs_ = s->outStartMs;
    lastDts_ = s->outStartMs;
  } else if (auto* f = std::get_if<PlaylistItemFailed>(&event.body)) {
    ++failed_;
    noteError(f->index, f->file, f->reason);
  } else if (std::holds_alternative<PlaylistItemEnded>(event.body)) {
    ++played_;
  } else if (auto* w = std::get_if<PlaylistWaiting>(&event.body)) {
    if (state_ != "ended") state_ = "waiting";
    current_ = w->index;
    currentFile_ = w->index < spec_.items.size() ? spec_.items[w->index].file : "";
    waitingUntil_ = w->untilUnixMs;
  } else if (auto* e = std::get_if<PlaylistEnded>(&event.body)) {
    if (state_ != "ended")
      spdlog::info("playlist {}: ended ({}), {} played, {} failed", spec_.key(), e->reason, played_,
                   failed_);
    stop(e->reason);
  }
}

nlohmann::json Playlist::describe() const {
  nlohmann::json j = spec_.toJson();
  j["state"] = state_;
  if (!endReason_.empty()) j["end_reason"] = endReason_;
  if (current_) {
    nlohmann::json c = {{"index", *current_}, {"file", currentFile_}};
    if (state_ == "playing") c["position_ms"] = std::max<int64_t>(0, lastDts_ - itemStartMs_);
    if (waitingUntil_) c["start_at"] = *waitingUntil_;
    j["current"] = std::move(c);
  } else {
    j["current"] = nullptr;
  }
  j["played"] = played_;
  j["failed"] = failed_;
  j["video_frames"] = videoFrames_;
  j["audio_frames"] = audioFrames_;
  nlohmann::json errors = nlohmann::json::array();
  for (const ItemError& e : errors_)
    errors.push_back({{"index", e.index}, {"file", e.file}, {"reason", e.reason}});
  j["errors"] = std::move(errors);
  return j;
}

}  // namespace mixer
