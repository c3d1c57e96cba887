#include "protocols/webrtc/whep_session.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <chrono>

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
  if (s->negotiated_.video) {
    Track t;
    t.ssrc = local.videoSsrc;
    t.pt = static_cast<uint8_t>(s->negotiated_.video->pt);
    t.clockRate = 90000;
    t.seq = static_cast<uint16_t>(whepRandom32());
    t.tsBase = whepRandom32();
    t.rtx = std::make_unique<RtxBuffer>(kRtxPackets);
    s->video_ = std::move(t);
  }
  if (s->negotiated_.audio) {
    Track t;
    t.ssrc = local.audioSsrc;
    t.pt = static_cast<uint8_t>(s->negotiated_.audio->pt);
    t.clockRate = 48000;
    t.seq = static_cast<uint16_t>(whepRandom32());
    t.tsBase = whepRandom32();
    t.rtx = std::make_unique<RtxBuffer>(kRtxPackets / 4);
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
      reports_(server.loop(), [this] { sendReports(); }) {}

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
    // NOTE: a browser plays B-frames over WebRTC at a few fps (reference/webrtc.md);
    // such a source needs the mixer's B-frame-free rendition (not wired yet).
    if (++skippedBFrames_ == 1)
      spdlog::warn("{}: the source has B-frames: WebRTC needs a rendition without them", name());
  }
  if (waitingForKey_) {
    if (!packet.keyframe) return;
    waitingForKey_ = false;
  }
  if (!firstPts_) firstPts_ = packet.pts;
  const size_t mtu = server_.options().limits.mtu;
  const std::vector<uint8_t>& config = avcConfig_;
  // NOTE: the payloads are cut once per packet for every WHEP viewer of the stream
  // (they share the MTU and the stream's config); each viewer adds its header.
  auto parts = packet.wireParts(core::WireFormat::RtpVideo, [&](const core::MediaPacket& p) {
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
  const uint32_t ts = rtpTime(*video_, packet.pts);
  for (size_t i = 0; i < parts.size(); ++i)
    sendPayload(*video_, parts[i], i + 1 == parts.size(), ts);
}

void WhepSession::sendAudio(const core::MediaPacket& packet) {
  // The Stream gives this sink Opus only (audioCodecs): the publisher's or the
  // mixer's variant of its AAC/MP3.
  if (packet.codec != core::Codec::Opus || packet.config) return;
  if (waitingForKey_) return;  // audio starts with the picture
  if (!firstPts_) firstPts_ = packet.pts;
  sendPayload(*audio_, packet.payload, false, rtpTime(*audio_, packet.pts));
}

uint32_t WhepSession::rtpTime(const Track& track, int64_t ptsMs) {
  const int64_t ms = ptsMs - firstPts_.value_or(ptsMs);
  return track.tsBase + static_cast<uint32_t>(ms * static_cast<int64_t>(track.clockRate / 1000));
}

void WhepSession::sendPayload(Track& track, const core::SharedBuffer& payload, bool marker,
                              uint32_t rtpTs) {
  RtpHeader h;
  h.marker = marker;
  h.pt = track.pt;
  h.seq = track.seq++;
  h.timestamp = rtpTs;
  h.ssrc = track.ssrc;
  std::vector<uint8_t> packet = buildRtp(h, std::span<const core::SharedBuffer>(&payload, 1));
  track.rtx->store(h.seq, core::SharedBuffer::copyOf(packet));
  ++track.packets;
  track.octets += payload.size();
  track.lastRtpTs = rtpTs;
  track.lastSentMs = static_cast<int64_t>(server_.loop().nowMs());
  if (subscription_) subscription_->countBytesOut(packet.size());
  transport_->sendRtp(std::move(packet));
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
  for (const RtcpNack& nack : compound->nacks) {
    Track* t = video_ && nack.mediaSsrc == video_->ssrc   ? &*video_
               : audio_ && nack.mediaSsrc == audio_->ssrc ? &*audio_
                                                          : nullptr;
    if (!t) continue;
    for (uint16_t seq : nack.lost) {
      // NOTE: libsrtp allows the same packet again (allow_repeat_tx): a resend is
      // the original bytes, not RTX (no rtx payload type was negotiated).
      if (auto stored = t->rtx->find(seq))
        transport_->sendRtp(std::vector<uint8_t>(stored->span().begin(), stored->span().end()));
    }
  }
  if (!compound->plis.empty() || !compound->firs.empty())
    server_.registry().requestKeyframe(key(), name());
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
  // at a keyframe.
  waitingForKey_ = true;
}

void WhepSession::onStreamEnd(std::string_view reason) {
  // NOTE: close() only hands the session to the server, which destroys it (and the
  // subscription) after this loop turn: safe inside the Stream's callback.
  close("the stream ended: " + std::string(reason));
}

void WhepSession::onClose(std::string_view) {
  reports_.stop();
  opusDemand_.reset();  // the last viewer gone: the variant stops a while after
  if (roomChannel())
    spdlog::info("{}: {} room events sent on the data channel, {} dropped", name(), roomEventsSent_,
                 roomEventsDropped_);
  // NOTE: the sink must not drop its subscription inside a Stream callback: the
  // server destroys the session after this loop turn (deferDelete).
}

}  // namespace webrtc
