#include "mixer/program_input.hpp"

#include <spdlog/spdlog.h>

namespace mixer {

ProgramInput::ProgramInput(core::EventLoop& loop, core::StreamRegistry& registry, InputSlot& slot,
                           ProgramInputSpec spec, std::string program, size_t index)
    : loop_(loop),
      registry_(registry),
      slot_(slot),
      spec_(std::move(spec)),
      program_(std::move(program)),
      index_(index) {}

ProgramInput::~ProgramInput() {
  sub_.reset();
}

void ProgramInput::trySubscribe() {
  if (sub_ || !registry_.find(spec_.key())) return;
  waitKey_ = true;
  sub_ = registry_.subscribe(spec_.app, spec_.name, *this, "");
  if (sub_) spdlog::info("program {}: input {} is {}", program_, index_, spec_.key());
}

void ProgramInput::retarget(const ProgramInputSpec& spec) {
  const bool moved = spec.key() != spec_.key();
  spec_ = spec;
  if (!moved) return;
  detach();
  trySubscribe();
}

void ProgramInput::detach() {
  // NOTE: never called from inside this sink's own callbacks (onStreamEnd defers).
  sub_.reset();
}

void ProgramInput::onStreamStart(const core::Stream&) {
  // A new publisher: its config comes next; its units wait for a keyframe.
  waitKey_ = true;
}

void ProgramInput::onPacket(const core::MediaPacket& packet) {
  if (packet.isAudio()) return onAudio(packet);
  if (!packet.isVideo()) return;
  if (packet.codec != core::Codec::H264) {
    if (!codecWarned_)
      spdlog::warn("program {}: input {} ({}): cannot decode {}: programs take H.264", program_,
                   index_, spec_.key(), core::codecName(packet.codec));
    codecWarned_ = true;
    return;
  }
  InputItem item{EncodedUnit{packet.payload, packet.dts, packet.pts, packet.keyframe},
                 packet.config};
  if (packet.config) {
    waitKey_ = true;
    if (!slot_.queue.tryPush(item)) {
      // NOTE: the decoder is behind by a full queue: it must not miss the new avcC;
      // the units queued before it belong to the old config anyway.
      slot_.unitsDropped.fetch_add(1, std::memory_order_relaxed);
      while (slot_.queue.tryPop()) {
      }
      slot_.queue.tryPush(item);
    }
    return;
  }
  if (waitKey_ && !packet.keyframe) return;
  waitKey_ = false;
  if (!slot_.queue.tryPush(item)) {
    slot_.unitsDropped.fetch_add(1, std::memory_order_relaxed);
    waitKey_ = true;  // a gap: the decoder resumes at the next keyframe
    // NOTE: a WHIP publisher (a co-host guest) sends one only when asked.
    registry_.requestKeyframe(spec_.key(), "a program input");
    return;
  }
  slot_.unitsIn.fetch_add(1, std::memory_order_relaxed);
}

void ProgramInput::onAudio(const core::MediaPacket& packet) {
  if (packet.codec != core::Codec::AAC) {
    if (!audioWarned_)
      spdlog::warn("program {}: input {} ({}): {} audio is not mixed (AAC only)", program_, index_,
                   spec_.key(), core::codecName(packet.codec));
    audioWarned_ = true;
    return;
  }
  InputItem item{EncodedUnit{packet.payload, packet.dts, packet.pts, false}, packet.config, true};
  if (slot_.queue.tryPush(item)) {
    slot_.audioIn.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot_.audioDropped.fetch_add(1, std::memory_order_relaxed);
  if (!packet.config) return;
  // NOTE: a config must reach the decoder thread (the frames after it need it): the
  // queue is emptied for it, and the video resumes at its next keyframe.
  while (slot_.queue.tryPop()) {
  }
  slot_.queue.tryPush(item);
  waitKey_ = true;
  registry_.requestKeyframe(spec_.key(), "a program input");
}

void ProgramInput::onPublisherGone(std::string_view reason) {
  spdlog::info("program {}: input {} ({}) stalled: {}", program_, index_, spec_.key(), reason);
}

void ProgramInput::onStreamEnd(std::string_view reason) {
  spdlog::info("program {}: input {} ({}) ended: {}", program_, index_, spec_.key(), reason);
  // NOTE: inside the Stream's callback: the subscription goes after this turn; the
  // registry's next publish of the key subscribes again (ProgramSet::onPublish).
  loop_.deferDelete(std::move(sub_));
}

}  // namespace mixer
