#include "protocols/hls/ll_hls_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/format/timed_metadata.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"
#include "core/media/room_event_packet.hpp"

namespace hls {
namespace {

// Bounds on what players can make us hold.
constexpr size_t kMaxWaiters = 10000;
constexpr uint64_t kWaiterCheckMs = 100;

}  // namespace

bool LlHlsStream::PendingPart::empty() const {
  for (const auto& t : samples)
    if (!t.empty()) return false;
  return true;
}

LlHlsStream::LlHlsStream(core::EventLoop& loop, std::string app, std::string name,
                         const LlHlsOptions& options, std::function<void()> onExpired)
    : loop_(loop),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(app_ + "/" + name_),
      options_(options),
      onExpired_(std::move(onExpired)),
      log_([this] { return "llhls " + key_; }, [&loop] { return loop.nowMs(); }),
      playlist_({options.segmentMs, options.partMs, options.window, 3}),
      grid_(options.segmentMs),
      id3_(options.id3MergeMs),
      waitTimer_(loop, [this] { expireWaiters(); }),
      expireTimer_(loop, [this] { onExpired_(); }) {}

LlHlsStream::~LlHlsStream() {
  for (auto& w : waiters_) w.responder->respond(http::HttpResponse::error(404, "stream gone"));
}

void LlHlsStream::attach(core::StreamRegistry& registry) {
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

void LlHlsStream::onStreamStart(const core::Stream&) {
  reset("new publisher");
}

void LlHlsStream::reset(std::string_view why) {
  if (inPart_) cutPart(lastDts_ + lastDelta_[0]);
  if (segmentOpen_) closeSegment(lastDts_ + lastDelta_[0]);
  if (!tracks_.empty()) {
    spdlog::debug("llhls {}: tracks reset ({})", key_, why);
    pendingDiscontinuity_ = true;
  }
  tracks_.clear();
  inPart_ = false;
  segmentPending_ = false;
}

bool LlHlsStream::setUpTracks() {
  tracks_.clear();
  if (videoConfig_ && videoConfig_->codec == core::Codec::H264)
    tracks_.push_back({core::MediaKind::Video, core::Codec::H264, videoConfig_->payload});
  if (audioConfig_ && audioConfig_->codec == core::Codec::AAC)
    tracks_.push_back({core::MediaKind::Audio, core::Codec::AAC, audioConfig_->payload});
  std::string error;
  auto init = core::buildFmp4Init(tracks_, &error);
  if (!init) {
    log_.warn("init segment", "cannot build an fMP4 init segment: {}", error);
    tracks_.clear();
    return false;
  }
  inits_.push_back(core::SharedBuffer::adopt(std::move(*init)));
  part_.samples.assign(tracks_.size(), {});
  return true;
}

void LlHlsStream::onRoomEvent(const core::MediaPacket& packet) {
  // NOTE: before the first part there is no fragment to carry it; players join at
  // a part anyway, and the room's WebSocket has the event.
  if (!options_.roomEvents || tracks_.empty()) return;
  auto json = core::roomEventJson(packet);
  if (!json) return;
  id3_.add(packet.dts, std::move(*json));
}

void LlHlsStream::onPacket(const core::MediaPacket& packet) {
  if (packet.codec == core::Codec::RoomEvent) {
    onRoomEvent(packet);
    return;
  }
  if (packet.kind == core::MediaKind::Data) return;
  if (packet.config) {
    auto& slot = packet.isVideo() ? videoConfig_ : audioConfig_;
    // NOTE: a track whose config comes after the tracks were set up (the mixer's
    // AAC variant of a WHIP stream) is a change too, or it would never be muxed.
    const bool changed = slot ? !slot->payload.equals(packet.payload) : !tracks_.empty();
    slot = packet;
    if (changed) {
      reset("codec configuration changed");
      if (registry_) registry_->requestKeyframe(key_, "llhls");  // as HlsStream
    }
    return;
  }
  const bool hasVideo = videoConfig_.has_value();
  const bool videoKey = packet.isVideo() && packet.keyframe;
  const bool boundaryTrack = hasVideo ? packet.isVideo() : packet.isAudio();
  const bool segmentBoundary = hasVideo ? videoKey : packet.isAudio();

  if (segmentBoundary) keyAsker_.satisfied();
  if ((tracks_.empty() || !inPart_) && !segmentBoundary) {
    // NOTE: as HlsStream: a WHIP publisher is asked again while none comes.
    if (hasVideo && packet.isVideo()) keyAsker_.need(registry_, packet.dts, "llhls: to start");
    return;
  }
  if (tracks_.empty() && !setUpTracks()) return;
  // Where does this packet go? Cuts happen only before a packet of the boundary
  // track, so every part ends where the next one starts.
  if (!inPart_) {
    startSegment(packet);
  } else if (boundaryTrack) {
    // NOTE: on the pts grid, like HlsStream: renditions of one source cut alike.
    const bool due = grid_.crosses(segmentStartPts_, packet.pts);
    const bool newSegment = segmentBoundary && due;
    if (due && !newSegment && hasVideo) keyAsker_.need(registry_, packet.dts, "llhls: segment due");
    // NOTE: a part must not exceed PART-TARGET (RFC 8216bis 4.4.4.9), so it is cut
    // at the last frame boundary before the next frame would take it over.
    const int64_t frame = lastDelta_[packet.isVideo() ? 0 : 1];
    if (newSegment || packet.dts - part_.startDts + frame >= options_.partMs) {
      cutPart(packet.dts);
      if (newSegment) {
        closeSegment(packet.dts);
        startSegment(packet);
      }
    }
  }
  if (!inPart_) {
    inPart_ = true;
    part_.startDts = packet.dts;
    part_.independent = videoKey || !hasVideo;
  }
  const int kindIndex = packet.isVideo() ? 0 : 1;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    if (tracks_[t].kind != packet.kind) continue;
    auto& samples = part_.samples[t];
    if (!samples.empty() && packet.dts > samples.back().dtsMs)
      lastDelta_[kindIndex] = std::min<int64_t>(packet.dts - samples.back().dtsMs, 1000);
    samples.push_back(
        {packet.dts, packet.pts, lastDelta_[kindIndex], packet.keyframe, packet.payload});
  }
  lastDts_ = std::max(lastDts_, packet.dts);
}

void LlHlsStream::startSegment(const core::MediaPacket& first) {
  segmentPending_ = true;
  segmentStartDts_ = first.dts;
  segmentStartPts_ = first.pts;
  segmentProgramDateMs_ = core::wallClockMs();
  // The playlist's first segment is numbered by its grid slot; later ones count on.
  playlist_.startAt(grid_.firstSequence(first.pts));
}

void LlHlsStream::cutPart(int64_t endDts) {
  inPart_ = false;
  if (part_.empty()) return;
  core::Fmp4Fragment fragment;
  fragment.sequenceNumber = fragmentSequence_++;
  fragment.samplesPerTrack = std::move(part_.samples);
  // The events of this part's time ride before its moof.
  // NOTE: timescale 1000 with the stream time: the same timeline as the tracks'
  // tfdt (dts ms x timescale), which is where hls.js places emsg ID3 cues.
  for (const auto& tag : id3_.takeBefore(endDts, /*closeOpen=*/true)) {
    fragment.leadingBoxes.push_back(
        core::buildEmsgV1(1000, static_cast<uint64_t>(std::max<int64_t>(0, tag.ptsMs)), 0,
                          ++emsgIds_, core::kEmsgId3Scheme, "", tag.bytes));
  }
  part_.samples.assign(tracks_.size(), {});
  std::string error;
  auto bytes = core::buildFmp4Fragment(tracks_, fragment, &error);
  if (bytes.empty()) {
    log_.warn("part dropped", "part dropped: {}", error);
    return;
  }
  if (segmentPending_) {
    segmentPending_ = false;
    segmentOpen_ = true;
    playlist_.beginSegment(segmentProgramDateMs_, pendingDiscontinuity_,
                           static_cast<uint32_t>(inits_.size() - 1));
    pendingDiscontinuity_ = false;
  }
  playlist_.addPart({std::max<int64_t>(1, endDts - part_.startDts), part_.independent,
                     core::SharedBuffer::adopt(std::move(bytes))});
  changed();
}

void LlHlsStream::closeSegment(int64_t endDts) {
  if (!segmentOpen_) return;
  segmentOpen_ = false;
  playlist_.completeSegment(std::max<int64_t>(1, endDts - segmentStartDts_));
  changed();
}

void LlHlsStream::onStreamEnd(std::string_view reason) {
  log_.flush();
  subscription_.reset();  // already detached by the Stream
  reset("stream ended");
  playlist_.end();
  changed();
  expireTimer_.start(static_cast<uint64_t>(options_.keepEndedMs));
}

void LlHlsStream::changed() {
  rendered_ = {};
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) {
    if (!w.responder->alive()) continue;
    if (!satisfied(w)) {
      waiters_.push_back(std::move(w));
      continue;
    }
    if (!w.forPart) {
      w.responder->respond(playlistResponse(w.query));
    } else if (const LlPart* p = playlist_.findPart(w.msn, *w.part)) {
      w.responder->respond(partResponse(*p));
    } else {
      w.responder->respond(http::HttpResponse::error(404, "no such part"));
    }
  }
  if (waiters_.empty()) waitTimer_.stop();
}

bool LlHlsStream::satisfied(const Waiter& w) const {
  if (playlist_.ended()) return true;
  if (!w.forPart) return playlist_.has(w.msn, w.part);
  return playlist_.findPart(w.msn, *w.part) != nullptr || playlist_.has(w.msn + 1, std::nullopt);
}

void LlHlsStream::hold(Waiter w) {
  if (waiters_.size() >= kMaxWaiters) {
    w.responder->respond(http::HttpResponse::error(503, "too many blocked requests"));
    return;
  }
  waiters_.push_back(std::move(w));
  if (!waitTimer_.active()) waitTimer_.start(kWaiterCheckMs, kWaiterCheckMs);
}

void LlHlsStream::expireWaiters() {
  const uint64_t now = loop_.nowMs();
  std::erase_if(waiters_, [now](Waiter& w) {
    if (!w.responder->alive()) return true;
    if (now < w.deadlineMs) return false;
    w.responder->respond(http::HttpResponse::error(503, "not available in time, retry"));
    return true;
  });
  if (waiters_.empty()) waitTimer_.stop();
}

http::HttpResponse LlHlsStream::playlistResponse(const std::string& query) const {
  http::HttpResponse r;
  r.contentType = "application/vnd.apple.mpegurl";
  r.headers["Cache-Control"] = "no-cache";
  if (rendered_.empty()) rendered_ = core::SharedBuffer::copyOf(playlist_.render("ll/"));
  r.sharedBody = {rendered_};
  // NOTE: the siblings move on their own, and signed URIs depend on the request:
  // the reports follow the cached text, made for each response.
  if (reports_) {
    const std::string lines = renderRenditionReports(reports_(query));
    if (!lines.empty()) r.sharedBody.push_back(core::SharedBuffer::copyOf(lines));
  }
  return r;
}

http::HttpResponse LlHlsStream::partResponse(const LlPart& part) const {
  http::HttpResponse r;
  r.contentType = "video/mp4";
  r.headers["Cache-Control"] = "public, max-age=60";
  r.sharedBody = {part.bytes};
  return r;
}

http::HttpResponse LlHlsStream::servePlaylist(std::optional<uint64_t> msn,
                                              std::optional<uint64_t> part,
                                              const std::string& query,
                                              http::HttpExchange& exchange) {
  // NOTE: RFC 8216bis 6.2.5.2: a request more than two segments ahead is refused.
  if (msn && playlist_.tooFarAhead(*msn))
    return http::HttpResponse::error(400, "_HLS_msn is more than two segments ahead");
  const uint64_t target = msn.value_or(0);
  const bool ready =
      playlist_.ended() || (!playlist_.empty() && (!msn || playlist_.has(target, part)));
  if (ready) return playlistResponse(query);
  // Not there yet (or nothing at all yet): hold, at most three target durations.
  hold({exchange.defer(), false, msn ? target : 0, msn ? part : std::optional<uint64_t>(0),
        loop_.nowMs() + 3 * static_cast<uint64_t>(playlist_.targetDurationSeconds()) * 1000,
        query});
  return {};
}

http::HttpResponse LlHlsStream::servePart(uint64_t msn, uint64_t part,
                                          http::HttpExchange& exchange) {
  if (const LlPart* p = playlist_.findPart(msn, part)) return partResponse(*p);
  // The preload-hinted part (or one just before it appears) is held until cut.
  const bool upcoming = msn == playlist_.nextMsn() || (msn == playlist_.nextMsn() + 1 && part == 0);
  if (!upcoming || playlist_.ended())
    return http::HttpResponse::error(
        404, "no such part: " + std::to_string(msn) + "." + std::to_string(part));
  hold({exchange.defer(), true, msn, part,
        loop_.nowMs() + 3 * static_cast<uint64_t>(playlist_.targetDurationSeconds()) * 1000});
  return {};
}

http::HttpResponse LlHlsStream::serveSegment(uint64_t msn) const {
  const LlSegment* s = playlist_.find(msn);
  if (!s || !s->complete)
    return http::HttpResponse::error(404, "no such segment: " + std::to_string(msn));
  http::HttpResponse r;
  r.contentType = "video/mp4";
  r.headers["Cache-Control"] = "public, max-age=31536000, immutable";
  for (const auto& p : s->parts) r.sharedBody.push_back(p.bytes);  // the parts, unchanged
  return r;
}

http::HttpResponse LlHlsStream::serveInit(uint32_t version) const {
  if (version >= inits_.size()) return http::HttpResponse::error(404, "no such init segment");
  http::HttpResponse r;
  r.contentType = "video/mp4";
  r.headers["Cache-Control"] = "public, max-age=31536000, immutable";
  r.sharedBody = {inits_[version]};
  return r;
}

}  // namespace hls
