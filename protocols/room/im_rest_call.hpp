// The IM REST API's shared parts (/v4, docs/im-rest-compat.md): one call as its
// commands see it, the IM's reply shapes, field readers, and the commands, each
// answering through a Reply (at once, or later for a send). Loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "protocols/http/http_server.hpp"
#include "protocols/room/room_server.hpp"

namespace room::imrest {

using nlohmann::json;

inline constexpr int64_t kMaxU32 = 4294967295LL;  // Random's range; as seconds, "forever"
inline constexpr size_t kMaxAccountBytes = 32;
inline constexpr size_t kMaxMsgBodyBytes = 12 * 1024;  // the IM's message size limit
inline constexpr size_t kMaxMsgElements = 20;

// One call: the request, the server, the calling admin account and the parsed body.
struct Call {
  const http::HttpRequest& req;
  RoomServer& server;
  const std::string& admin;  // the identifier the query authenticated
  const json& body;
};

// Answers a call, now or later (a send waits for the message path).
using Reply = std::function<void(json)>;

json okReply(json fields = json::object());
json failReply(int errorCode, const std::string& info);
json failReply(const RoomError& e);

// An integer field within [lo, hi]: `fallback` when absent, nullopt when not an
// integer or out of range (never throws, whatever the JSON holds).
std::optional<int64_t> intField(const json& j, const char* key, int64_t lo, int64_t hi,
                                std::optional<int64_t> fallback);
// The room of "GroupId"; nullptr and `error` set (10004 missing, 10010 unknown).
Room* group(const Call& c, json& error);
// "Members_Account": 1..`max` user ids (the IM's per-call limit).
std::optional<std::vector<std::string>> accounts(const json& body, json& error, size_t max);
// Wall-clock ms (or null: forever) to the IM's unix seconds (4294967295: forever).
int64_t untilSeconds(const json& until);

// Messages (im_rest_messages.cpp).
void sendGroupMsg(const Call& c, const Reply& reply);
json sendBroadcastMsg(const Call& c);
void sendSystemNotification(const Call& c, const Reply& reply);
// Groups and their members (im_rest_groups.cpp).
json createGroup(const Call& c);
json destroyGroup(const Call& c);
json forbidSendMsg(const Call& c);
json getGroupMutedAccount(const Call& c);
json modifyGroupBaseInfo(const Call& c);
json getGroupInfo(const Call& c);
json getOnlineMemberNum(const Call& c);
json banGroupMember(const Call& c);
json unbanGroupMember(const Call& c);
json getGroupBanMember(const Call& c);
json getMembers(const Call& c);

}  // namespace room::imrest
