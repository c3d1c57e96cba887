// Stream: the hub of one live source `app/name` (M3). Owned by the StreamRegistry;
// loop thread. Holds the publisher lease, the cached codec headers and metadata,
// the GOP cache, the clock (TimestampCorrector) and the subscribed sinks; fans each
// packet out to every sink. When the publisher drops, sinks wait the reconnect
// grace period for the next publisher of the same name, then the Stream ends.
#pragma once

#include <uv.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log/log_limiter.hpp"
#include "core/loop/timer.hpp"
#include "core/media/gop_cache.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/packet_batch.hpp"
#include "core/media/publish_spec.hpp"
#include "core/media/rate_meter.hpp"
#include "core/media/stream_health.hpp"
#include "core/media/stream_info.hpp"
#include "core/media/timestamp_corrector.hpp"
#include "core/packet/media_packet.hpp"

namespace core {

class EventLoop;
class StreamRegistry;
class Subscription;
class PublishLease;

struct StreamOptions {
  bool gopCache = true;
  GopCache::Limits gopLimits;
  bool publisherTakeover = false;
  int64_t reconnectGraceMs = 10000;
  int64_t timestampJumpMs = 3000;
  // > 0: the live packets reach batched sinks (MediaSink::takesBatches) once per
  // window of this many ms (viewer.merge_write_ms); 0: every sink gets each packet.
  int64_t batchMs = 0;
  // A window's hand-out to many sinks is cut into slices of about this long, and
  // the loop polls between them (a late slice's viewers wait for it).
  double batchSliceMs = 2.0;
  StreamHealth::Limits health;  // what counts as a gap and a stall (stream.gap_ms, stall_ms)
};

class Stream {
 public:
  Stream(EventLoop& loop, StreamRegistry& registry, std::string app, std::string name,
         const StreamOptions& options);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& key() const { return key_; }
  const std::string& app() const { return app_; }
  const std::string& name() const { return name_; }
  bool hasPublisher() const { return publisher_ != nullptr; }
  const std::string& publisherPeer() const { return publisherPeer_; }
  // What the current (or last) publisher said it is (PublishSpec).
  StreamOrigin origin() const { return origin_; }
  bool derived() const { return origin_ == StreamOrigin::Mixer; }
  // The key of the source this stream is a rendition of; its own key for a source.
  const std::string& groupKey() const { return group_.empty() ? key_ : group_; }
  const std::string& label() const { return label_; }
  uint32_t nominalKbps() const { return nominalKbps_; }

  // A consumer (a WebRTC viewer after loss, a mixer rung restarting) asks for a
  // keyframe. Every request is counted; the publisher's handler, when it has one
  // (PublishLease::onKeyframeRequest), hears at most one per
  // kKeyframeRequestGapMs and the others are merged into it. An RTMP publisher
  // cannot be asked, so for it the request is only counted.
  static constexpr uint64_t kKeyframeRequestGapMs = 500;
  void requestKeyframe(std::string_view who);
  struct KeyframeRequests {
    uint64_t received = 0, forwarded = 0;
  };
  KeyframeRequests keyframeRequests() const { return keyframeRequests_; }
  // The publisher sends keyframes when asked and may send none otherwise (a WHIP
  // session: browsers have no keyframe interval), so a segmenter asks for them. The
  // mixer's outputs keep their own schedule (renditions cut alike) and an RTMP push
  // cannot be asked.
  bool keyframesOnRequest() const;
  const StreamInfo& info() const { return info_; }
  const StreamHealth& health() const { return health_; }
  uint64_t uptimeMs() const;
  uint64_t bitrateInBps() const;
  uint64_t bitrateOutBps() const;
  std::map<std::string, int> viewersByProtocol() const;
  size_t sinkCount() const { return subscriptions_.size(); }
  // The stream clock: dts of the newest packet (ms).
  int64_t lastDts() const { return corrector_.lastDts(); }
  // The stream clock now (S1): the newest packet's dts plus the wall time since it
  // arrived (at most kClockRunAheadMs: a stalled publisher's media resumes where
  // it stopped), never less than a time it gave before; nullopt while no
  // publisher is on.
  static constexpr int64_t kClockRunAheadMs = 1000;
  std::optional<int64_t> clockNowMs() const;
  // A timed Data packet from inside the server (a room event), its dts already on
  // the stream clock: every sink gets it, no cache keeps it. A `sticky` one (the
  // room's status) is also kept, one at a time, and sent to each new sink after
  // the headers. Ignored while no publisher is on.
  // It reaches the sinks just before the first media packet at or past its time,
  // so FLV timestamps stay in order, and a sink that takes leading data gets it
  // inside that packet (one queue item per viewer for both); at the latest
  // kDataHoldMs after it came (a stalled publisher), or when the publisher leaves.
  static constexpr int64_t kDataHoldMs = 200;
  void injectData(MediaPacket packet, bool sticky = false);
  // Bytes to ride in the next H.264 frame as an SEI user_data_unregistered message
  // (roomcast's UUID): for players that read SEI (S1, optional). At most
  // kMaxPendingSei wait; ignored while no publisher is on.
  static constexpr size_t kMaxPendingSei = 64;
  void queueSei(std::string payload);
  // The audio variant (the mixer's): the publisher's audio in another codec, e.g.
  // AAC made from a WHIP publisher's Opus, or Opus from an RTMP publisher's AAC for
  // WHEP. `packet` is an Audio packet (a config packet too: AAC's
  // AudioSpecificConfig; Opus has none) whose dts/pts are already on this stream's
  // clock (the source frames'); it bypasses the timestamp corrector. Each sink gets
  // the codecs it takes (MediaSink::audioCodecs), a new sink the variant's config
  // too. Dropped (false) while no publisher is on, when its codec is the
  // publisher's own or another variant's, or when its dts goes back.
  bool addAudioVariant(MediaPacket packet);
  // The variant stopped (no more WHEP viewers, the mixer's job ended): its config
  // is forgotten and the next variant may be of another codec.
  void endAudioVariant();
  Codec audioVariantCodec() const { return variantCodec_; }
  // The publisher's audio codec (PublishSpec::audio, else Unknown until its first
  // audio packet).
  Codec publisherAudioCodec() const { return publisherAudio_; }
  // The current (or last) publisher said it sends no audio (PublishSpec::videoOnly).
  bool videoOnly() const { return videoOnly_; }

 private:
  friend class StreamRegistry;
  friend class PublishLease;
  friend class Subscription;

  void attachPublisher(PublishLease* lease, const PublishSpec& spec);
  void detachPublisher(PublishLease* lease, std::string_view reason);
  void ingest(MediaPacket packet);
  void attach(Subscription* sub);
  void detach(Subscription* sub);
  void sendStartTo(MediaSink& sink, uint32_t audioMask);
  void end(std::string_view reason);
  template <typename Fn>
  void forEachSink(Fn&& fn);
  void updateInfo(const MediaPacket& packet);
  void sendHeader(MediaSink& sink, uint32_t audioMask, const MediaPacket& cached, int64_t dts);
  void attachSei(MediaPacket& packet);
  // StreamInfo::codecs from the config packets held now.
  void updateCodecs();
  // Hands a live packet (`led`: the same with its leading data, or null) to every
  // sink: at once to the others, in the next window to the batched ones.
  void deliver(const MediaPacket& packet, const MediaPacket* led);
  // Hands the gathered window out: in slices between polls, or all now.
  void startBatch(bool sliced = true);
  // Hands the running batch to the next sinks, until `deadlineNs` (0: to the end).
  void runBatchSlice(uint64_t deadlineNs);
  // Hands out everything gathered so far, now (before the publisher changes or the
  // stream ends, so nothing of the old one arrives after the news).
  void flushBatches();
  bool batchRunning() const { return batchNext_ < batchEnd_; }
  void compactSinks();
  // Takes the held Data packets whose dts is at most `untilDts`, in order (the
  // sticky one also kept as the stream's); null if there are none.
  std::shared_ptr<LeadingData> takeHeldData(int64_t untilDts);
  // Sends the held Data packets whose dts is at most `untilDts`, each on its own.
  void releaseData(int64_t untilDts);

  EventLoop& loop_;
  StreamRegistry& registry_;
  std::string app_, name_, key_;
  StreamOptions options_;

  PublishLease* publisher_ = nullptr;
  std::string publisherPeer_;
  StreamOrigin origin_ = StreamOrigin::Push;
  std::string group_, label_;
  uint32_t nominalKbps_ = 0;
  KeyframeRequests keyframeRequests_;
  uint64_t lastKeyframeForwardMs_ = 0;
  bool keyframeForwarded_ = false;  // lastKeyframeForwardMs_ is set
  uint64_t startedAtMs_ = 0;
  bool videoOnly_ = false;
  std::optional<MediaPacket> videoConfig_, audioConfig_, metadata_, sticky_;
  // The audio variant: its codec (Unknown: none), config (AAC) and newest dts.
  Codec publisherAudio_ = Codec::Unknown;
  Codec variantCodec_ = Codec::Unknown;
  std::optional<MediaPacket> variantConfig_;
  int64_t variantLastDts_ = INT64_MIN;
  uint64_t lastIngestNs_ = 0;        // uv_hrtime() of the newest packet; 0: none yet
  mutable int64_t lastClockMs_ = 0;  // keeps clockNowMs() monotonic
  std::vector<std::string> pendingSei_;
  int videoNalLengthSize_ = 0;                 // of the current H.264 config; 0: none or unreadable
  std::deque<MediaPacket> heldData_;           // injected, waiting for the media to reach them
  std::shared_ptr<LeadingData> spareLeading_;  // emptied, for the next release
  GopCache gop_;
  TimestampCorrector corrector_;
  LogLimiter inputLog_;  // lines about what the publisher sends
  StreamInfo info_;
  StreamHealth health_;
  RateMeter bytesIn_;
  // Bytes the sinks wrote since the meter was last fed (once per packet, not per write).
  mutable RateMeter bytesOut_;
  mutable uint64_t bytesOutPending_ = 0;
  Timer graceTimer_;
  Timer dataTimer_;  // releases held Data when no media came for kDataHoldMs

  // NOTE: what the fan-out loops read about a sink is here, in one array, not
  // behind the Subscription pointer: with hundreds of sinks, a cache miss each.
  struct SinkSlot {
    Subscription* sub = nullptr;  // null: unsubscribed during a dispatch
    MediaSink* sink = nullptr;
    uint64_t joinSeq = 0;  // the first live packet not in its join burst
    bool batched = false;  // gets batches (MediaSink::takesBatches, StreamOptions::batchMs)
    uint32_t audioMask = kFlvAudioCodecs;  // MediaSink::audioCodecs()
  };
  std::vector<SinkSlot> subscriptions_;
  bool dispatching_ = false;
  // Batched delivery: the window being gathered and the one being handed out.
  PacketBatch gathering_, sending_;
  uint64_t nextSeq_ = 0;  // number of the next live packet
  size_t batchedSinks_ = 0;
  size_t batchNext_ = 0, batchEnd_ = 0;  // the hand-out's position in subscriptions_
  bool batchDue_ = false;                // a window ended while the previous hand-out was running
  bool handingOut_ = false;              // inside runBatchSlice's calls to sinks
  Timer batchTimer_;
  uv_idle_t* batchIdle_;  // active while a hand-out has slices left
  bool ended_ = false;
};

// RAII token of the one publisher of a Stream. Destroying it starts the grace period.
class PublishLease {
 public:
  ~PublishLease();
  PublishLease(const PublishLease&) = delete;
  PublishLease& operator=(const PublishLease&) = delete;

  // dts/pts of `packet` are the publisher's own (ms, 64-bit: a protocol with
  // narrower timestamps extends them first); the Stream rewrites them onto its clock.
  void push(MediaPacket packet);
  Stream& stream() { return *stream_; }
  void release(std::string_view reason);
  // Called (on the loop) when a consumer asks for a keyframe, at most once per
  // Stream::kKeyframeRequestGapMs. Without one, requests are only counted.
  void onKeyframeRequest(std::function<void()> handler) { onKeyframe_ = std::move(handler); }

 private:
  friend class StreamRegistry;
  friend class Stream;
  PublishLease(Stream* stream, std::function<void(std::string_view)> onRevoked)
      : stream_(stream), onRevoked_(std::move(onRevoked)) {}

  Stream* stream_;
  std::function<void(std::string_view)> onRevoked_;
  std::function<void()> onKeyframe_;
};

// RAII token of one sink's subscription; detaches itself from the Stream.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  const Stream* stream() const { return stream_; }
  const std::string& protocol() const { return protocol_; }
  // Bytes this sink wrote to its peer, for the stream's egress bitrate.
  void countBytesOut(uint64_t bytes);

 private:
  friend class StreamRegistry;
  friend class Stream;
  Subscription(Stream* stream, MediaSink& sink, std::string protocol)
      : stream_(stream), sink_(sink), protocol_(std::move(protocol)) {}

  Stream* stream_;  // null once the Stream has ended
  MediaSink& sink_;
  std::string protocol_;
};

}  // namespace core
