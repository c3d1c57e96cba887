// RoomInfo: what a room shows every member (R4, R5): status, name, face URL,
// announcement, introduction, custom attributes and the member limit, with the seed's limits
// enforced (error 10004 naming the limit). Owned by a Room; loop thread; pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace room {

// The seed's room states.
enum class RoomStatus : int { Waiting = 1, Live = 2, Paused = 3, Ended = 4, Replay = 5 };

struct RoomError {
  int code = 0;  // 0 = ok; the IM's codes (10004 bad parameter, ...)
  std::string message;
  bool ok() const { return code == 0; }
};

class RoomInfo {
 public:
  static constexpr size_t kMaxName = 30;      // bytes (the IM's group name)
  static constexpr size_t kMaxFaceUrl = 100;  // bytes (the IM's FaceUrl)
  static constexpr int64_t kMaxMembers = 10000000;
  static constexpr size_t kMaxAnnouncement = 300;  // bytes
  static constexpr size_t kMaxIntroduction = 240;  // bytes
  static constexpr size_t kMaxAttributes = 10;
  static constexpr size_t kMaxAttributeKey = 16;  // [A-Za-z0-9_]
  static constexpr size_t kMaxAttributeValue = 512;

  RoomError setStatus(int status);
  RoomError setName(std::string text);
  RoomError setFaceUrl(std::string url);
  // 0: no limit (the default, as the IM's AVChatRoom).
  RoomError setMaxMembers(int64_t max);
  RoomError setAnnouncement(std::string text);
  RoomError setIntroduction(std::string text);
  // An empty value removes the attribute.
  RoomError setAttribute(const std::string& key, std::string value);

  RoomStatus status() const { return status_; }
  const std::string& name() const { return name_; }
  const std::string& faceUrl() const { return faceUrl_; }
  int64_t maxMembers() const { return maxMembers_; }
  const std::string& announcement() const { return announcement_; }
  const std::string& introduction() const { return introduction_; }
  const std::map<std::string, std::string>& attributes() const { return attributes_; }

 private:
  RoomStatus status_ = RoomStatus::Waiting;
  std::string name_, faceUrl_, announcement_, introduction_;
  int64_t maxMembers_ = 0;
  std::map<std::string, std::string> attributes_;
};

}  // namespace room
