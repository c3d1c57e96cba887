#include "mixer/rung_output.hpp"

#include <spdlog/spdlog.h>

#include "core/format/amf0.hpp"

namespace mixer {

namespace {

// Audio held while the rung's video lags the source (the encoders' latency); past
// this much the oldest goes out anyway, so a stalled encoder cannot grow it.
constexpr size_t kMaxHeldAudio = 256;  // ~6 s of 48 kHz AAC

}  // namespace

RungOutput::RungOutput(core::StreamRegistry& registry, std::string app, std::string name,
                       std::string sourceKey, const PlannedRung& rung)
    : registry_(registry),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(core::StreamRegistry::makeKey(app_, name_)),
      sourceKey_(std::move(sourceKey)),
      rung_(rung) {}

RungOutput::~RungOutput() {
  close("caster stopped");
}

bool RungOutput::open(std::function<void()> onKeyframeRequest, std::string& error) {
  if (lease_) return true;
  core::PublishSpec spec;
  spec.app = app_;
  spec.name = name_;
  spec.peer = "mixer";
  spec.origin = core::StreamOrigin::Mixer;
  spec.group = sourceKey_;
  spec.label = rung_.label();
  spec.nominalKbps = static_cast<uint32_t>(rung_.kbps);
  spec.videoOnly = videoOnly_;
  lease_ = registry_.publish(spec, nullptr, error);
  if (!lease_) return false;
  lease_->onKeyframeRequest(std::move(onKeyframeRequest));
  videoConfigSent_ = false;
  lastVideoDts_ = INT64_MIN;
  return true;
}

void RungOutput::onVideoConfig(const std::vector<uint8_t>& avcC) {
  if (!lease_) return;
  pushMetadata();
  core::MediaPacket p;
  p.kind = core::MediaKind::Video;
  p.codec = core::Codec::H264;
  p.config = true;
  p.keyframe = true;
  p.dts = p.pts = lastVideoDts_ == INT64_MIN ? 0 : lastVideoDts_;
  p.payload = core::SharedBuffer::copyOf(avcC);
  lease_->push(std::move(p));
  if (audioConfig_) lease_->push(*audioConfig_);
  videoConfigSent_ = true;
}

void RungOutput::pushMetadata() {
  using core::Amf0Value;
  std::vector<core::Amf0Property> props = {
      {"width", Amf0Value(rung_.width)},        {"height", Amf0Value(rung_.height)},
      {"framerate", Amf0Value(rung_.fps)},      {"videodatarate", Amf0Value(rung_.kbps)},
      {"videocodecid", Amf0Value(7)},  // AVC (FLV spec)
      {"encoder", Amf0Value("roomcast mixer")},
  };
  if (audioConfig_) props.push_back({"audiocodecid", Amf0Value(10)});  // AAC
  core::MediaPacket p;
  p.kind = core::MediaKind::Data;
  p.codec = core::Codec::Amf0;
  p.config = true;
  p.payload = core::SharedBuffer::adopt(
      core::encodeAmf0All({Amf0Value("onMetaData"), Amf0Value::ecmaArray(std::move(props))}));
  lease_->push(std::move(p));
}

void RungOutput::onVideo(const EncodedUnit& unit) {
  if (!lease_ || !videoConfigSent_) return;
  releaseAudio(unit.dts);
  core::MediaPacket p;
  p.kind = core::MediaKind::Video;
  p.codec = core::Codec::H264;
  p.keyframe = unit.key;
  p.dts = unit.dts;
  p.pts = unit.pts;
  p.payload = unit.payload;
  lastVideoDts_ = unit.dts;
  lastPts_ = unit.pts;
  ++unitsOut_;
  bytesOut_ += unit.payload.size();
  lease_->push(std::move(p));
}

void RungOutput::onAudio(const core::MediaPacket& packet) {
  if (packet.config) {
    audioConfig_ = packet;
    if (lease_ && videoConfigSent_) lease_->push(packet);
    return;
  }
  if (!lease_ || !videoConfigSent_) return;  // no picture yet: nothing to play it with
  audio_.push_back(packet);
  if (audio_.size() > kMaxHeldAudio) {
    lease_->push(std::move(audio_.front()));
    audio_.pop_front();
  }
  releaseAudio(lastVideoDts_);
}

void RungOutput::releaseAudio(int64_t untilDts) {
  while (!audio_.empty() && audio_.front().dts <= untilDts) {
    lease_->push(std::move(audio_.front()));
    audio_.pop_front();
  }
}

void RungOutput::onData(const core::MediaPacket& packet) {
  if (!lease_) return;
  // NOTE: the rung's Stream holds it until its first packet at or past the event's
  // dts: the rung's pts are the source's, so the event lands on the same picture.
  registry_.injectData(key_, packet, packet.sticky);
}

void RungOutput::close(std::string_view reason) {
  if (!lease_) return;
  releaseAudio(INT64_MAX);
  lease_->release(reason);
  lease_.reset();
  audio_.clear();
  videoConfigSent_ = false;
}

}  // namespace mixer
