// WhepSession: one WHEP viewer. Once DTLS is up it subscribes to the stream and
// sends its H.264 (packetized once per packet for every viewer: WireFormat::RtpVideo
// parts) and Opus (the publisher's, or the mixer's Opus variant of an AAC/MP3
// stream, which the session asks for while it plays) as SRTP with its own SSRCs and
// sequence numbers; answers NACK from a retransmission buffer, PLI/FIR with the
// stream's latest keyframe resent (or a keyframe request: VideoGate), sends sender
// reports, and gives a viewer that does not keep up keyframes only
// (SlowViewerMonitor). A source with B-frames is played from its B-frame-free
// rendition (core::WebrtcRenditions) once that is live. A data channel "room" the
// viewer opens gets the stream's room events (the sidechannel's JSON, with
// streamTime) in order with the media at that time, and speaks the room protocol
// (WebrtcSession). Owned by WebrtcServer; loop thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/loop/timer.hpp"
#include "core/media/audio_variant_demand.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/stream.hpp"
#include "core/media/webrtc_renditions.hpp"
#include "protocols/webrtc/rtcp_packet.hpp"
#include "protocols/webrtc/rtx_buffer.hpp"
#include "protocols/webrtc/sdp_session.hpp"
#include "protocols/webrtc/video_gate.hpp"
#include "protocols/webrtc/webrtc_session.hpp"

namespace webrtc {

class WhepSession final : public WebrtcSession, public core::MediaSink {
 public:
  // nullptr with `status` (400/404/422) and `error` when the offer cannot be answered.
  static std::unique_ptr<WhepSession> create(WebrtcServer& server, WebrtcSession::Identity id,
                                             const SdpSession& offer, LocalEndpoint local,
                                             const std::string& app, const std::string& name,
                                             int& status, std::string& error);
  ~WhepSession() override;

  const std::string& answer() const override { return negotiated_.answer; }
  nlohmann::json describe() const override;

  // MediaSink
  void onPacket(const core::MediaPacket& packet) override;
  uint32_t audioCodecs() const override { return core::kOpusAudio; }
  void onPublisherGone(std::string_view reason) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  struct Track {
    uint32_t ssrc = 0;
    uint8_t pt = 0;
    uint32_t clockRate = 90000;
    uint16_t seq = 0;
    uint32_t tsBase = 0;
    uint64_t packets = 0, octets = 0;
    uint32_t lastRtpTs = 0;
    int64_t lastSentMs = -1;  // loop time of the last packet
    bool rebase = false;      // the next packet continues from lastRtpTs (a new source)
    std::unique_ptr<RtxBuffer> rtx;
  };

  WhepSession(WebrtcServer& server, WebrtcSession::Identity id, Negotiated negotiated,
              std::string app, std::string name);
  void onConnected() override;
  void onRtp(std::vector<uint8_t>& packet) override;
  void onRtcp(std::vector<uint8_t>& packet) override;
  void onClose(std::string_view reason) override;
  bool mediaCarriesRoomEvents() const override { return true; }
  void sendRoomEvent(const core::MediaPacket& packet);

  void sendVideo(const core::MediaPacket& packet);
  void sendAudio(const core::MediaPacket& packet);
  // false when the transport could not take it (not connected, SRTP failed). Media is
  // queued for the loop turn's sendmmsg: the kernel refusing it later is counted on the
  // shared socket (udp.dropped), not here; the slow-viewer check sees it as NACKs and
  // receiver-report loss.
  bool sendPayload(Track& track, const core::SharedBuffer& payload, bool marker, uint32_t rtpTs);
  // sendBuffer_ with room for a packet of packetBytes and its SRTP trailer.
  std::span<uint8_t> sendBuffer(size_t packetBytes);
  // The RTP payloads of a video packet, cut once for every viewer of the stream.
  std::span<const core::SharedBuffer> videoParts(const core::MediaPacket& packet);
  void sendVideoFrame(const core::MediaPacket& packet, uint32_t rtpTs);
  void answerNacks(const std::vector<RtcpNack>& nacks);
  void answerPictureLoss();
  void resendCachedKeyframe();
  void endLossWindow();
  uint32_t rtpTime(Track& track, int64_t ptsMs);
  // B-frames seen in the source: asks for its rendition and waits for it to be live.
  void wantRendition();
  bool holdRendition();
  void playSourceAsItIs(const std::string& why);
  void pollRendition();
  // The key the session plays: the source's, or its rendition's.
  const std::string& playingKey() const { return renditionKey_ ? *renditionKey_ : key(); }
  void sendReports();

  Negotiated negotiated_;
  std::string streamApp_, streamName_;  // what it plays (name() is the log label)
  std::unique_ptr<core::Subscription> subscription_;
  std::optional<Track> video_, audio_;
  std::vector<uint8_t> sendBuffer_;  // each RTP packet is built and protected here
  std::vector<uint8_t> avcConfig_;
  std::optional<int64_t> firstPts_;
  bool waitingForKey_ = true;
  VideoGate gate_;
  std::optional<core::MediaPacket> lastKeyframe_;  // the stream's latest (shares its bytes)
  int64_t newestVideoPts_ = 0;
  struct VideoCounters {
    uint64_t nackedSeqs = 0, resent = 0, resendMissed = 0;  // NACK answers
    uint64_t keyframesFromCache = 0, keyframesOnlyMs = 0;
  } videoCounters_;
  int64_t keyframesOnlySinceMs_ = -1;
  // The B-frame-free rendition: asked for (held until the session ends), subscribed.
  enum class Rendition { None, Asked, Playing, Refused } rendition_ = Rendition::None;
  std::unique_ptr<core::WebrtcRenditions::Hold> renditionHold_;
  std::optional<std::string> renditionKey_;
  int64_t renditionAskedMs_ = 0;
  core::Timer reports_;
  core::Timer renditionPoll_;
  uint64_t skippedBFrames_ = 0;
  // Held while the viewer plays with an audio track: the mixer's Opus variant.
  std::unique_ptr<core::AudioVariantDemand::Token> opusDemand_;
  uint64_t roomEventsSent_ = 0, roomEventsDropped_ = 0;
};

}  // namespace webrtc
