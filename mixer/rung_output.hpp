// RungOutput: one rung published into the hub as a derived stream
// "{app}/{name}_{height}p" (origin Mixer, in the source's group): the encoder's avcC
// and units, the source's AAC copied in behind the video by dts, its room events
// injected at their own time. Owned by a Pipeline; loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/media/stream.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/encoded_unit.hpp"
#include "mixer/ladder_planner.hpp"

namespace mixer {

class RungOutput {
 public:
  RungOutput(core::StreamRegistry& registry, std::string app, std::string name,
             std::string sourceKey, const PlannedRung& rung);
  ~RungOutput();
  RungOutput(const RungOutput&) = delete;
  RungOutput& operator=(const RungOutput&) = delete;

  // Publishes the derived stream (the registry refuses a name a client holds).
  // `onKeyframeRequest` is what a viewer's request for a key calls.
  bool open(std::function<void()> onKeyframeRequest, std::string& error);
  bool isOpen() const { return lease_ != nullptr; }
  // Before open(): the stream carries no audio (a program's preview).
  void setVideoOnly(bool on) { videoOnly_ = on; }
  // The encoder's config: sent with the rung's metadata and the audio config.
  void onVideoConfig(const std::vector<uint8_t>& avcC);
  void onVideo(const EncodedUnit& unit);
  // The source's audio (config or frame): held until the rung's video passes its dts.
  void onAudio(const core::MediaPacket& packet);
  // A room event or the room's status (sticky) from the source, at its own dts.
  void onData(const core::MediaPacket& packet);
  // Sends the audio still held and leaves the stream to its grace period.
  void close(std::string_view reason);

  const std::string& key() const { return key_; }
  const PlannedRung& rung() const { return rung_; }
  uint64_t unitsOut() const { return unitsOut_; }
  uint64_t bytesOut() const { return bytesOut_; }
  std::optional<int64_t> lastPts() const { return lastPts_; }

 private:
  void pushMetadata();
  void releaseAudio(int64_t untilDts);

  core::StreamRegistry& registry_;
  std::string app_, name_, key_, sourceKey_;
  PlannedRung rung_;
  std::unique_ptr<core::PublishLease> lease_;
  std::optional<core::MediaPacket> audioConfig_;
  bool videoConfigSent_ = false;
  bool videoOnly_ = false;
  std::deque<core::MediaPacket> audio_;  // frames waiting for the video to pass them
  std::optional<int64_t> lastPts_;
  int64_t lastVideoDts_ = INT64_MIN;
  uint64_t unitsOut_ = 0;
  uint64_t bytesOut_ = 0;
};

}  // namespace mixer
