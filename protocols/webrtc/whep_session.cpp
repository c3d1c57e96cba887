#include "protocols/webrtc/whep_session.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/media/room_event_packet.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/webrtc/h264_packetizer.hpp"
#include "protocols/webrtc/rtcp_packet.hpp"
#include "protocols/webrtc/rtp_packet.hpp"
#include "protocols/webrtc/webrtc_server.hpp"

namespace webrtc {
namespace {

constexpr size_t kRtxPackets = 1024;        // ~1 s of 5 Mbit/s video
constexpr size_t kWhepHeaderReserve = 12;   // the RTP header (no extensions, no CSRC)
constexpr size_t kSrtpTrailerReserve = 16;  // GCM tag; HMAC-SHA1-80 takes 10
// The session's send buffer to begin with: a packet of a 1500-byte MTU and its trailer.
constexpr size_t kWhepSendBufferBytes = 1500 + SrtpSession::kTailRoom;
// A retransmission slot: a video packet is cut to the MTU; an Opus packet is rarely
// over 1275 bytes (RFC 6716 3.2.1: one frame's most), the RTP header on top.
constexpr size_t kWhepRtxSlotFloor = 1275 + kRtpFixedHeaderBytes;
// The B-frame-free rendition: how often the session looks for it, and how long it
// waits (the mixer decodes and encodes the first GOP first).
constexpr uint64_t kRenditionPollMs = 100;
constexpr int64_t kRenditionWaitMs = 10000;

uint32_t whepRandom32() {
  uint32_t v = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v;
}

// NTP time now (RFC 3550 4: seconds since 1900 in the high word).
uint64_t whepNtpNow() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  const uint64_t seconds = static_cast<uint64_t>(us / 1000000) + 2208988800ULL;
  const uint64_t fraction = (static_cast<uint64_t>(us % 1000000) << 32) / 1000000;
  return (seconds << 32) | fraction;
}

}  // namespace

std::unique_ptr<WhepSession> WhepSession::create(WebrtcServer& server, WebrtcSession::Identity id,
                                                 const SdpSession& offer, LocalEndpoint local,
                                                 const std::string& app, const std::string& name,
                                                 int& status, std::string& error) {
  local.videoSsrc = whepRandom32() | 1;
  local.audioSsrc = whepRandom32() | 2;
  local.cname = "roomcast-" + id.id.substr(0, 8);
  local.streamId = app + "-" + name;
  auto negotiated = negotiateAnswer(offer, local, status, error);
  if (!negotiated) return nullptr;
  if (!negotiated->video && !negotiated->audio) {
    status = 422;
    error = "the offer asks for neither video nor audio";
    return nullptr;
  }
  std::unique_ptr<WhepSession> s(
      new WhepSession(server, std::move(id), std::move(*negotiated), app, name));
  const size_t rtxSlot = std::max(server.options().limits.mtu, kWhepRtxSlotFloor);
  if (s->negotiated_.video) {
    Track t;
    t.ssrc = local.videoSsrc;
    t.pt = static_cast<uint8_t>(s->negotiated_.video->pt);
    t.clockRate = 90000;
    t.seq = static_cast<uint16_t>(whepRandom32());
    t.tsBase = whepRandom32();
    t.rtx = std::make_unique<RtxBuffer>(kRtxPackets, rtxSlot);
    s->video_ = std::move(t);
  }
  if (s->negotiated_.audio) {
    Track t;
    t.ssrc = local.audioSsrc;
    t.pt = static_cast<uint8_t>(s->negotiated_.audio->pt);
    t.clockRate = 48000;
    t.seq = static_cast<uint16_t>(whepRandom32());
    t.tsBase = whepRandom32();
    t.rtx = std::make_unique<RtxBuffer>(kRtxPackets / 4, rtxSlot);
    s->audio_ = std::move(t);
  }
  return s;
}

WhepSession::WhepSession(WebrtcServer& server, WebrtcSession::Identity id, Negotiated negotiated,
                         std::string app, std::string name)
    : WebrtcSession(server, std::move(id), negotiated, "whep"),
      negotiated_(std::move(negotiated)),
      streamApp_(std::move(app)),
      streamName_(std::move(name)),
      reports_(server.loop(),
               [this] {
                 sendReports();
                 endLossWindow();
               }),
      renditionPoll_(server.loop(), [this] { pollRendition(); }) {}

WhepSession::~WhepSession() = default;

void WhepSession::onConnected() {
  subscription_ = server_.registry().subscribe(streamApp_, streamName_, *this, "webrtc");
  if (!subscription_) {
    close("the stream ended before the viewer connected");
    return;
  }
  reports_.start(1000, 1000);
  // NOTE: asked whatever the stream's audio is now: a publisher sending AAC or MP3
  // (or one coming back with it) gets its Opus variant; for Opus it costs nothing.
  if (audio_ && server_.options().audioVariants)
    opusDemand_ = server_.options().audioVariants->wantOpus(key());
}

void WhepSession::onPacket(const core::MediaPacket& packet) {
  if (closed_) return;
  if (packet.isVideo() && video_)
    sendVideo(packet);
  else if (packet.isAudio() && audio_)
    sendAudio(packet);
  else if (packet.codec == core::Codec::RoomEvent)
    sendRoomEvent(packet);
}

void WhepSession::sendRoomEvent(const core::MediaPacket& packet) {
  DataTextChannel* channel = roomChannel();
  if (!channel || channel->closed()) return;
  // NOTE: the Stream releases a room event right before the media packet of its
  // stream time, so it leaves here just before that picture's RTP.
  auto json = core::roomEventJson(packet);
  if (!json) return;
  if (channel->sendText(json->view()))
    ++roomEventsSent_;
  else
    ++roomEventsDropped_;
}

void WhepSession::sendVideo(const core::MediaPacket& packet) {
  if (packet.codec != core::Codec::H264) return;
  if (packet.config) {
    avcConfig_.assign(packet.payload.span().begin(), packet.payload.span().end());
    return;
  }
  if (packet.pts != packet.dts) {
    // NOTE: a browser plays B-frames over WebRTC at a few fps (reference/webrtc.md):
    // such a source is played from the mixer's B-frame-free rendition; its video
    // waits meanwhile.
    if (++skippedBFrames_ == 1) wantRendition();
  }
  if (rendition_ == Rendition::Asked) return;
  if (waitingForKey_) {
    if (!packet.keyframe) return;
    waitingForKey_ = false;
  }
  if (!firstPts_) firstPts_ = packet.pts;
  newestVideoPts_ = packet.pts;
  // NOTE: the session keeps the stream's latest keyframe (a refcount: the same
  // bytes and RTP payloads as the GOP cache's first packet) to answer a PLI at once.
  if (packet.keyframe) lastKeyframe_ = packet;
  if (!gate_.admit(packet.keyframe)) return;
  sendVideoFrame(packet, rtpTime(*video_, packet.pts));
}

std::span<const core::SharedBuffer> WhepSession::videoParts(const core::MediaPacket& packet) {
  const size_t mtu = server_.options().limits.mtu;
  const std::vector<uint8_t>& config = avcConfig_;
  // NOTE: the payloads are cut once per packet for every WHEP viewer of the stream
  // (they share the MTU and the stream's config); each viewer adds its header.
  return packet.wireParts(core::WireFormat::RtpVideo, [&](const core::MediaPacket& p) {
    std::vector<core::SharedBuffer> out;
    for (RtpPayload& payload :
         packetizeH264(p, config, mtu - kWhepHeaderReserve - kSrtpTrailerReserve)) {
      std::vector<uint8_t> joined;
      for (const auto& part : payload.parts)
        joined.insert(joined.end(), part.span().begin(), part.span().end());
      out.push_back(core::SharedBuffer::adopt(std::move(joined)));
    }
    return out;
  });
}

void WhepSession::sendVideoFrame(const core::MediaPacket& packet, uint32_t rtpTs) {
  auto parts = videoParts(packet);
  for (size_t i = 0; i < parts.size(); ++i) {
    gate_.monitor().onSent();
    if (!sendPayload(*video_, parts[i], i + 1 == parts.size(), rtpTs))
      gate_.monitor().onSendDropped();
  }
}

void WhepSession::sendAudio(const core::MediaPacket& packet) {
  // The Stream gives this sink Opus only (audioCodecs): the publisher's or the
  // mixer's variant of its AAC/MP3.
  if (packet.codec != core::Codec::Opus || packet.config) return;
  if (waitingForKey_) return;  // audio starts with the picture
  if (!firstPts_) firstPts_ = packet.pts;
  sendPayload(*audio_, packet.payload, false, rtpTime(*audio_, packet.pts));
}

uint32_t WhepSession::rtpTime(Track& track, int64_t ptsMs) {
  const int64_t ms = ptsMs - firstPts_.value_or(ptsMs);
  if (track.rebase) {
    // NOTE: another stream's clock (the rendition's): its first packet goes on from
    // the last one sent plus the wall time since, so the viewer's clock never jumps.
    track.rebase = false;
    if (track.lastSentMs >= 0) {
      const int64_t elapsed = static_cast<int64_t>(server_.loop().nowMs()) - track.lastSentMs;
      const uint32_t next = track.lastRtpTs + static_cast<uint32_t>(std::max<int64_t>(
                                                  1, elapsed * (track.clockRate / 1000)));
      track.tsBase =
          next - static_cast<uint32_t>(ms * static_cast<int64_t>(track.clockRate / 1000));
    }
  }
  return track.tsBase + static_cast<uint32_t>(ms * static_cast<int64_t>(track.clockRate / 1000));
}

bool WhepSession::sendPayload(Track& track, const core::SharedBuffer& payload, bool marker,
                              uint32_t rtpTs) {
  RtpHeader h;
  h.marker = marker;
  h.pt = track.pt;
  h.seq = track.seq++;
  h.timestamp = rtpTs;
  h.ssrc = track.ssrc;
  // NOTE: built, kept and protected in the session's one buffer (grown only by an
  // unusually big payload): no allocation per packet.
  const size_t length = kRtpFixedHeaderBytes + payload.size();
  std::span<uint8_t> buffer = sendBuffer(length);
  writeFixedRtpHeader(h, buffer.first<kRtpFixedHeaderBytes>());
  if (!payload.empty())
    std::memcpy(buffer.data() + kRtpFixedHeaderBytes, payload.data(), payload.size());
  track.rtx->store(h.seq, buffer.first(length));
  ++track.packets;
  track.octets += payload.size();
  track.lastRtpTs = rtpTs;
  track.lastSentMs = static_cast<int64_t>(server_.loop().nowMs());
  if (subscription_) subscription_->countBytesOut(length);
  return transport_->sendRtp(buffer, length);
}

std::span<uint8_t> WhepSession::sendBuffer(size_t packetBytes) {
  const size_t need = packetBytes + SrtpSession::kTailRoom;
  if (sendBuffer_.size() < need) sendBuffer_.resize(std::max(need, kWhepSendBufferBytes));
  return sendBuffer_;
}

void WhepSession::wantRendition() {
  // NOTE: inside the Stream's callback: the rendition's pipeline subscribes to this
  // same stream, so it is asked for from a timer (a subscription made during a
  // delivery would get the packet being delivered twice).
  rendition_ = Rendition::Asked;
  renditionAskedMs_ = static_cast<int64_t>(server_.loop().nowMs());
  renditionPoll_.start(0, kRenditionPollMs);
}

bool WhepSession::holdRendition() {
  core::WebrtcRenditions* renditions = server_.options().renditions;
  std::string error;
  if (renditions) renditionHold_ = renditions->holdWebrtcRendition(key(), error);
  if (!renditionHold_) {
    playSourceAsItIs(renditions ? error : "no mixer");
    return false;
  }
  renditionKey_ = renditionHold_->key();
  spdlog::info("{}: the source has B-frames: waits for its rendition {}", name(), *renditionKey_);
  return true;
}

void WhepSession::playSourceAsItIs(const std::string& why) {
  renditionPoll_.stop();
  renditionHold_.reset();
  rendition_ = Rendition::Refused;
  waitingForKey_ = true;  // the frames skipped while it waited
  spdlog::warn("{}: the source has B-frames and no rendition without them ({}): played as it is",
               name(), why);
}

void WhepSession::pollRendition() {
  if (closed_ || rendition_ != Rendition::Asked) {
    renditionPoll_.stop();
    return;
  }
  if (!renditionHold_ && !holdRendition()) return;
  const core::Stream* s = server_.registry().find(*renditionKey_);
  if (!s || !s->hasPublisher()) {
    if (static_cast<int64_t>(server_.loop().nowMs()) - renditionAskedMs_ > kRenditionWaitMs)
      playSourceAsItIs(*renditionKey_ + " did not start in " + std::to_string(kRenditionWaitMs) +
                       " ms");
    return;
  }
  renditionPoll_.stop();
  rendition_ = Rendition::Playing;
  subscription_.reset();
  avcConfig_.clear();
  waitingForKey_ = true;
  lastKeyframe_.reset();
  gate_.restart();
  for (Track* t : {video_ ? &*video_ : nullptr, audio_ ? &*audio_ : nullptr})
    if (t) t->rebase = true;
  const size_t slash = renditionKey_->find('/');
  subscription_ = server_.registry().subscribe(renditionKey_->substr(0, slash),
                                               renditionKey_->substr(slash + 1), *this, "webrtc");
  if (!subscription_) {
    close("the rendition " + *renditionKey_ + " ended before the viewer moved to it");
    return;
  }
  // The rendition carries the source's audio as it is: an AAC one needs its own
  // Opus variant (the source's stops a while after this token goes).
  if (audio_ && server_.options().audioVariants)
    opusDemand_ = server_.options().audioVariants->wantOpus(*renditionKey_);
  spdlog::info("{}: plays {} (no B-frames)", name(), *renditionKey_);
}

void WhepSession::onRtp(std::vector<uint8_t>&) {
  // A sendonly answer: the viewer sends no media (counted by the transport).
}

void WhepSession::onRtcp(std::vector<uint8_t>& packet) {
  std::string error;
  auto compound = parseRtcp(packet, error);
  if (!compound) {
    spdlog::debug("{}: bad RTCP: {}", name(), error);
    return;
  }
  answerNacks(compound->nacks);
  if (video_)
    for (const RtcpReportBlock& block : compound->reports)
      if (block.ssrc == video_->ssrc)
        gate_.monitor().onReceiverReport(block.cumulativeLost, block.highestSeq);
  if (!compound->plis.empty() || !compound->firs.empty()) answerPictureLoss();
}

void WhepSession::answerNacks(const std::vector<RtcpNack>& nacks) {
  for (const RtcpNack& nack : nacks) {
    const bool video = video_ && nack.mediaSsrc == video_->ssrc;
    Track* t = video ? &*video_ : audio_ && nack.mediaSsrc == audio_->ssrc ? &*audio_ : nullptr;
    if (!t) continue;
    if (video) videoCounters_.nackedSeqs += nack.lost.size();
    for (uint16_t seq : nack.lost) {
      // NOTE: libsrtp allows the same packet again (allow_repeat_tx): a resend is
      // the original bytes, not RTX (no rtx payload type was negotiated).
      bool first = false;
      auto stored = t->rtx->findForResend(seq, first);
      if (stored) {
        std::span<uint8_t> buffer = sendBuffer(stored->size());
        std::memcpy(buffer.data(), stored->data(), stored->size());
        transport_->sendRtp(buffer, stored->size());
      }
      if (!video) continue;
      ++(stored ? videoCounters_.resent : videoCounters_.resendMissed);
      // A packet lost once counts once (not each repeat of its NACK); one too old
      // to resend counts each time.
      if (first || !stored) gate_.monitor().onNacked(1);
    }
  }
}

void WhepSession::answerPictureLoss() {
  if (!video_) return;
  std::optional<int64_t> cachedAge;
  if (lastKeyframe_ && !waitingForKey_) cachedAge = newestVideoPts_ - lastKeyframe_->pts;
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  switch (gate_.onPictureLoss(now, cachedAge)) {
    case VideoGate::LossAnswer::Ignore:
      return;
    case VideoGate::LossAnswer::RequestSource:
      server_.registry().requestKeyframe(playingKey(), name());
      return;
    case VideoGate::LossAnswer::ResendCachedAndRequest:
      resendCachedKeyframe();
      server_.registry().requestKeyframe(playingKey(), name());
      return;
    case VideoGate::LossAnswer::ResendCached:
      resendCachedKeyframe();
      return;
  }
}

void WhepSession::resendCachedKeyframe() {
  // NOTE: fresh sequence numbers and a timestamp after the last frame sent (its own
  // plus the wall time since, at least one tick): a receiver drops a frame older
  // than one it already has. The SPS/PPS go with it (packetizeH264 puts them first).
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  const int64_t elapsed = video_->lastSentMs < 0 ? 0 : now - video_->lastSentMs;
  const uint32_t ts = video_->lastRtpTs + static_cast<uint32_t>(std::max<int64_t>(1, elapsed * 90));
  ++videoCounters_.keyframesFromCache;
  spdlog::debug("{}: picture loss: the cached keyframe ({} ms behind) resent", name(),
                newestVideoPts_ - lastKeyframe_->pts);
  sendVideoFrame(*lastKeyframe_, ts);
}

void WhepSession::endLossWindow() {
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  const auto& m = gate_.monitor().stats();
  switch (gate_.endWindow()) {
    case SlowViewerMonitor::Change::Entered:
      keyframesOnlySinceMs_ = now;
      spdlog::warn("{}: the viewer does not keep up ({:.0f}% of its video lost): keyframes only",
                   name(), m.lastLoss * 100);
      return;
    case SlowViewerMonitor::Change::Left:
      videoCounters_.keyframesOnlyMs += static_cast<uint64_t>(now - keyframesOnlySinceMs_);
      keyframesOnlySinceMs_ = -1;
      spdlog::info("{}: the viewer keeps up again: full video from the next keyframe", name());
      return;
    case SlowViewerMonitor::Change::None:
      return;
  }
}

nlohmann::json WhepSession::describe() const {
  nlohmann::json out = WebrtcSession::describe();
  if (!video_) return out;
  const auto& g = gate_.stats();
  const auto& m = gate_.monitor().stats();
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  const uint64_t slowMs = videoCounters_.keyframesOnlyMs +
                          (keyframesOnlySinceMs_ < 0 ? 0 : now - keyframesOnlySinceMs_);
  out["video"] = {{"packets", video_->packets},
                  {"nacked_seqs", videoCounters_.nackedSeqs},
                  {"resent", videoCounters_.resent},
                  {"resend_missed", videoCounters_.resendMissed},
                  {"picture_losses", g.pictureLosses},
                  {"keyframes_from_cache", videoCounters_.keyframesFromCache},
                  {"keyframe_requests", g.sourceRequests},
                  {"picture_losses_ignored", g.ignored},
                  {"deltas_held", g.deltasHeld},
                  {"keyframes_only", gate_.keyframesOnly()},
                  {"keyframes_only_times", m.entered},
                  {"keyframes_only_ms", slowMs},
                  {"deltas_skipped", g.deltasSkipped},
                  {"loss", std::round(m.lastLoss * 1000) / 1000},
                  {"b_frames_seen", skippedBFrames_}};
  out["plays"] = playingKey();
  return out;
}

void WhepSession::sendReports() {
  if (!transport_->connected()) return;
  const uint64_t ntp = whepNtpNow();
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  for (Track* t : {video_ ? &*video_ : nullptr, audio_ ? &*audio_ : nullptr}) {
    if (!t || t->lastSentMs < 0) continue;
    RtcpSenderReport sr;
    sr.ssrc = t->ssrc;
    sr.ntp = ntp;
    // The RTP time of "now": the last packet's plus the wall time since it left.
    sr.rtpTimestamp =
        t->lastRtpTs + static_cast<uint32_t>((now - t->lastSentMs) * (t->clockRate / 1000));
    sr.packets = static_cast<uint32_t>(t->packets);
    sr.octets = static_cast<uint32_t>(t->octets);
    transport_->sendRtcp(buildSenderReport(sr));
  }
}

void WhepSession::onPublisherGone(std::string_view reason) {
  // The stream waits for its publisher: keep the session; the next picture starts
  // at a keyframe (the old publisher's is no answer to a picture loss any more).
  waitingForKey_ = true;
  lastKeyframe_.reset();
  gate_.restart();
}

void WhepSession::onStreamEnd(std::string_view reason) {
  // NOTE: close() only hands the session to the server, which destroys it (and the
  // subscription) after this loop turn: safe inside the Stream's callback.
  close("the stream ended: " + std::string(reason));
}

void WhepSession::onClose(std::string_view) {
  reports_.stop();
  renditionPoll_.stop();
  renditionHold_.reset();  // the rendition stops a while after its last viewer
  if (video_) {
    const auto& g = gate_.stats();
    WebrtcServer::WhepTotals& t = server_.endedWhepTotals();
    ++t.sessions;
    t.nackedSeqs += videoCounters_.nackedSeqs;
    t.resent += videoCounters_.resent;
    t.keyframesFromCache += videoCounters_.keyframesFromCache;
    t.keyframeRequests += g.sourceRequests;
    t.keyframesOnlyTimes += gate_.monitor().stats().entered;
    spdlog::info(
        "{}: video: {} packets, {} NACKed seqs ({} resent, {} too old), {} picture losses ({} "
        "from the cached keyframe, {} asked the source), keyframes only {} times",
        name(), video_->packets, videoCounters_.nackedSeqs, videoCounters_.resent,
        videoCounters_.resendMissed, g.pictureLosses, videoCounters_.keyframesFromCache,
        g.sourceRequests, gate_.monitor().stats().entered);
  }
  opusDemand_.reset();  // the last viewer gone: the variant stops a while after
  if (roomChannel())
    spdlog::info("{}: {} room events sent on the data channel, {} dropped", name(), roomEventsSent_,
                 roomEventsDropped_);
  // NOTE: the sink must not drop its subscription inside a Stream callback: the
  // server destroys the session after this loop turn (deferDelete).
}

}  // namespace webrtc
