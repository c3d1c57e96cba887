#include "protocols/hls/hls_stream.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"
#include "core/format/timed_metadata.hpp"
#include "core/loop/async_file.hpp"
#include "core/loop/wall_clock.hpp"
#include "core/media/room_event_packet.hpp"

namespace hls {
namespace {

// NOTE: without keyframes a segment would grow forever; past this many target
// durations it is cut anyway (the next one then starts on a non-key frame).
constexpr int64_t kMaxSegmentTargets = 5;

}  // namespace

HlsStream::HlsStream(core::EventLoop& loop, av::Libraries& libs, std::string app, std::string name,
                     const HlsOptions& options, std::function<void()> onExpired)
    : loop_(loop),
      libs_(libs),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(app_ + "/" + name_),
      options_(options),
      onExpired_(std::move(onExpired)),
      log_([this] { return "hls " + key_; }, [&loop] { return loop.nowMs(); }),
      id3_(options.id3MergeMs),
      playlist_({options.segmentMs, options.window, 3}),
      grid_(options.segmentMs),
      waitTimer_(loop, [this] { answerWaiters(); }),
      expireTimer_(loop, [this] { onExpired_(); }) {}

HlsStream::~HlsStream() {
  removeFromDisk();
  for (auto& [w, render] : waiters_)
    w->respond(http::HttpResponse::error(404, "stream gone: " + key_));
}

void HlsStream::attach(core::StreamRegistry& registry) {
  if (subscription_) return;
  expireTimer_.stop();
  if (playlist_.ended()) {
    playlist_.reopen();
    rendered_ = {};
    pendingDiscontinuity_ = true;
  }
  registry_ = &registry;
  subscription_ = registry.subscribe(app_, name_, *this, "");
}

void HlsStream::onStreamStart(const core::Stream&) {
  // A new publisher: close what we have, the next segment is a discontinuity.
  if (inSegment_) closeSegment(lastDts_ + lastVideoDelta_);
  dropMuxer("new publisher");
  videoConfig_.reset();
  audioConfig_.reset();
}

void HlsStream::onConfig(const core::MediaPacket& packet) {
  auto& slot = packet.isVideo() ? videoConfig_ : audioConfig_;
  const bool changed = !slot || !slot->payload.equals(packet.payload);
  slot = packet;
  if (changed && muxer_) {
    if (inSegment_) closeSegment(packet.dts);
    dropMuxer("codec configuration changed");
    // NOTE: the next segment starts at a keyframe: a publisher that sends them only
    // when asked (WHIP, whose AAC variant's config comes after the first picture)
    // is asked now, not left to its next scheduled one.
    if (registry_) registry_->requestKeyframe(key_, "hls");
  }
}

void HlsStream::dropMuxer(std::string_view why) {
  if (!muxer_) return;
  muxer_.reset();
  inSegment_ = false;
  pendingDiscontinuity_ = true;
  spdlog::debug("hls {}: muxer reset ({})", key_, why);
}

bool HlsStream::startMuxer() {
  try {
    // NOTE: a timed ID3 track only for a stream with a room: FFmpeg-based players
    // complain about a track that never has a packet. Each segment then starts
    // with the room's status (below), so none is ever empty.
    muxer_ = std::make_unique<TsMuxer>(libs_, videoConfig_, audioConfig_,
                                       options_.roomEvents && sawRoom_);
    return true;
  } catch (const std::exception& e) {
    log_.warn("mux error", "cannot mux this stream: {}", e.what());
    return false;
  }
}

void HlsStream::onRoomEvent(const core::MediaPacket& packet) {
  if (!options_.roomEvents) return;
  auto json = core::roomEventJson(packet);
  if (!json) return;
  sawRoom_ = true;
  if (packet.sticky) {  // the room's status
    status_ = std::string(json->view());
    if (options_.dateRanges && inSegment_) addStatusRange(packet.dts, *status_);
  }
  id3_.add(packet.dts, std::move(*json));
}

void HlsStream::addStatusRange(int64_t streamMs, const std::string& json) {
  const auto event = core::readJson(json, core::kMaxRoomEventTextBytes).value;
  if (!event.is_object() || !event.value("status", nlohmann::json()).is_number_integer()) return;
  DateRange range;
  range.id = "status-" + std::to_string(event.value("seq", int64_t{0}));
  range.cls = "com.roomcast.status";
  range.streamMs = streamMs;
  // NOTE: the program date of the open segment's first frame, plus how far into
  // the stream clock the status came.
  range.startDateMs = segmentProgramDateMs_ + std::max<int64_t>(0, streamMs - segmentStartDts_);
  range.attributes = {{"X-STATUS", std::to_string(event["status"].get<int64_t>())},
                      {"X-REASON", quoteAttribute(event.value("reason", std::string()))},
                      {"X-SEQ", std::to_string(event.value("seq", int64_t{0}))}};
  playlist_.addDateRange(std::move(range));
  rendered_ = {};
}

void HlsStream::writeId3(const Id3Batcher::Tag& tag) {
  // NOTE: before the first segment there is nowhere to put it: an HLS player
  // joins at a segment anyway, and the room's WebSocket has the event.
  if (!muxer_ || !inSegment_) return;
  if (!muxer_->writeId3(tag.ptsMs, tag.bytes)) {
    log_.warn("mux error", "{}", muxer_->error());
    dropMuxer("mux error");
  }
}

void HlsStream::onPacket(const core::MediaPacket& packet) {
  if (packet.codec == core::Codec::RoomEvent) {
    onRoomEvent(packet);
    return;
  }
  if (packet.kind == core::MediaKind::Data) return;
  if (packet.config) {
    onConfig(packet);
    return;
  }
  if (packet.isVideo() && packet.dts > lastDts_ && lastDts_ > 0)
    lastVideoDelta_ = std::min<int64_t>(packet.dts - lastDts_, 1000);
  const bool videoKey = packet.isVideo() && packet.keyframe;
  const bool hasVideo = videoConfig_.has_value();
  // Where a segment may start: a video keyframe, or any audio frame without video.
  const bool boundary = hasVideo ? videoKey : packet.isAudio();

  if (boundary) keyAsker_.satisfied();
  if (!muxer_ || !inSegment_) {
    if (!boundary) {
      // NOTE: a WHIP publisher sends keyframes only when asked: one lost request
      // (merged by the Stream into an earlier one) must not leave HLS without segments.
      if (hasVideo && packet.isVideo()) keyAsker_.need(registry_, packet.dts, "hls: to start");
      return;
    }
  }
  if (!muxer_ && !startMuxer()) return;
  if (!inSegment_) {
    startSegment(packet);
  } else {
    // NOTE: a segment ends at the first boundary frame whose pts is past the next
    // line of the segmentMs grid, not segmentMs after its own start, so every
    // rendition of a source (the same keyframe pts) cuts at the same frames.
    const int64_t elapsed = packet.dts - segmentStartDts_;
    const bool due = grid_.crosses(segmentStartPts_, packet.pts);
    if ((boundary && due) || elapsed >= kMaxSegmentTargets * options_.segmentMs) {
      closeSegment(packet.dts);
      startSegment(packet);
    } else if (due && hasVideo && packet.isVideo()) {
      // NOTE: a publisher that sends keyframes only when asked (WHIP) would leave the
      // segment open until its next one: it is asked once the segment is due.
      keyAsker_.need(registry_, packet.dts, "hls: segment due");
    }
  }
  lastDts_ = packet.dts;
  for (const auto& tag : id3_.takeBefore(packet.dts)) writeId3(tag);
  if (!muxer_->write(packet)) {
    log_.warn("mux error", "{}", muxer_->error());
    dropMuxer("mux error");
    return;
  }
  if (segmentNeedsStatus_) {
    // A player that starts at this segment learns the room's status at once.
    segmentNeedsStatus_ = false;
    if (status_) {
      const std::string values[] = {*status_};
      writeId3({segmentStartDts_, core::buildId3Tag(values), 1});
    }
  }
}

void HlsStream::startSegment(const core::MediaPacket& first) {
  inSegment_ = true;
  segmentNeedsStatus_ = true;
  segmentStartDts_ = first.dts;
  segmentStartPts_ = first.pts;
  segmentProgramDateMs_ = core::wallClockMs();
  // Numbered by its grid slot when it is the playlist's first (MSNs then match
  // across the renditions); later ones, a new publisher's too, count on by one.
  playlist_.startAt(grid_.firstSequence(first.pts));
}

void HlsStream::closeSegment(int64_t endDts) {
  if (!inSegment_ || !muxer_) return;
  // Events of the closing segment's last moments stay in it.
  for (const auto& tag : id3_.takeBefore(endDts, true)) writeId3(tag);
  if (!muxer_ || !inSegment_) return;
  inSegment_ = false;
  muxer_->flush();
  Segment s;
  s.startDts = segmentStartDts_;
  s.durationMs = std::max<int64_t>(1, endDts - segmentStartDts_);
  s.programDateMs = segmentProgramDateMs_;
  s.discontinuity = pendingDiscontinuity_ && !playlist_.empty();
  pendingDiscontinuity_ = false;
  s.bytes = core::SharedBuffer::adopt(muxer_->takeBytes());
  spdlog::debug("hls {}: segment {} {} ms {} bytes", key_, playlist_.nextSequence(), s.durationMs,
                s.bytes.size());
  playlist_.add(std::move(s));
  rendered_ = {};
  answerWaiters();
  mirrorToDisk();
}

void HlsStream::onStreamEnd(std::string_view reason) {
  log_.flush();
  subscription_.reset();  // already detached by the Stream
  if (inSegment_) closeSegment(lastDts_ + lastVideoDelta_);
  muxer_.reset();
  playlist_.end();
  rendered_ = {};
  answerWaiters();
  mirrorToDisk();
  spdlog::info("hls {}: stream ended ({}), playlist kept {} ms", key_, reason,
               options_.keepEndedMs);
  expireTimer_.start(static_cast<uint64_t>(options_.keepEndedMs));
}

http::HttpResponse HlsStream::playlistResponse() const {
  http::HttpResponse r;
  r.contentType = "application/vnd.apple.mpegurl";
  r.headers["Cache-Control"] = "no-cache";
  if (rendered_.empty()) rendered_ = core::SharedBuffer::copyOf(playlist_.render(name_ + "/"));
  r.sharedBody = {rendered_};
  return r;
}

http::HttpResponse HlsStream::servePlaylist(http::HttpExchange& exchange) {
  return serveWhenSegmented(exchange, [this] { return playlistResponse(); });
}

http::HttpResponse HlsStream::serveWhenSegmented(http::HttpExchange& exchange, Render render) {
  if (!playlist_.empty() || playlist_.ended()) return render();
  // Hold the player until the first segment is cut (bounded), so playback starts
  // on the first try instead of after a 404 and a retry.
  waiters_.emplace_back(exchange.defer(), std::move(render));
  if (!waitTimer_.active()) waitTimer_.start(static_cast<uint64_t>(3 * options_.segmentMs));
  return {};
}

void HlsStream::answerWaiters() {
  waitTimer_.stop();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& [w, render] : waiters) {
    if (!playlist_.empty() || playlist_.ended()) {
      w->respond(render());
    } else {
      w->respond(http::HttpResponse::error(404, "no segment yet for " + key_ + ", retry"));
    }
  }
}

http::HttpResponse HlsStream::serveSegment(uint64_t sequence) const {
  const Segment* s = playlist_.find(sequence);
  if (!s) return http::HttpResponse::error(404, "no such segment: " + std::to_string(sequence));
  http::HttpResponse r;
  r.contentType = "video/mp2t";
  r.headers["Cache-Control"] = "public, max-age=31536000, immutable";
  r.sharedBody = {s->bytes};
  return r;
}

void HlsStream::mirrorToDisk() {
  if (options_.dir.empty() || playlist_.empty()) return;
  const std::string base = options_.dir + "/" + app_ + "/";
  const uint64_t newest = playlist_.nextSequence() - 1;
  const Segment* s = playlist_.find(newest);
  // The segment first, the playlist only once the segment is in place, so a
  // reader of the directory never sees a playlist naming a missing file.
  auto playlistPath = base + name_ + ".m3u8";
  auto playlistText = core::SharedBuffer::copyOf(playlist_.render(name_ + "/"));
  auto failing = diskFailing_;
  auto report = [failing, key = key_](const std::string& error) {
    if (!error.empty() && !*failing)
      spdlog::error("hls {}: cannot write to disk (live HLS keeps going): {}", key, error);
    else if (error.empty() && *failing)
      spdlog::info("hls {}: writing to disk again", key);
    *failing = !error.empty();
  };
  auto& loop = loop_;
  auto writePlaylist = [&loop, playlistPath, playlistText, report](const std::string& error) {
    if (!error.empty()) return report(error);
    core::writeFileAtomically(loop, playlistPath, {playlistText}, report);
  };
  if (s && !playlist_.ended()) {
    core::writeFileAtomically(loop_, base + name_ + "/" + std::to_string(newest) + ".ts",
                              {s->bytes}, writePlaylist);
  } else {
    writePlaylist("");
  }
  // The segment that just left the kept window leaves the disk too.
  const uint64_t kept = options_.window + 3;
  if (!playlist_.ended() && newest >= kept)
    core::removeFile(loop_, base + name_ + "/" + std::to_string(newest - kept) + ".ts");
}

void HlsStream::removeFromDisk() {
  if (options_.dir.empty() || playlist_.empty()) return;
  const std::string base = options_.dir + "/" + app_ + "/";
  core::removeFile(loop_, base + name_ + ".m3u8");
  const uint64_t next = playlist_.nextSequence();
  for (uint64_t seq = next > options_.window + 3 ? next - options_.window - 3 : 0; seq < next;
       ++seq)
    core::removeFile(loop_, base + name_ + "/" + std::to_string(seq) + ".ts");
}

}  // namespace hls
