// ChatMessage: what a member or the backend sends into a room, and the rules for
// its parts: the types, their bodies, their default priorities (R6), the
// sender as members see it (R18). Values; pure; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/format/json_text.hpp"
#include "room/priority_rate_limiter.hpp"
#include "room/room_info.hpp"

namespace room {

// The IM's error codes the room uses (reference/chat-room.md).
namespace code {
inline constexpr int kInternal = 10002;
inline constexpr int kBadCommand = 10003;
inline constexpr int kBadParameter = 10004;
inline constexpr int kNoPermission = 10007;
inline constexpr int kNoSuchRoom = 10010;
inline constexpr int kRoomFull = 10014;  // the room's maxMembers are online
inline constexpr int kBadRoomId = 10015;
inline constexpr int kRoomExists = 10021;  // the IM's "group ID already used"
inline constexpr int kRejected = 10016;    // refused by a before-send hook or the filter
inline constexpr int kMuted = 10017;
inline constexpr int kTooFrequent = 10006;  // the room's own limit (backend queue full)
inline constexpr int kTooFast = 10023;
}  // namespace code

enum class MemberRole : uint8_t { Owner, Admin, Member, Guest };
const char* roleName(MemberRole role);
std::optional<MemberRole> parseRole(std::string_view name);

// Who a message is from, as every member sees it.
struct Sender {
  std::string id;
  std::string nick;
  std::string avatar;
  MemberRole role = MemberRole::Member;
  int level = 0;  // in the room the message goes to (R9)
  nlohmann::json toJson() const;
};

const char* priorityName(Priority priority);
std::optional<Priority> parsePriority(std::string_view name);

// The types a member may send, and `system` (server API only).
inline constexpr std::string_view kMessageTypes[] = {"text",  "custom", "image",
                                                     "voice", "gift",   "like"};
bool isMessageType(std::string_view type);
Priority defaultPriority(std::string_view type);

// Checks a body for `type` (see docs/room-protocol.md); 10004 with the reason.
RoomError checkMessageBody(std::string_view type, const nlohmann::json& body);

// A message body is at most this many bytes as JSON, whoever sends it: the IM's
// message size, and the bound on a member's whole WebSocket message
// (http::WebSocketOptions::maxMessageBytes), so the server APIs can send no more.
inline constexpr size_t kMaxMessageBodyBytes = 12 * 1024;

// The body members get of a `type` message built from `in` (a member's, an API
// call's or the backend's): checked as checkMessageBody does, with only the
// documented fields of the type (docs/room-protocol.md), at most
// kMaxMessageBodyBytes as JSON. 10004 with the reason; `out` may be `in`.
// NOTE: the one place a body from outside becomes a message body: every
// transport calls it, so no field a client made up reaches the other members.
RoomError messageBody(std::string_view type, const nlohmann::json& in, nlohmann::json& out);

// Where a message came from: what the backend's callbacks may be told about it
// (the IM's OptPlatform, ClientIP, Operator_Account, Random) and which of them it
// skips (the IM REST's ForbidCallbackControl). Members never see it.
enum class Origin : uint8_t {
  Room,         // made by the room itself: like sums, gift streaks, lottery winners
  WebSocket,    // a member's client (docs/room-protocol.md)
  ApiV1,        // the HTTP API, /api/v1
  ImRest,       // the seed IM's REST API, /v4
  DataChannel,  // a member's WebRTC data channel
};
const char* originName(Origin origin);
// The number in a message id ("m<run>-<n>"): unique and increasing on this
// server; the IM REST reply's and the after-send callback's MsgSeq. 0 if none.
int64_t msgSeqOf(const std::string& msgId);

struct MessageSource {
  Origin origin = Origin::Room;
  std::string platform;            // the client's (Web, Android, iOS...; "" unknown); RESTAPI
  std::string clientIp;            // the client's address; "" for the room's own
  std::string operatorAccount;     // the admin account behind an API call; "" for a member
  std::optional<uint32_t> random;  // the IM REST call's Random
  bool skipBeforeSend = false;     // ForbidBeforeSendMsgCallback
  bool skipAfterSend = false;      // ForbidAfterSendMsgCallback
};

// One element of a message (the IM's MsgBody holds a list of them): a type
// ("text", "custom", "image", "voice", "gift", "like", "system") and its body
// (as a client sent it, null when none, until messageBody() checked it).
struct MessageElement {
  std::string type;
  nlohmann::json body;
};
inline constexpr size_t kMaxMessageElements = 20;  // the IM's MsgBody limit

struct ChatMessage {
  std::string type;  // one of kMessageTypes, or "system": the first element's
  Priority priority = Priority::Normal;
  Sender from;
  nlohmann::json body;  // the first element's
  MessageSource source = {};
  // The elements after the first (text, custom, image or voice), in order: the
  // IM's MsgBody list is kept whole, for members, history, callbacks and the
  // sidechannel. Usually empty.
  std::vector<MessageElement> rest = {};
};

// Every element of `message` as members see them: [{"type", "body"}, ...].
nlohmann::json elementsJson(const ChatMessage& message);

// Room ids are stream keys: one or two segments of [A-Za-z0-9_.-], <= 48 bytes.
RoomError checkRoomId(std::string_view id);

}  // namespace room
