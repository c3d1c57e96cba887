#include "protocols/room/im_rest_api.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "core/auth/query_string.hpp"
#include "core/format/json_text.hpp"
#include "protocols/room/deferred_answer.hpp"
#include "protocols/room/im_rest_call.hpp"

namespace room {
namespace {

using nlohmann::json;
using namespace imrest;

const std::string kGroupService = "/v4/group_open_http_svc/";
const std::string kAvChatRoomService = "/v4/group_open_avchatroom_http_svc/";

// The IM's REST-level codes (its public error code list).
constexpr int kHttpParseError = 60002;  // the URL or the request is malformed
constexpr int kJsonParseError = 60003;  // the body is not JSON
constexpr int kBadAccount = 60004;      // identifier or usersig missing
constexpr int kBadAppId = 60006;        // sdkappid is not this app's
constexpr int kNeedsAdmin = 60010;      // the identifier is no app admin
constexpr int kNoAppId = 60012;         // sdkappid missing

// A command answers through `reply`, at once or later (a send waits for the
// message path); most answer at once and are written as json(const Call&).
using Command = std::function<void(const Call&, const Reply&)>;

Command now(json (*command)(const Call&)) {
  return [command](const Call& c, const Reply& reply) { reply(command(c)); };
}

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> kTable = {
      {kGroupService + "send_group_msg", sendGroupMsg},
      {kGroupService + "send_group_system_notification", sendSystemNotification},
      {kGroupService + "send_broadcast_msg", now(sendBroadcastMsg)},
      {kGroupService + "create_group", now(createGroup)},
      {kGroupService + "destroy_group", now(destroyGroup)},
      {kGroupService + "forbid_send_msg", now(forbidSendMsg)},
      // The IM renamed get_group_shutted_uin; both names are served.
      {kGroupService + "get_group_shutted_uin", now(getGroupMutedAccount)},
      {kGroupService + "get_group_muted_account", now(getGroupMutedAccount)},
      {kGroupService + "modify_group_base_info", now(modifyGroupBaseInfo)},
      {kGroupService + "get_group_info", now(getGroupInfo)},
      {kGroupService + "get_online_member_num", now(getOnlineMemberNum)},
      {kGroupService + "ban_group_member", now(banGroupMember)},
      {kGroupService + "unban_group_member", now(unbanGroupMember)},
      {kGroupService + "get_group_ban_member", now(getGroupBanMember)},
      {kAvChatRoomService + "get_members", now(getMembers)},
  };
  return kTable;
}

// The IM's query authentication: sdkappid, an admin identifier and its usersig;
// `admin` gets the identifier.
std::optional<json> authenticate(const http::HttpRequest& req, RoomServer& server,
                                 std::string& admin) {
  const auto query = core::QueryString::parse(req.query);
  if (!query.ok()) return failReply(kHttpParseError, "bad query: " + query.error());
  const std::string* appId = query.find("sdkappid");
  const std::string* id = query.find("identifier");
  const std::string* sig = query.find("usersig");
  if (!appId || appId->empty()) return failReply(kNoAppId, "sdkappid is required in the query");
  if (query.count("sdkappid") > 1 || query.count("identifier") > 1 || query.count("usersig") > 1)
    return failReply(kHttpParseError, "sdkappid, identifier and usersig must appear once");
  if (*appId != std::to_string(server.options().appId))
    return failReply(kBadAppId, "sdkappid " + appId->substr(0, 20) + " is not this server's app");
  if (!id || !sig || id->empty() || sig->empty())
    return failReply(kBadAccount, "identifier and usersig are required in the query");
  if (const std::string* type = query.find("contenttype"); type && *type != "json")
    return failReply(kHttpParseError, "contenttype must be json");
  if (!server.isAdmin(*id))
    return failReply(kNeedsAdmin, id->substr(0, 32) + " is not an app admin account");
  const core::UserSigCheck check = server.verify(*id, *sig);
  if (!check.ok()) return failReply(check.code, "usersig refused: " + check.reason);
  admin = *id;
  return std::nullopt;
}

void handle(const http::HttpRequest& req, RoomServer& server, const Reply& reply) {
  if (req.method != "POST") return reply(failReply(kHttpParseError, "use POST"));
  std::string admin;
  if (auto denied = authenticate(req, server, admin)) return reply(*denied);
  const auto& table = commands();
  auto command = table.find(req.path);
  if (command == table.end())
    return reply(failReply(code::kBadCommand, "unknown command " + req.path.substr(0, 100)));
  const core::JsonRead read = core::readJson(req.body, http::kMaxJsonBodyBytes);
  if (!read.ok()) return reply(failReply(kJsonParseError, "the body is " + read.error));
  if (!read.value.is_object())
    return reply(failReply(code::kBadParameter, "the body must be a JSON object"));
  command->second({req, server, admin, read.value}, reply);
}

}  // namespace

void registerImRestApi(http::HttpServer& http, RoomServer& server) {
  http.route(
      [](const http::HttpRequest& req) {
        return req.path.starts_with(kGroupService) || req.path.starts_with(kAvChatRoomService);
      },
      [&server](const http::HttpRequest& req, http::HttpExchange& exchange) {
        return DeferredAnswer::run(exchange, [&](DeferredAnswer::Answer respond) {
          handle(req, server, [peer = req.peer, path = req.path, respond](json reply) {
            if (reply["ActionStatus"] != "OK")
              spdlog::info("im rest {} {}: {} {}", peer, path, reply["ErrorCode"].dump(),
                           reply["ErrorInfo"].get<std::string>());
            respond(http::HttpResponse::json(200, core::dumpJson(reply) + "\n"));
          });
        });
      });
}

}  // namespace room
