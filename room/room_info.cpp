#include "room/room_info.hpp"

#include <cctype>

namespace room {
namespace {

constexpr int kBadParameter = 10004;

RoomError tooLong(std::string_view what, size_t size, size_t limit) {
  return {kBadParameter, std::string(what) + " is " + std::to_string(size) +
                             " bytes; the limit is " + std::to_string(limit) + " bytes"};
}

}  // namespace

RoomError RoomInfo::setStatus(int status) {
  if (status < 1 || status > 5)
    return {kBadParameter,
            "status must be 1 (waiting) .. 5 (replay), got " + std::to_string(status)};
  status_ = static_cast<RoomStatus>(status);
  return {};
}

RoomError RoomInfo::setName(std::string text) {
  if (text.size() > kMaxName) return tooLong("name", text.size(), kMaxName);
  name_ = std::move(text);
  return {};
}

RoomError RoomInfo::setFaceUrl(std::string url) {
  if (url.size() > kMaxFaceUrl) return tooLong("faceUrl", url.size(), kMaxFaceUrl);
  faceUrl_ = std::move(url);
  return {};
}

RoomError RoomInfo::setMaxMembers(int64_t max) {
  if (max < 0 || max > kMaxMembers)
    return {kBadParameter, "maxMembers must be 0 (no limit) .. " + std::to_string(kMaxMembers)};
  maxMembers_ = max;
  return {};
}

RoomError RoomInfo::setAnnouncement(std::string text) {
  if (text.size() > kMaxAnnouncement) return tooLong("announcement", text.size(), kMaxAnnouncement);
  announcement_ = std::move(text);
  return {};
}

RoomError RoomInfo::setIntroduction(std::string text) {
  if (text.size() > kMaxIntroduction) return tooLong("introduction", text.size(), kMaxIntroduction);
  introduction_ = std::move(text);
  return {};
}

RoomError RoomInfo::setAttribute(const std::string& key, std::string value) {
  if (key.empty() || key.size() > kMaxAttributeKey)
    return {kBadParameter,
            "attribute key must be 1.." + std::to_string(kMaxAttributeKey) + " bytes"};
  for (char c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return {kBadParameter, "attribute key '" + key + "' may hold only [A-Za-z0-9_]"};
  if (value.empty()) {
    attributes_.erase(key);
    return {};
  }
  if (value.size() > kMaxAttributeValue)
    return tooLong("attribute " + key, value.size(), kMaxAttributeValue);
  if (!attributes_.contains(key) && attributes_.size() >= kMaxAttributes)
    return {kBadParameter,
            "a room holds at most " + std::to_string(kMaxAttributes) + " attributes"};
  attributes_[key] = std::move(value);
  return {};
}

}  // namespace room
