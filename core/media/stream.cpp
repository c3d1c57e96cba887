#include "core/media/stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/format/aac_config.hpp"
#include "core/format/amf0.hpp"
#include "core/format/avc_config.hpp"
#include "core/format/avc_sei.hpp"
#include "core/format/codec_string.hpp"
#include "core/format/timed_metadata.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"
#include "core/media/stream_registry.hpp"

namespace core {

Stream::Stream(EventLoop& loop, StreamRegistry& registry, std::string app, std::string name,
               const StreamOptions& options)
    : loop_(loop),
      registry_(registry),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(app_ + "/" + name_),
      options_(options),
      gop_(options.gopLimits),
      corrector_(options.timestampJumpMs),
      inputLog_([this] { return "stream " + key_; }, [&loop] { return loop.nowMs(); }),
      health_(options.health, {[&loop] { return loop.nowMs(); }, wallClockMs}),
      graceTimer_(loop,
                  [this] {
                    spdlog::info("stream {}: no publisher for {} ms, ending", key_,
                                 options_.reconnectGraceMs);
                    end("publisher did not come back");
                    registry_.remove(this);
                  }),
      dataTimer_(loop, [this] { releaseData(INT64_MAX); }),
      batchTimer_(loop,
                  [this] {
                    if (batchRunning()) {
                      batchDue_ = true;  // handed out as soon as the running one ends
                      return;
                    }
                    startBatch();
                  }),
      batchIdle_(new uv_idle_t) {
  uv_idle_init(loop.uv(), batchIdle_);
  batchIdle_->data = this;
}

Stream::~Stream() {
  end("stream destroyed");
  uv_idle_stop(batchIdle_);
  uv_close(reinterpret_cast<uv_handle_t*>(batchIdle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
}

namespace {

void prefetchSink(const MediaSink* sink) {
  const auto* p = reinterpret_cast<const char*>(sink);
  __builtin_prefetch(p);
  __builtin_prefetch(p + 64);
}

}  // namespace

template <typename Fn>
void Stream::forEachSink(Fn&& fn) {
  const bool outer = !dispatching_;
  dispatching_ = true;
  for (size_t i = 0; i < subscriptions_.size(); ++i)
    if (subscriptions_[i].sub) fn(subscriptions_[i]);
  if (outer) {
    dispatching_ = false;
    if (!batchRunning()) compactSinks();
  }
}

void Stream::compactSinks() {
  std::erase_if(subscriptions_, [](const SinkSlot& slot) { return slot.sub == nullptr; });
}

uint64_t Stream::uptimeMs() const {
  return publisher_ ? loop_.nowMs() - startedAtMs_ : 0;
}
uint64_t Stream::bitrateInBps() const {
  return bytesIn_.bitsPerSecond(loop_.nowMs());
}
uint64_t Stream::bitrateOutBps() const {
  if (bytesOutPending_ > 0) {
    bytesOut_.add(bytesOutPending_, loop_.nowMs());
    bytesOutPending_ = 0;
  }
  return bytesOut_.bitsPerSecond(loop_.nowMs());
}

std::map<std::string, int> Stream::viewersByProtocol() const {
  std::map<std::string, int> out;
  for (const SinkSlot& slot : subscriptions_)
    if (slot.sub && !slot.sub->protocol().empty()) ++out[slot.sub->protocol()];
  return out;
}

void Stream::attachPublisher(PublishLease* lease, const PublishSpec& spec) {
  graceTimer_.stop();
  releaseData(INT64_MAX);  // what the previous publisher's viewers were owed
  publisher_ = lease;
  publisherPeer_ = spec.peer;
  origin_ = spec.origin;
  group_ = spec.group;
  label_ = spec.label;
  nominalKbps_ = spec.nominalKbps;
  startedAtMs_ = loop_.nowMs();
  // A new publisher brings its own headers; old ones must not reach new viewers.
  videoConfig_.reset();
  audioConfig_.reset();
  videoOnly_ = spec.videoOnly;
  publisherAudio_ = spec.audio;    // announced, or Unknown until its first audio packet
  variantCodec_ = Codec::Unknown;  // the mixer restarts its variant
  variantConfig_.reset();
  variantLastDts_ = INT64_MIN;
  metadata_.reset();
  sticky_.reset();
  pendingSei_.clear();
  videoNalLengthSize_ = 0;
  lastIngestNs_ = 0;
  gop_.clear();
  info_ = StreamInfo{};
  // A derived stream's producer keeps the source's clock: its pts must stay the
  // source's (aligned segments, room events at the right picture), republish or not.
  corrector_.setMode(origin_ == StreamOrigin::Mixer ? TimestampCorrector::Mode::Passthrough
                                                    : TimestampCorrector::Mode::Smooth);
  corrector_.restart();
  health_.restart();
  if (group_.empty())
    spdlog::info("stream {}: publishing from {}", key_, publisherPeer_);
  else
    spdlog::info("stream {}: publishing from {} (rendition {} of {})", key_, publisherPeer_, label_,
                 group_);
  flushBatches();  // the old publisher's last packets before the new one's news
  forEachSink([this](SinkSlot& slot) { slot.sink->onStreamStart(*this); });
}

void Stream::detachPublisher(PublishLease* lease, std::string_view reason) {
  if (publisher_ != lease) return;
  publisher_ = nullptr;
  releaseData(INT64_MAX);
  flushBatches();
  inputLog_.flush();
  spdlog::info("stream {}: publisher {} gone ({}), viewers wait {} ms", key_, publisherPeer_,
               reason, options_.reconnectGraceMs);
  forEachSink([reason](SinkSlot& slot) { slot.sink->onPublisherGone(reason); });
  registry_.notifyUnpublish(*this);
  graceTimer_.start(static_cast<uint64_t>(std::max<int64_t>(0, options_.reconnectGraceMs)));
}

void Stream::ingest(MediaPacket packet) {
  health_.onPacket(packet);  // the publisher's own timestamps: a jump is a gap
  const int32_t cts = packet.compositionOffset();
  const auto corrected = corrector_.correct(packet.kind, packet.dts);
  if (corrected.discontinuity)
    inputLog_.warn("timestamp jump", "source timestamp jumped by {} ms at {}, smoothed",
                   *corrected.discontinuity, packet.dts);
  packet.dts = corrected.dts;
  packet.pts = corrected.dts + cts;
  if (!pendingSei_.empty() && packet.isVideo() && !packet.config) attachSei(packet);
  bytesIn_.add(packet.payload.size(), loop_.nowMs());
  if (bytesOutPending_ > 0) {
    bytesOut_.add(bytesOutPending_, loop_.nowMs());
    bytesOutPending_ = 0;
  }
  lastIngestNs_ = uv_hrtime();
  if (packet.kind == MediaKind::Audio) publisherAudio_ = packet.codec;

  if (!packet.config && packet.kind == MediaKind::Audio && packet.codec != Codec::AAC &&
      info_.audioCodec.empty()) {
    updateInfo(packet);  // a codec without a config packet (MP3): its first frame names it
    updateCodecs();
  }
  if (packet.config) {
    updateInfo(packet);
    if (packet.kind == MediaKind::Video) {
      videoConfig_ = packet;
      videoNalLengthSize_ =
          packet.codec == Codec::H264 ? avcNalLengthSize(packet.payload.span()) : 0;
    } else if (packet.kind == MediaKind::Audio) {
      audioConfig_ = packet;
    } else {
      metadata_ = packet;
    }
    if (packet.kind != MediaKind::Data) updateCodecs();
  } else if (options_.gopCache && packet.kind != MediaKind::Data) {
    gop_.add(packet);
  }
  std::shared_ptr<LeadingData> due;
  if (!heldData_.empty() && !packet.config) due = takeHeldData(packet.dts);
  if (!due) {
    deliver(packet, nullptr);
    return;
  }
  // NOTE: the GOP cache already has its copy, without the leading data, so a
  // viewer who joins later does not get these events replayed.
  MediaPacket led = packet;
  led.leading = due;
  deliver(packet, &led);
  // NOTE: no sink keeps the packet (viewers keep its bytes) and the batch lets it
  // go when it has been handed out, so the holder is then kept for the next
  // release: two allocations fewer per event.
  led.leading.reset();
  if (due.use_count() == 1) {
    due->packets.clear();
    due->wire = WireCache{};
    due->leadBytes = {};
    spareLeading_ = std::move(due);
  }
}

std::optional<int64_t> Stream::clockNowMs() const {
  if (!publisher_) return std::nullopt;
  int64_t now = corrector_.lastDts();
  if (lastIngestNs_ != 0) {  // else published, nothing sent yet
    const auto sinceMs = static_cast<int64_t>((uv_hrtime() - lastIngestNs_) / 1000000);
    now += std::min(sinceMs, kClockRunAheadMs);
  }
  lastClockMs_ = std::max(lastClockMs_, now);
  return lastClockMs_;
}

void Stream::injectData(MediaPacket packet, bool sticky) {
  if (!publisher_) return;
  packet.kind = MediaKind::Data;
  packet.config = false;
  packet.keyframe = false;
  packet.sticky = sticky;
  heldData_.push_back(std::move(packet));
  if (!dataTimer_.active()) dataTimer_.start(kDataHoldMs);
}

std::shared_ptr<LeadingData> Stream::takeHeldData(int64_t untilDts) {
  // NOTE: the stream clock is monotonic, so held packets are in dts order.
  std::shared_ptr<LeadingData> due;
  while (!heldData_.empty() && heldData_.front().dts <= untilDts) {
    if (!due) due = spareLeading_ ? std::move(spareLeading_) : std::make_shared<LeadingData>();
    MediaPacket& held = due->packets.emplace_back(std::move(heldData_.front()));
    heldData_.pop_front();
    if (held.sticky) sticky_ = held;
  }
  if (heldData_.empty()) dataTimer_.stop();
  return due;
}

void Stream::releaseData(int64_t untilDts) {
  const auto due = takeHeldData(untilDts);
  if (!due) return;
  for (const MediaPacket& held : due->packets) deliver(held, nullptr);
}

void Stream::deliver(const MediaPacket& packet, const MediaPacket* led) {
  const uint64_t seq = nextSeq_++;
  const uint32_t audioBit = packet.isAudio() ? audioCodecBit(packet.codec) : 0;
  forEachSink([&packet, led, audioBit](SinkSlot& slot) {
    if (slot.batched) return;
    MediaSink& sink = *slot.sink;
    // NOTE: audio in a codec the sink does not take (the other of a stream's two
    // audio codecs) is skipped, but not the room events that lead it.
    const bool takes = audioBit == 0 || (slot.audioMask & audioBit) != 0;
    if (!led || (takes && sink.takesLeadingData())) {
      if (takes) sink.onPacket(led ? *led : packet);
      return;
    }
    for (const MediaPacket& held : led->leading->packets) sink.onPacket(held);
    if (takes) sink.onPacket(packet);
  });
  if (batchedSinks_ == 0) return;
  if (gathering_.empty() && !batchTimer_.active() && !batchDue_)
    batchTimer_.start(static_cast<uint64_t>(options_.batchMs));
  gathering_.add(led ? *led : packet, seq);
}

void Stream::startBatch(bool sliced) {
  std::swap(gathering_, sending_);
  gathering_.clear();  // the previous window's, handed out already
  batchNext_ = 0;
  batchEnd_ = subscriptions_.size();
  if (!sliced) {
    runBatchSlice(0);
    return;
  }
  runBatchSlice(uv_hrtime() + static_cast<uint64_t>(options_.batchSliceMs * 1e6));
  if (!batchRunning()) return;
  uv_idle_start(batchIdle_, [](uv_idle_t* h) {
    auto* self = static_cast<Stream*>(h->data);
    self->runBatchSlice(uv_hrtime() + static_cast<uint64_t>(self->options_.batchSliceMs * 1e6));
  });
}

void Stream::runBatchSlice(uint64_t deadlineNs) {
  constexpr size_t kSinksPerClockRead = 16;
  constexpr size_t kPrefetchAhead = 4;
  size_t sinceClockRead = 0;
  // NOTE: a sink may unsubscribe itself or others in onBatch (their slots become
  // null; nothing is compacted while a hand-out runs), and sinks that subscribe
  // meanwhile are past batchEnd_ (their join burst had these packets anyway).
  handingOut_ = true;
  while (batchNext_ < batchEnd_) {
    if (batchNext_ >= subscriptions_.size()) {  // the stream ended from a sink's call
      batchEnd_ = batchNext_;
      break;
    }
    // NOTE: the sinks are scattered in memory; reading a few ahead hides most of
    // the wait for each one's first cache lines.
    if (batchNext_ + kPrefetchAhead < batchEnd_ &&
        batchNext_ + kPrefetchAhead < subscriptions_.size())
      prefetchSink(subscriptions_[batchNext_ + kPrefetchAhead].sink);
    const SinkSlot slot = subscriptions_[batchNext_++];
    if (!slot.sub || !slot.batched) continue;
    const uint64_t first = sending_.firstSeq();
    const size_t from = slot.joinSeq > first ? static_cast<size_t>(slot.joinSeq - first) : 0;
    if (from < sending_.size()) slot.sink->onBatch(sending_, from);
    if (deadlineNs != 0 && ++sinceClockRead == kSinksPerClockRead) {
      sinceClockRead = 0;
      if (uv_hrtime() >= deadlineNs) break;
    }
  }
  handingOut_ = false;
  if (batchRunning()) return;
  uv_idle_stop(batchIdle_);
  bytesOutPending_ += sending_.bytesOut();
  sending_.clear();
  batchNext_ = batchEnd_ = 0;
  if (!dispatching_) compactSinks();
  if (batchDue_) {
    batchDue_ = false;
    if (!gathering_.empty()) startBatch();
  }
}

void Stream::flushBatches() {
  // NOTE: called from inside a sink's onBatch, the running hand-out goes on from
  // where it is when that call returns; what was gathered since waits its window.
  if (handingOut_) return;
  while (batchRunning()) runBatchSlice(0);
  batchTimer_.stop();
  batchDue_ = false;
  if (!gathering_.empty()) startBatch(false);
}

void Stream::queueSei(std::string payload) {
  if (!publisher_) return;
  if (pendingSei_.size() >= kMaxPendingSei) pendingSei_.erase(pendingSei_.begin());
  pendingSei_.push_back(std::move(payload));
}

void Stream::attachSei(MediaPacket& packet) {
  if (packet.codec != Codec::H264) return;
  auto out =
      insertSeiAfterAud(packet.payload.span(), videoNalLengthSize_, pendingSei_, kRoomcastSeiUuid);
  if (out.empty()) return;  // kept for a frame it fits in (e.g. after a new config)
  pendingSei_.clear();
  packet.payload = SharedBuffer::adopt(std::move(out));
}

void Stream::attach(Subscription* sub) {
  const bool batched = options_.batchMs > 0 && sub->sink_.takesBatches();
  if (batched) ++batchedSinks_;
  const uint32_t audioMask = sub->sink_.audioCodecs();
  subscriptions_.push_back(SinkSlot{sub, &sub->sink_, nextSeq_, batched, audioMask});
  sub->sink_.onStreamStart(*this);
  sendStartTo(sub->sink_, audioMask);
}

void Stream::sendHeader(MediaSink& sink, uint32_t audioMask, const MediaPacket& cached,
                        int64_t dts) {
  if (cached.isAudio() && !(audioMask & audioCodecBit(cached.codec))) return;
  MediaPacket header = cached;
  header.dts = header.pts = dts;
  header.wire = std::make_shared<WireCache>();
  sink.onPacket(header);
}

void Stream::sendStartTo(MediaSink& sink, uint32_t audioMask) {
  // Headers are re-stamped to the first packet the viewer will see, so its clock
  // starts at the GOP, not at the publisher's first second.
  const int64_t startDts = gop_.empty() ? corrector_.lastDts() : gop_.packets().front().dts;
  for (const auto* cached : {&metadata_, &videoConfig_, &audioConfig_, &variantConfig_, &sticky_})
    if (*cached) sendHeader(sink, audioMask, **cached, startDts);
  for (const MediaPacket& packet : gop_.packets())
    if (!packet.isAudio() || (audioMask & audioCodecBit(packet.codec))) sink.onPacket(packet);
}

bool Stream::addAudioVariant(MediaPacket packet) {
  if (!publisher_ || ended_ || packet.kind != MediaKind::Audio) return false;
  if (packet.codec == Codec::Unknown || packet.codec == publisherAudio_) return false;
  if (variantCodec_ != Codec::Unknown && packet.codec != variantCodec_) return false;
  if (!packet.config && packet.dts < variantLastDts_) return false;
  const bool news = variantCodec_ == Codec::Unknown || packet.config;
  variantCodec_ = packet.codec;
  packet.leading.reset();
  packet.sticky = false;
  if (packet.config) {
    variantConfig_ = packet;
  } else {
    variantLastDts_ = packet.dts;
    // NOTE: the variant comes a transcode later than the source frames of its time:
    // one older than the cached GOP's start would only delay a joining viewer.
    if (options_.gopCache && !gop_.empty() && packet.dts >= gop_.packets().front().dts)
      gop_.add(packet);
  }
  if (news) {
    info_.audioVariant = codecName(packet.codec);
    updateCodecs();
  }
  deliver(packet, nullptr);
  return true;
}

void Stream::endAudioVariant() {
  if (variantCodec_ == Codec::Unknown) return;
  variantCodec_ = Codec::Unknown;
  variantConfig_.reset();
  variantLastDts_ = INT64_MIN;
  info_.audioVariant.clear();
  updateCodecs();
}

void Stream::detach(Subscription* sub) {
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [sub](const SinkSlot& slot) { return slot.sub == sub; });
  if (it == subscriptions_.end()) return;
  if (it->batched) --batchedSinks_;
  if (dispatching_ || batchRunning()) {
    it->sub = nullptr;  // compacted after the dispatch loop
  } else {
    subscriptions_.erase(it);
  }
}

void Stream::end(std::string_view reason) {
  if (ended_) return;
  flushBatches();
  ended_ = true;
  graceTimer_.stop();
  dataTimer_.stop();
  heldData_.clear();
  if (publisher_) {
    publisher_->stream_ = nullptr;
    publisher_ = nullptr;
  }
  auto slots = std::move(subscriptions_);
  subscriptions_.clear();
  batchedSinks_ = 0;
  for (const SinkSlot& slot : slots) {
    if (!slot.sub) continue;
    slot.sub->stream_ = nullptr;
    slot.sink->onStreamEnd(reason);
  }
}

void Stream::updateInfo(const MediaPacket& packet) {
  if (packet.kind == MediaKind::Video) {
    info_.videoCodec = codecName(packet.codec);
    if (packet.codec != Codec::H264) return;
    std::string error;
    if (auto avc = parseAvcDecoderConfig(packet.payload.span(), &error)) {
      info_.videoProfile = avcProfileName(avc->profile);
      info_.width = avc->width;
      info_.height = avc->height;
      if (avc->fps > 0 && info_.fps == 0) info_.fps = avc->fps;
    } else {
      inputLog_.warn("unreadable configuration", "unreadable AVC configuration: {}", error);
    }
  } else if (packet.kind == MediaKind::Audio) {
    info_.audioCodec = codecName(packet.codec);
    if (packet.codec != Codec::AAC) return;
    std::string error;
    if (auto aac = parseAudioSpecificConfig(packet.payload.span(), &error)) {
      info_.audioProfile = aacProfileName(aac->objectType);
      info_.sampleRate = aac->sampleRate;
      info_.channels = aac->channels;
    } else {
      inputLog_.warn("unreadable configuration", "unreadable AAC configuration: {}", error);
    }
  } else {
    // onMetaData: the encoder's declared frame rate wins over the SPS timing.
    auto values = Amf0Decoder::decodeAll(packet.payload.span());
    if (values.ok() && values.values.size() > 1)
      if (const Amf0Value* fps = values.values[1].find("framerate"); fps && fps->asNumber() > 0)
        info_.fps = fps->asNumber();
  }
}

void Stream::updateCodecs() {
  // NOTE: a track whose codec RFC 6381 strings here cannot name (H.265; audio other than AAC) makes
  // the whole string unknown: a player trusts CODECS, so none beats a wrong one.
  // The AAC variant of an Opus publisher names the audio HLS carries.
  const bool videoKnown = !videoConfig_ || videoConfig_->codec == Codec::H264;
  const MediaPacket* aac = audioConfig_ && audioConfig_->codec == Codec::AAC ? &*audioConfig_
                           : variantConfig_ && variantConfig_->codec == Codec::AAC
                               ? &*variantConfig_
                               : nullptr;
  const bool audioKnown = aac || (!audioConfig_ && info_.audioCodec.empty());
  if (!videoKnown || !audioKnown) {
    info_.codecs.clear();
    return;
  }
  info_.codecs =
      rfc6381Codecs(videoConfig_ ? videoConfig_->payload.span() : std::span<const uint8_t>{},
                    aac ? aac->payload.span() : std::span<const uint8_t>{});
}

bool Stream::keyframesOnRequest() const {
  return origin_ == StreamOrigin::WebRtc && publisher_ && publisher_->onKeyframe_;
}

void Stream::requestKeyframe(std::string_view who) {
  ++keyframeRequests_.received;
  if (!publisher_ || !publisher_->onKeyframe_) return;
  const uint64_t now = loop_.nowMs();
  if (keyframeForwarded_ && now - lastKeyframeForwardMs_ < kKeyframeRequestGapMs) return;
  keyframeForwarded_ = true;
  lastKeyframeForwardMs_ = now;
  ++keyframeRequests_.forwarded;
  spdlog::debug("stream {}: keyframe asked by {}", key_, who);
  publisher_->onKeyframe_();
}

PublishLease::~PublishLease() {
  release("publisher closed");
}

void PublishLease::release(std::string_view reason) {
  if (!stream_) return;
  Stream* stream = stream_;
  stream_ = nullptr;
  stream->detachPublisher(this, reason);
}

void PublishLease::push(MediaPacket packet) {
  if (stream_) stream_->ingest(std::move(packet));
}

Subscription::~Subscription() {
  if (stream_) stream_->detach(this);
}

void Subscription::countBytesOut(uint64_t bytes) {
  if (stream_) stream_->bytesOutPending_ += bytes;
}

}  // namespace core
