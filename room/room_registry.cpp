#include "room/room_registry.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "core/loop/event_loop.hpp"
#include "core/media/stream.hpp"

namespace room {

RoomRegistry::RoomRegistry(core::EventLoop& loop, RoomRegistryOptions options)
    : loop_(loop), options_(options) {
  // Message ids are unique per run: "m" + a random run id + a counter.
  std::random_device rd;
  char buf[17];
  // NOTE: 32 random bits per run: ids are de-duplicated within a show, and every
  // byte of an id is paid again in each event carried inside the media.
  std::snprintf(buf, sizeof buf, "%08x", rd());
  runId_ = buf;
}

RoomRegistry::~RoomRegistry() = default;

Room* RoomRegistry::find(const std::string& id) const {
  auto it = rooms_.find(id);
  return it == rooms_.end() ? nullptr : it->second.get();
}

Room* RoomRegistry::create(const std::string& id, const std::string& owner, RoomError& error,
                           bool* exists) {
  if (exists) *exists = false;
  if (RoomError e = checkRoomId(id); !e.ok()) {
    error = e;
    return nullptr;
  }
  if (rooms_.contains(id)) {
    if (exists) *exists = true;
    error = {code::kBadParameter, "room " + id + " already exists"};
    return nullptr;
  }
  auto room =
      std::make_unique<Room>(loop_, id, owner, options_.room, [this] { return nextMessageId(); });
  Room* raw = room.get();
  raw->setHooks(hooks_);
  if (sidechannel_) sidechannel_->attach(*raw);
  rooms_.emplace(id, std::move(room));
  spdlog::info("room {}: created (owner \"{}\")", id, owner);
  return raw;
}

std::string RoomRegistry::newRoomId() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  for (;;) {
    std::string id = "g";
    for (int i = 0; i < 16; ++i) id.push_back(kHex[random() & 15]);
    if (!rooms_.contains(id)) return id;
  }
}

bool RoomRegistry::remove(const std::string& id) {
  auto it = rooms_.find(id);
  if (it == rooms_.end()) return false;
  std::unique_ptr<Room> room = std::move(it->second);
  rooms_.erase(it);
  room->dismiss();
  spdlog::info("room {}: deleted", id);
  loop_.deferDelete(std::move(room));
  return true;
}

std::vector<Room*> RoomRegistry::rooms() const {
  std::vector<Room*> out;
  out.reserve(rooms_.size());
  for (const auto& [id, room] : rooms_) out.push_back(room.get());
  return out;
}

size_t RoomRegistry::broadcast(const ChatMessage& message) {
  for (const auto& [id, room] : rooms_) room->send(nullptr, message);
  return rooms_.size();
}

void RoomRegistry::setHooks(RoomHooks* hooks) {
  hooks_ = hooks;
  for (auto& [id, room] : rooms_) room->setHooks(hooks);
}

void RoomRegistry::setSidechannel(Sidechannel* sidechannel) {
  sidechannel_ = sidechannel;
  for (auto& [id, room] : rooms_) {
    if (sidechannel) {
      sidechannel->attach(*room);
    } else {
      room->members().setStreamClock({});
      room->members().setEventTap({});
    }
  }
}

void RoomRegistry::onPublish(const core::Stream& stream) {
  if (stream.derived()) return;  // one room per source, not per rendition
  if (hooks_) hooks_->streamChanged(stream.key(), true);
  Room* room = find(stream.key());
  if (!room && options_.autoCreate) {
    RoomError error;
    room = create(stream.key(), "", error);
    if (!room) spdlog::warn("room {}: not created on publish: {}", stream.key(), error.message);
  }
  if (room && options_.followStream) room->state().streamPublished();
}

void RoomRegistry::onUnpublish(const core::Stream& stream) {
  if (stream.derived()) return;
  if (hooks_) hooks_->streamChanged(stream.key(), false);
  if (!options_.followStream) return;
  if (Room* room = find(stream.key())) room->state().streamGone(options_.endedAfterMs);
}

std::string RoomRegistry::nextMessageId() {
  return "m" + runId_ + "-" + std::to_string(++messages_);
}

}  // namespace room
