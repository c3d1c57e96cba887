// DanmakuFeed: the loop side of a program's danmaku: an internal tap (not a viewer)
// on the room's stream that takes the room's accepted text messages from the
// RoomEvent packets the sidechannel puts into it, dates each by the stream time
// the room stamped on it (mapped to the monotonic clock) and queues it for the
// compositor, never waiting. Subscribes again when the stream comes back. Owned by
// a Program; loop thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/loop/event_loop.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/danmaku_inbox.hpp"

namespace mixer {

class DanmakuFeed final : public core::MediaSink {
 public:
  DanmakuFeed(core::EventLoop& loop, core::StreamRegistry& registry, DanmakuInbox& inbox,
              std::string roomKey, std::string program);
  ~DanmakuFeed() override;

  void trySubscribe();
  void detach();
  bool subscribed() const { return sub_ != nullptr; }
  const std::string& roomKey() const { return key_; }

  // The text and colour of a room event's JSON when it is a text message with a
  // non-empty text (colour: the body's cloudCustomData {"color":"#RRGGBB"}, else
  // white); nullopt otherwise. Pure, public for the tests.
  static std::optional<DanmakuItem> parse(std::string_view eventJson);

  void onPacket(const core::MediaPacket& packet) override;
  uint32_t audioCodecs() const override { return 0; }
  void onStreamEnd(std::string_view reason) override;

 private:
  core::EventLoop& loop_;
  core::StreamRegistry& registry_;
  DanmakuInbox& inbox_;
  const std::string key_;  // the room's (its stream's) app/name
  const std::string program_;
  std::unique_ptr<core::Subscription> sub_;
  bool fullWarned_ = false;
};

}  // namespace mixer
