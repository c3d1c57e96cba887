// ProgramInput: the loop side of one program input: an internal tap (not a viewer)
// on a hub stream of any origin, feeding its H.264 config and units to the input's
// decoder thread through its slot's queue (never waiting: a full queue drops up to
// the next keyframe). Subscribes again when the stream comes back. Owned by a
// Program; loop thread.
#pragma once

#include <memory>
#include <string>

#include "core/loop/event_loop.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/compositor_state.hpp"
#include "mixer/program_spec.hpp"

namespace mixer {

class ProgramInput final : public core::MediaSink {
 public:
  ProgramInput(core::EventLoop& loop, core::StreamRegistry& registry, InputSlot& slot,
               ProgramInputSpec spec, std::string program, size_t index);
  ~ProgramInput() override;

  // Subscribes when the stream is live and this is not subscribed yet.
  void trySubscribe();
  // Another stream for this input (or the same one's gain/mute).
  void retarget(const ProgramInputSpec& spec);
  void detach();
  bool subscribed() const { return sub_ != nullptr; }
  const ProgramInputSpec& spec() const { return spec_; }

  void onStreamStart(const core::Stream& stream) override;
  void onPacket(const core::MediaPacket& packet) override;
  void onPublisherGone(std::string_view reason) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  void onAudio(const core::MediaPacket& packet);

  core::EventLoop& loop_;
  core::StreamRegistry& registry_;
  InputSlot& slot_;
  ProgramInputSpec spec_;
  std::string program_;
  size_t index_;
  std::unique_ptr<core::Subscription> sub_;
  bool waitKey_ = true;
  bool codecWarned_ = false;
  bool audioWarned_ = false;
};

}  // namespace mixer
