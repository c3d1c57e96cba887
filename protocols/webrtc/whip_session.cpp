#include "protocols/webrtc/whip_session.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "core/media/publish_spec.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/webrtc/rtcp_packet.hpp"
#include "protocols/webrtc/webrtc_server.hpp"

namespace webrtc {
namespace {

constexpr size_t kWhipJitterPackets = 2048;  // ~2 s of 8 Mbit/s video
constexpr int64_t kWhipJitterWaitMs = 300;   // a gap waits this long for a resend
constexpr int64_t kWhipPliGapMs = 500;       // at most one PLI per this long
constexpr uint64_t kWhipTickMs = 20;
constexpr int64_t kWhipRembEveryMs = 500;  // REMB cadence (the first goes at once)

}  // namespace

WhipSession::Track::Track(bool isVideo)
    : video(isVideo),
      clockRate(isVideo ? 90000 : 48000),
      jitter(isVideo ? kWhipJitterPackets : kWhipJitterPackets / 8, kWhipJitterWaitMs),
      stats(isVideo ? 90000 : 48000) {}

std::unique_ptr<WhipSession> WhipSession::create(WebrtcServer& server, WebrtcSession::Identity id,
                                                 const SdpSession& offer, LocalEndpoint local,
                                                 const std::string& app, const std::string& name,
                                                 int& status, std::string& error) {
  auto negotiated = negotiateAnswer(offer, local, status, error);
  if (!negotiated) return nullptr;
  if (!negotiated->video) {
    status = 422;
    error = "the offer sends no H.264 video";
    return nullptr;
  }
  const std::string peer = id.peerIp;
  std::unique_ptr<WhipSession> s(new WhipSession(server, std::move(id), std::move(*negotiated)));
  core::PublishSpec spec;
  spec.app = app;
  spec.name = name;
  spec.peer = peer;
  spec.origin = core::StreamOrigin::WebRtc;
  if (s->negotiated_.audio) spec.audio = core::Codec::Opus;  // the only audio WHIP takes
  spec.videoOnly = !s->negotiated_.audio;
  WhipSession* raw = s.get();
  s->lease_ = server.registry().publish(
      spec,
      [raw](std::string_view why) {
        raw->lease_.reset();
        raw->close("another publisher took the stream over: " + std::string(why));
      },
      error);
  if (!s->lease_) {
    status = 409;
    error = "cannot publish " + app + "/" + name + ": " + error;
    return nullptr;
  }
  s->lease_->onKeyframeRequest([raw] { raw->requestKeyframe("a viewer asked"); });
  s->video_.emplace(true);
  s->video_->pt = static_cast<uint8_t>(s->negotiated_.video->pt);
  if (s->negotiated_.audio) {
    s->audio_.emplace(false);
    s->audio_->pt = static_cast<uint8_t>(s->negotiated_.audio->pt);
  }
  return s;
}

WhipSession::WhipSession(WebrtcServer& server, WebrtcSession::Identity id, Negotiated negotiated)
    : WebrtcSession(server, std::move(id), negotiated, "whip"),
      negotiated_(std::move(negotiated)),
      startMs_(static_cast<int64_t>(server.loop().nowMs())),
      timeline_(negotiated_.video ? negotiated_.video->clockRate : 90000,
                negotiated_.audio ? negotiated_.audio->clockRate : 48000),
      tick_(server.loop(), [this] { onTick(); }),
      remb_(server.options().whipMaxKbps * 1000) {
  RAND_bytes(reinterpret_cast<unsigned char*>(&receiverSsrc_), sizeof receiverSsrc_);
}

WhipSession::~WhipSession() = default;

void WhipSession::onConnected() {
  tick_.start(kWhipTickMs, kWhipTickMs);
  requestKeyframe("the session started");
}

WhipSession::Track* WhipSession::trackFor(const RtpHeader& header) {
  for (Track* t : {video_ ? &*video_ : nullptr, audio_ ? &*audio_ : nullptr}) {
    if (!t || t->pt != header.pt) continue;
    if (!t->ssrc) t->ssrc = header.ssrc;
    // NOTE: one SSRC per track (no simulcast, no RTX payload type negotiated).
    return *t->ssrc == header.ssrc ? t : nullptr;
  }
  return nullptr;
}

void WhipSession::onRtp(std::vector<uint8_t>& packet) {
  if (!lease_) return;
  std::string error;
  auto header = parseRtp(packet, error);
  if (!header) {
    spdlog::debug("{}: bad RTP: {}", name(), error);
    return;
  }
  Track* track = trackFor(*header);
  if (!track) return;  // another payload type or SSRC: not negotiated, ignored
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  track->stats.onPacket(header->seq, header->timestamp, now);
  remb_.onPacket(header->ssrc, header->seq, packet.size(), now);
  if (track->video && !lastRembMs_) sendRemb(now);  // at once: the sender's start phase
  JitterPacket p;
  p.seq = header->seq;
  p.timestamp = header->timestamp;
  p.marker = header->marker;
  p.bytes = core::SharedBuffer::adopt(std::move(packet));
  p.arrivalMs = now;
  track->jitter.insert(std::move(p), now);
  drain(*track);
  sendNacks(*track);
}

void WhipSession::drain(Track& track) {
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  for (JitterBuffer::Out& out : track.jitter.pop(now)) {
    std::string error;
    auto header = parseRtp(out.packet.bytes.span(), error);
    if (!header) continue;
    auto payload = header->payloadOf(out.packet.bytes.span());
    if (!track.video) {
      pushAudio(track, *header, payload);
      continue;
    }
    auto unit = depacketizer_.push(*header, payload, out.lossBefore);
    if (depacketizer_.needsKeyframe()) requestKeyframe("a loss broke the picture");
    for (; unit; unit = depacketizer_.takeReady()) pushVideo(track, std::move(*unit));
  }
}

int64_t WhipSession::mediaMs(Track& track, uint32_t rtpTs) {
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs()) - startMs_;
  const int64_t ms =
      timeline_.ms(track.video ? RtpTimeline::Track::Video : RtpTimeline::Track::Audio, rtpTs, now);
  if (auto sync = timeline_.takeSync()) logSync(*sync);
  return ms;
}

void WhipSession::logSync(const RtpTimeline::Sync& sync) {
  spdlog::info("{}: lip-sync from the sender reports: audio moved by {} ms (now {} ms)", name(),
               sync.changeMs, sync.audioOffsetMs);
}

void WhipSession::pushVideo(Track& track, H264Depacketizer::AccessUnit unit) {
  const int64_t ms = mediaMs(track, unit.rtpTimestamp);
  if (auto config = depacketizer_.takeNewConfig()) {
    core::MediaPacket c;
    c.kind = core::MediaKind::Video;
    c.codec = core::Codec::H264;
    c.config = true;
    c.dts = c.pts = ms;
    c.payload = core::SharedBuffer::adopt(std::move(*config));
    lease_->push(std::move(c));
  }
  core::MediaPacket p;
  p.kind = core::MediaKind::Video;
  p.codec = core::Codec::H264;
  p.keyframe = unit.keyframe;
  p.dts = p.pts = ms;
  p.payload = core::SharedBuffer::adopt(std::move(unit.avcc));
  lease_->push(std::move(p));
  ++pushedVideo_;
}

void WhipSession::pushAudio(Track& track, const RtpHeader& header,
                            std::span<const uint8_t> payload) {
  if (payload.empty()) return;  // DTX comfort noise gaps carry nothing
  const int64_t ms = mediaMs(track, header.timestamp);
  if (lastAudioMs_ && ms <= *lastAudioMs_) {
    // NOTE: the lip-sync moved the audio back: what it moved behind frames already
    // pushed goes (at most the move's length, once).
    ++audioDroppedBySync_;
    return;
  }
  lastAudioMs_ = ms;
  core::MediaPacket p;
  p.kind = core::MediaKind::Audio;
  p.codec = core::Codec::Opus;
  p.dts = p.pts = ms;
  p.payload = core::SharedBuffer::copyOf(payload);
  lease_->push(std::move(p));
  ++pushedAudio_;
}

void WhipSession::sendNacks(Track& track) {
  if (!track.ssrc || !negotiated_.video) return;
  const bool nackOk =
      track.video ? negotiated_.video->nack : negotiated_.audio && negotiated_.audio->nack;
  if (!nackOk) return;
  std::vector<uint16_t> lost = track.jitter.nacks(static_cast<int64_t>(server_.loop().nowMs()));
  if (lost.empty()) return;
  RtcpNack nack;
  nack.senderSsrc = receiverSsrc_;
  nack.mediaSsrc = *track.ssrc;
  nack.lost = std::move(lost);
  transport_->sendRtcp(buildNack(nack));
}

void WhipSession::requestKeyframe(const char* why) {
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  if (!video_ || !video_->ssrc || now - lastPliMs_ < kWhipPliGapMs) return;
  lastPliMs_ = now;
  ++plis_;
  spdlog::debug("{}: PLI ({})", name(), why);
  RtcpPli pli;
  pli.senderSsrc = receiverSsrc_;
  pli.mediaSsrc = *video_->ssrc;
  transport_->sendRtcp(buildPli(pli));
}

void WhipSession::onTick() {
  for (Track* t : {video_ ? &*video_ : nullptr, audio_ ? &*audio_ : nullptr}) {
    if (!t) continue;
    drain(*t);  // gaps past their wait are given up on
    sendNacks(*t);
  }
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  if (now - lastReportMs_ >= 1000) {
    lastReportMs_ = now;
    sendReports();
  }
  if (lastRembMs_ && now - *lastRembMs_ >= kWhipRembEveryMs) {
    remb_.update(now);
    sendRemb(now);
  }
}

void WhipSession::onRtcp(std::vector<uint8_t>& packet) {
  std::string error;
  auto compound = parseRtcp(packet, error);
  if (!compound) {
    spdlog::debug("{}: bad RTCP: {}", name(), error);
    return;
  }
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  for (const RtcpSenderReport& sr : compound->srs) {
    for (Track* t : {video_ ? &*video_ : nullptr, audio_ ? &*audio_ : nullptr}) {
      if (!t || !t->ssrc || *t->ssrc != sr.ssrc) continue;
      t->stats.onSenderReport(sr.ntp, now);
      onSenderReport(*t, sr);
    }
  }
}

void WhipSession::onSenderReport(Track& track, const RtcpSenderReport& sr) {
  const uint64_t rejectedBefore = timeline_.rejectedReports();
  auto sync = timeline_.onSenderReport(
      track.video ? RtpTimeline::Track::Video : RtpTimeline::Track::Audio, sr.ntp, sr.rtpTimestamp);
  if (sync) {
    spdlog::info("{}: lip-sync from the sender reports: audio moved by {} ms (now {} ms)", name(),
                 sync->changeMs, sync->audioOffsetMs);
  } else if (timeline_.rejectedReports() == 1 && rejectedBefore == 0) {
    spdlog::warn("{}: sender reports put audio and video more than {} ms apart: ignored", name(),
                 RtpTimeline::kMaxSyncMs);
  }
}

void WhipSession::sendReports() {
  std::vector<RtcpReportBlock> blocks;
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  for (Track* t : {video_ ? &*video_ : nullptr, audio_ ? &*audio_ : nullptr}) {
    if (!t || !t->ssrc) continue;
    auto block = t->stats.takeBlock(now);
    if (!block) continue;
    RtcpReportBlock b;
    b.ssrc = *t->ssrc;
    b.fractionLost = block->fractionLost;
    b.cumulativeLost = block->cumulativeLost;
    b.highestSeq = block->extendedHighestSeq;
    b.jitter = block->jitter;
    b.lsr = block->lsr;
    b.dlsr = block->dlsr;
    blocks.push_back(b);
  }
  if (!blocks.empty()) transport_->sendRtcp(buildReceiverReport(receiverSsrc_, blocks));
}

// NOTE: a sender without transport-cc feedback (libwebrtc's GoogCC) takes the REMB as
// its target while in its start phase (2 s from the first receiver report, no loss
// yet), and as a cap after it; so the first REMB goes with the first video packet.
void WhipSession::sendRemb(int64_t nowMs) {
  lastRembMs_ = nowMs;  // the estimate is kept (and shown) even when REMB is not sent
  if (!negotiated_.video || !negotiated_.video->remb) return;
  RtcpRemb remb;
  remb.senderSsrc = receiverSsrc_;
  remb.bitrate = remb_.estimateBps();
  for (Track* t : {video_ ? &*video_ : nullptr, audio_ ? &*audio_ : nullptr})
    if (t && t->ssrc) remb.ssrcs.push_back(*t->ssrc);
  transport_->sendRtcp(buildRemb(remb));
  ++rembsSent_;
}

nlohmann::json WhipSession::describe() const {
  nlohmann::json j = WebrtcSession::describe();
  j["remb"] = {{"offered", negotiated_.video && negotiated_.video->remb},
               {"sent", rembsSent_},
               {"estimate_kbps", remb_.estimateBps() / 1000},
               {"received_kbps", remb_.receivedBps() / 1000},
               {"loss", remb_.loss()}};
  return j;
}

void WhipSession::onClose(std::string_view reason) {
  tick_.stop();
  spdlog::info(
      "{}: pushed {} video and {} audio frames, {} PLI; lip-sync {} ms ({} audio "
      "frames dropped for it); {} REMB, last {} kbit/s",
      name(), pushedVideo_, pushedAudio_, plis_, timeline_.audioOffsetMs(), audioDroppedBySync_,
      rembsSent_, remb_.estimateBps() / 1000);
  if (lease_) lease_->release(reason);
  lease_.reset();
}

}  // namespace webrtc
