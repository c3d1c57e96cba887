// RoomRegistry: every room of this server, by id (a stream key). Creates rooms
// for the API and, if configured, on a stream's first publish; lets the stream
// drive a room's status (publish -> live, publisher gone -> paused -> ended).
// Owned by main(); loop thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/media/stream_registry.hpp"
#include "room/room.hpp"
#include "room/sidechannel.hpp"

namespace room {

struct RoomRegistryOptions {
  RoomOptions room;          // defaults for new rooms
  bool autoCreate = true;    // a publish creates its room
  bool followStream = true;  // the stream drives the status
  int64_t endedAfterMs = 300000;
};

class RoomRegistry : public core::StreamObserver {
 public:
  RoomRegistry(core::EventLoop& loop, RoomRegistryOptions options);
  ~RoomRegistry() override;

  Room* find(const std::string& id) const;
  // nullptr with `error` set (10015 bad id, or 10004 "exists" with *exists = true).
  Room* create(const std::string& id, const std::string& owner, RoomError& error,
               bool* exists = nullptr);
  bool remove(const std::string& id);
  // An unused room id for a room its creator did not name ("g" + 16 hex digits).
  std::string newRoomId() const;
  std::vector<Room*> rooms() const;
  size_t size() const { return rooms_.size(); }

  // The backend's hooks for every room, present and future (not owned).
  void setHooks(RoomHooks* hooks);
  RoomHooks* hooks() const { return hooks_; }

  // Links every room, present and future, to its stream (not owned; null unlinks
  // them all).
  void setSidechannel(Sidechannel* sidechannel);

  // A system message to every room (R17); returns how many rooms.
  size_t broadcast(const ChatMessage& message);

  // StreamObserver
  void onPublish(const core::Stream& stream) override;
  void onUnpublish(const core::Stream& stream) override;

 private:
  std::string nextMessageId();

  core::EventLoop& loop_;
  RoomRegistryOptions options_;
  std::string runId_;
  uint64_t messages_ = 0;
  RoomHooks* hooks_ = nullptr;
  Sidechannel* sidechannel_ = nullptr;
  std::map<std::string, std::unique_ptr<Room>> rooms_;
};

}  // namespace room
