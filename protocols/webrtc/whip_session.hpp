// WhipSession: one WHIP publisher. It holds the stream's publish lease from the
// POST on (a taken name is refused there), puts the peer's RTP through a jitter
// buffer per track (NACK for losses), rebuilds H.264 access units and Opus frames
// and pushes them into the hub on a millisecond clock taken from the RTP clocks
// (RtpTimeline: each track anchored at its first packet's arrival, then the audio
// lip-synced to the video by the sender reports); asks the peer for a keyframe (PLI)
// after a loss and when a consumer asks; sends receiver reports, and REMB (the bit
// rate it may send: RembEstimator) when its offer has goog-remb. Its "room" data
// channel gets the room's events from the room itself (no media goes back to a
// publisher) and speaks the room protocol (WebrtcSession).
// Owned by WebrtcServer; loop thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/loop/timer.hpp"
#include "core/media/stream.hpp"
#include "protocols/webrtc/h264_depacketizer.hpp"
#include "protocols/webrtc/jitter_buffer.hpp"
#include "protocols/webrtc/remb_estimator.hpp"
#include "protocols/webrtc/rtcp_packet.hpp"
#include "protocols/webrtc/rtcp_stats.hpp"
#include "protocols/webrtc/rtp_packet.hpp"
#include "protocols/webrtc/rtp_timeline.hpp"
#include "protocols/webrtc/sdp_session.hpp"
#include "protocols/webrtc/webrtc_session.hpp"

namespace webrtc {

class WhipSession final : public WebrtcSession {
 public:
  // nullptr with `status` (400/409/422) and `error` when the offer cannot be answered
  // or the stream name is taken.
  static std::unique_ptr<WhipSession> create(WebrtcServer& server, WebrtcSession::Identity id,
                                             const SdpSession& offer, LocalEndpoint local,
                                             const std::string& app, const std::string& name,
                                             int& status, std::string& error);
  ~WhipSession() override;

  const std::string& answer() const override { return negotiated_.answer; }
  // Adds "remb": the estimate sent, the received rate and loss it is made from.
  nlohmann::json describe() const override;

 private:
  struct Track {
    bool video = false;
    uint8_t pt = 0;
    uint32_t clockRate = 90000;
    std::optional<uint32_t> ssrc;  // the first SSRC seen with this payload type
    JitterBuffer jitter;
    RtcpStats stats;  // the receiver report's numbers (every packet as it arrives)
    explicit Track(bool isVideo);
  };

  WhipSession(WebrtcServer& server, WebrtcSession::Identity id, Negotiated negotiated);
  void onConnected() override;
  void onRtp(std::vector<uint8_t>& packet) override;
  void onRtcp(std::vector<uint8_t>& packet) override;
  void onClose(std::string_view reason) override;
  bool mediaCarriesRoomEvents() const override { return false; }

  Track* trackFor(const RtpHeader& header);
  void drain(Track& track);
  void pushVideo(Track& track, H264Depacketizer::AccessUnit unit);
  void pushAudio(Track& track, const RtpHeader& header, std::span<const uint8_t> payload);
  int64_t mediaMs(Track& track, uint32_t rtpTs);
  void sendNacks(Track& track);
  void requestKeyframe(const char* why);
  void onSenderReport(Track& track, const RtcpSenderReport& sr);
  void logSync(const RtpTimeline::Sync& sync);
  void sendReports();
  void sendRemb(int64_t nowMs);
  void onTick();

  Negotiated negotiated_;
  std::unique_ptr<core::PublishLease> lease_;
  std::optional<Track> video_, audio_;
  H264Depacketizer depacketizer_;
  int64_t startMs_;
  RtpTimeline timeline_;  // both tracks' RTP clocks -> the stream's ms, lip-synced by SRs
  std::optional<int64_t> lastAudioMs_;
  int64_t lastPliMs_ = -1000000;
  uint32_t receiverSsrc_;
  core::Timer tick_;  // 20 ms: jitter buffer deadlines, NACK retries; RR each second
  int64_t lastReportMs_ = 0;
  uint64_t pushedVideo_ = 0, pushedAudio_ = 0, plis_ = 0;
  uint64_t audioDroppedBySync_ = 0;  // frames the lip-sync moved behind ones already pushed
  RembEstimator remb_;
  std::optional<int64_t> lastRembMs_;  // unset: none sent yet (the first goes at once)
  uint64_t rembsSent_ = 0;
};

}  // namespace webrtc
