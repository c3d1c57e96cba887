#include "room/room_state.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace room {
namespace {

const char* statusReasonName(RoomStatus s) {
  switch (s) {
    case RoomStatus::Waiting:
      return "waiting";
    case RoomStatus::Live:
      return "live";
    case RoomStatus::Paused:
      return "paused";
    case RoomStatus::Ended:
      return "ended";
    case RoomStatus::Replay:
      return "replay";
  }
  return "waiting";
}

}  // namespace

RoomState::RoomState(RoomContext& ctx, RoomMembers& members)
    : ctx_(ctx), members_(members), endTimer_(ctx.loop, [this] {
        if (info_.status() == RoomStatus::Paused) setStatus(4, "stream ended");
      }) {}

RoomError RoomState::setStatus(int status, std::string_view reason, const std::string& replay) {
  if (!replay.empty() && status != static_cast<int>(RoomStatus::Replay))
    return {code::kBadParameter, "a replay recording goes with status 5 (replay)"};
  const RoomStatus before = info_.status();
  const std::string replayBefore = replay_;
  if (RoomError e = info_.setStatus(status); !e.ok()) return e;
  if (info_.status() != RoomStatus::Paused) endTimer_.stop();
  replay_ = info_.status() == RoomStatus::Replay ? replay : std::string();
  if (info_.status() == before && replay_ == replayBefore) return {};
  spdlog::info("room {}: status {} -> {} ({}{})", ctx_.id, statusReasonName(before),
               statusReasonName(info_.status()), reason,
               replay_.empty() ? "" : ", replay " + replay_);
  auto event = members_.eventHead("status");
  event["status"] = status;
  event["reason"] = std::string(reason);
  if (!replay_.empty()) event["replay"] = replayJson();
  members_.emit(std::move(event), false);
  return {};
}

nlohmann::json RoomState::replayJson() const {
  if (replay_.empty()) return nullptr;
  // NOTE: what a client loads: the recording as HLS VOD with the chat inside, and
  // the event log for clients that draw the danmaku themselves.
  return {{"id", replay_},
          {"url", "/replay/" + replay_ + ".m3u8"},
          {"events", "/replay/" + replay_ + "/events.json"}};
}

nlohmann::json RoomState::attributesJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : info_.attributes()) out[k] = v;
  return out;
}

RoomError RoomState::updateInfo(const nlohmann::json& patch) {
  if (!patch.is_object()) return {code::kBadParameter, "expected a JSON object"};
  RoomInfo next = info_;
  nlohmann::json changed = nlohmann::json::object();
  auto text = [&](const char* key, auto setter) -> RoomError {
    auto it = patch.find(key);
    if (it == patch.end()) return {};
    if (!it->is_string()) return {code::kBadParameter, std::string(key) + " must be a string"};
    if (RoomError e = (next.*setter)(it->template get<std::string>()); !e.ok()) return e;
    changed[key] = *it;
    return {};
  };
  if (RoomError e = text("name", &RoomInfo::setName); !e.ok()) return e;
  if (RoomError e = text("faceUrl", &RoomInfo::setFaceUrl); !e.ok()) return e;
  if (auto it = patch.find("maxMembers"); it != patch.end()) {
    if (!it->is_number_integer()) return {code::kBadParameter, "maxMembers must be an integer"};
    if (RoomError e = next.setMaxMembers(it->get<int64_t>()); !e.ok()) return e;
    changed["maxMembers"] = next.maxMembers();
  }
  if (RoomError e = text("announcement", &RoomInfo::setAnnouncement); !e.ok()) return e;
  if (RoomError e = text("introduction", &RoomInfo::setIntroduction); !e.ok()) return e;
  if (auto it = patch.find("attributes"); it != patch.end()) {
    if (!it->is_object()) return {code::kBadParameter, "attributes must be an object of strings"};
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return {code::kBadParameter, "attribute " + k + " must be a string"};
      if (RoomError e = next.setAttribute(k, v.get<std::string>()); !e.ok()) return e;
    }
    changed["attributes"] = nlohmann::json::object();
    for (const auto& [k, v] : next.attributes()) changed["attributes"][k] = v;
  }
  if (changed.empty()) return {};
  info_ = std::move(next);
  auto event = members_.eventHead("info");
  for (auto& [k, v] : changed.items()) event[k] = v;
  members_.emit(std::move(event), false);
  return {};
}

void RoomState::streamPublished() {
  endTimer_.stop();
  setStatus(static_cast<int>(RoomStatus::Live), "stream published");
}

void RoomState::streamGone(int64_t endedAfterMs) {
  if (info_.status() != RoomStatus::Live) return;
  setStatus(static_cast<int>(RoomStatus::Paused), "publisher gone");
  endTimer_.start(static_cast<uint64_t>(std::max<int64_t>(0, endedAfterMs)));
}

}  // namespace room
