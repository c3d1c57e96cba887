// AudioVariant: one stream's audio in its other codec (mixer.audio_variants): AAC-LC
// from a WHIP publisher's Opus (RTMP, FLV, HLS, recording), Opus 48 kHz stereo from
// an AAC/MP3 publisher's audio (WHEP). A MediaSink of the source on the loop; its
// frames go to a thread of its own through a bounded queue (full: dropped, counted),
// the encoded frames come back through the Mixer's Mailbox and enter the same Stream
// as its variant (Stream::addAudioVariant). Owned by the Mixer; loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/loop/timer.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/stream.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/mixer_event.hpp"
#include "mixer/worker_thread.hpp"

namespace av {
class Libraries;
}

namespace mixer {

struct VariantRunState;

class AudioVariant final : public core::MediaSink {
 public:
  // What the Mixer lends its variants.
  struct Context {
    core::EventLoop& loop;
    core::StreamRegistry& registry;
    av::Libraries& libs;
    std::function<bool(MixerEvent)> post;                       // the Mixer's Mailbox; any thread
    std::function<uint64_t(AudioVariant*)> route;               // a run id routed here
    std::function<void(uint64_t)> unroute;                      // that run's events go nowhere
    std::function<void(std::unique_ptr<WorkerThread>)> retire;  // joined once it returns
    std::function<void()> ended;                                // a variant ended: remove it
    int aacKbps = 128;
    int opusKbps = 64;
    uint64_t lingerMs = 10000;  // without demand, an Opus variant stops after this long
  };
  static constexpr size_t kQueueFrames = 150;  // 3 s of 20 ms Opus frames

  AudioVariant(Context& ctx, std::string app, std::string name);
  ~AudioVariant() override;
  AudioVariant(const AudioVariant&) = delete;
  AudioVariant& operator=(const AudioVariant&) = delete;

  // Subscribes to the source; false with `error` when it is not there.
  bool start(std::string& error);
  // Stops the run and unsubscribes (the Mixer then deletes it after this turn).
  void stop(std::string_view reason);
  bool ended() const { return ended_; }
  const std::string& key() const { return key_; }
  // WHEP viewers want the Opus variant (true), or the last one left (false: the
  // variant lingers Context::lingerMs, then ends unless the source is a WHIP
  // publisher's).
  void setDemanded(bool demanded);
  void onEvent(MixerEvent&& event);

  // MediaSink: every audio codec (it keeps the publisher's own only).
  uint32_t audioCodecs() const override { return ~uint32_t{0}; }
  void onStreamStart(const core::Stream& stream) override;
  void onPacket(const core::MediaPacket& packet) override;
  void onPublisherGone(std::string_view reason) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  // The codec made from `source`: AAC from Opus, Opus from AAC or MP3.
  static core::Codec targetOf(core::Codec source);
  bool wanted() const;
  void startRun(core::Codec source);
  void endRun(std::string_view why);
  void publish(core::MediaPacket packet);

  Context& ctx_;
  std::string app_, name_, key_;
  std::unique_ptr<core::Subscription> sub_;
  std::shared_ptr<VariantRunState> run_;
  std::unique_ptr<WorkerThread> thread_;
  std::vector<uint8_t> aacConfig_;  // the source's AudioSpecificConfig
  core::Codec target_ = core::Codec::Unknown;
  bool demanded_ = false;
  bool failed_ = false;  // until the next publisher: its error was logged
  bool ended_ = false;
  uint64_t dropped_ = 0;
  core::Timer linger_;
};

}  // namespace mixer
