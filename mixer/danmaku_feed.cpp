#include "mixer/danmaku_feed.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/media/room_event_packet.hpp"
#include "mixer/compositor_state.hpp"
#include "mixer/program_spec.hpp"

namespace mixer {

DanmakuFeed::DanmakuFeed(core::EventLoop& loop, core::StreamRegistry& registry, DanmakuInbox& inbox,
                         std::string roomKey, std::string program)
    : loop_(loop),
      registry_(registry),
      inbox_(inbox),
      key_(std::move(roomKey)),
      program_(std::move(program)) {}

DanmakuFeed::~DanmakuFeed() {
  sub_.reset();
}

void DanmakuFeed::trySubscribe() {
  if (sub_ || !registry_.find(key_)) return;
  const size_t slash = key_.find('/');
  sub_ = registry_.subscribe(key_.substr(0, slash), key_.substr(slash + 1), *this, "");
  if (sub_) spdlog::info("program {}: danmaku from the room {}", program_, key_);
}

void DanmakuFeed::detach() {
  sub_.reset();
}

std::optional<DanmakuItem> DanmakuFeed::parse(std::string_view eventJson) {
  const nlohmann::json e = nlohmann::json::parse(eventJson, nullptr, /*allow_exceptions=*/false);
  if (!e.is_object()) return std::nullopt;
  const auto type = e.find("msgType");
  const auto body = e.find("body");
  if (type == e.end() || *type != "text" || body == e.end() || !body->is_object())
    return std::nullopt;
  const auto text = body->find("text");
  if (text == body->end() || !text->is_string() || text->get_ref<const std::string&>().empty())
    return std::nullopt;
  DanmakuItem item;
  item.text = text->get<std::string>();
  // NOTE: the room protocol's text body has no colour; a client may put one in the
  // body's cloudCustomData (the IM's free per-message string) as {"color":"#RRGGBB"}.
  if (const auto custom = body->find("cloudCustomData");
      custom != body->end() && custom->is_string()) {
    const nlohmann::json c = nlohmann::json::parse(custom->get_ref<const std::string&>(), nullptr,
                                                   /*allow_exceptions=*/false);
    if (c.is_object())
      if (const auto color = c.find("color"); color != c.end() && color->is_string())
        item.rgb = parseRgb(color->get<std::string>()).value_or(0xFFFFFF);
  }
  return item;
}

void DanmakuFeed::onPacket(const core::MediaPacket& packet) {
  if (packet.kind != core::MediaKind::Data || packet.codec != core::Codec::RoomEvent) return;
  const std::optional<std::string> json = core::roomEventText(packet);
  if (!json) return;
  std::optional<DanmakuItem> item = parse(*json);
  if (!item) return;
  // NOTE: the packet's dts is the stream time at which the room accepted the
  // message; the stream clock now tells how long ago that was (the hub holds room
  // events until the media passes them, a frame or so).
  const core::Stream* stream = registry_.find(key_);
  const std::optional<int64_t> clock = stream ? stream->clockNowMs() : std::nullopt;
  const int64_t ago = clock ? std::max<int64_t>(0, *clock - packet.dts) : 0;
  item->acceptedMs = compositorNowMs() - ago;
  inbox_.received.fetch_add(1, std::memory_order_relaxed);
  if (inbox_.queue.tryPush(*item)) return;
  inbox_.queueDropped.fetch_add(1, std::memory_order_relaxed);
  if (!fullWarned_)
    spdlog::warn("program {}: danmaku from {}: the compositor is behind, messages dropped",
                 program_, key_);
  fullWarned_ = true;
}

void DanmakuFeed::onStreamEnd(std::string_view reason) {
  // NOTE: inside the Stream's callback: the subscription goes after this turn; the
  // next publish of the key subscribes again (Program::onPublish).
  loop_.deferDelete(std::move(sub_));
}

}  // namespace mixer
