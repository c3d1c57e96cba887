#include "protocols/room/rooms_api.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <variant>

#include "core/auth/query_string.hpp"
#include "core/format/json_text.hpp"
#include "protocols/room/deferred_answer.hpp"
#include "protocols/room/json_fields.hpp"

namespace room {
namespace {

using nlohmann::json;

const std::string kPrefix = "/api/v1/rooms";

http::HttpResponse answer(int status, const json& body) {
  return http::HttpResponse::json(status, core::dumpJson(body) + "\n");
}

http::HttpResponse failure(const http::HttpRequest& req, int status, int errorCode,
                           const std::string& message) {
  spdlog::info("room api {} {} {}: {} ({})", req.peer, req.method, req.path, status, message);
  return answer(status, {{"error", message}, {"code", errorCode}});
}

http::HttpResponse failure(const http::HttpRequest& req, const RoomError& e) {
  const int status = e.code == code::kNoSuchRoom ? 404 : 400;
  return failure(req, status, e.code, e.message);
}

// The JSON body of a write; nullopt (and `error`) if it is not an object, or
// too large (413) or too deep (400) to be read.
std::optional<json> body(const http::HttpRequest& req, std::optional<http::HttpResponse>& error) {
  if (req.body.empty()) return json::object();
  core::JsonRead read = core::readJson(req.body, http::kMaxJsonBodyBytes);
  if (read.status == core::JsonRead::Status::TooLarge ||
      read.status == core::JsonRead::Status::TooDeep) {
    const int status = read.status == core::JsonRead::Status::TooLarge ? 413 : 400;
    error = failure(req, status, code::kBadParameter, "the body is " + read.error);
    return std::nullopt;
  }
  if (!read.ok() || !read.value.is_object()) {
    error = failure(req, 400, code::kBadParameter, "the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(read.value);
}

// Applies status / info / rateLimit fields of `patch` to `room`; all checked
// before any is applied.
std::optional<RoomError> applyPatch(Room& room, const json& patch) {
  auto rate = patch.find("rateLimit");
  if (rate != patch.end() &&
      (!rate->is_number_integer() || rate->get<int64_t>() < 1 || rate->get<int64_t>() > 100000))
    return RoomError{code::kBadParameter, "rateLimit must be an integer 1..100000 messages/s"};
  auto status = patch.find("status");
  if (status != patch.end() &&
      (!status->is_number_integer() || status->get<int64_t>() < 1 || status->get<int64_t>() > 5))
    return RoomError{code::kBadParameter,
                     "status must be 1 (waiting), 2 (live), 3 (paused), 4 (ended) or 5 (replay)"};
  std::string replay;
  if (auto it = patch.find("replay"); it != patch.end()) {
    const bool ok =
        it->is_string() && !it->get<std::string>().empty() &&
        it->get<std::string>().size() <= 128 &&
        std::all_of(it->get_ref<const std::string&>().begin(),
                    it->get_ref<const std::string&>().end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                    });
    if (!ok) return RoomError{code::kBadParameter, "replay must be a recording id"};
    if (status == patch.end() || status->get<int64_t>() != 5)
      return RoomError{code::kBadParameter, "replay goes with \"status\": 5"};
    replay = it->get<std::string>();
  }
  if (RoomError e = room.state().updateInfo(patch); !e.ok()) return e;
  if (status != patch.end()) room.state().setStatus(status->get<int>(), "set by the API", replay);
  if (rate != patch.end()) room.delivery().setRate(static_cast<double>(rate->get<int64_t>()));
  return std::nullopt;
}

// What a failure's log line names of a request, kept for an answer given later.
http::HttpRequest lineOf(const http::HttpRequest& req) {
  http::HttpRequest line;
  line.peer = req.peer;
  line.method = req.method;
  line.path = req.path;
  return line;
}

// Where an API call's message comes from: the caller's address and its admin
// account (the identifier requireAdmin checked).
MessageSource apiSource(const http::HttpRequest& req) {
  MessageSource source;
  source.origin = Origin::ApiV1;
  source.platform = "RESTAPI";
  source.clientIp = RoomServer::clientIp(req.peer);
  const auto query = core::QueryString::parse(req.query);
  if (const std::string* admin = query.find("identifier")) source.operatorAccount = *admin;
  return source;
}

// A message from the API: as the system, or as a user with a chosen priority
// (its type, priority and body are the message path's to check).
std::variant<SendRequest, RoomError> apiRequest(const http::HttpRequest& req, const json& b,
                                                RoomServer& server, bool systemOnly) {
  const auto typeField = textField(b, "type", "system");
  const auto from = systemOnly ? std::optional<std::string>("") : textField(b, "from");
  const auto nick = textField(b, "nick"), avatar = textField(b, "avatar");
  if (!typeField || !from || !nick || !avatar)
    return RoomError{code::kBadParameter, "type, from, nick and avatar must be strings"};
  const std::string type = systemOnly ? "system" : *typeField;
  SendRequest r;
  r.source = apiSource(req);
  if (from->empty() || type == "system") {
    r.from = {"administrator", "system", "", MemberRole::Admin};
  } else {
    if (from->size() > 32 || nick->size() > 64 || avatar->size() > 512)
      return RoomError{code::kBadParameter,
                       "from (<= 32 bytes), nick (<= 64), avatar (<= 512) too long"};
    r.from = {*from, nick->empty() ? *from : *nick, *avatar,
              server.isAdmin(*from) ? MemberRole::Admin : MemberRole::Member};
  }
  auto body = b.find("body");
  r.elements.push_back({type, body == b.end() ? json() : *body});
  if (auto it = b.find("priority"); it != b.end())
    r.priority = it->is_string() ? it->get<std::string>() : std::string();
  return r;
}

// POST .../messages: a message as the system or a user (likes merge, R8).
http::HttpResponse postMessage(const http::HttpRequest& req, http::HttpExchange& exchange,
                               Room& room, RoomServer& server, const json& b) {
  auto request = apiRequest(req, b, server, false);
  if (auto* e = std::get_if<RoomError>(&request))
    return failure(req, MessagePath::refused(room, *e).error);
  return DeferredAnswer::run(exchange, [&](DeferredAnswer::Answer respond) {
    server.messages().send(room, std::get<SendRequest>(std::move(request)),
                           [line = lineOf(req), respond](SendResult r) {
                             if (!r.ok()) return respond(failure(line, r.error));
                             if (r.merged)
                               return respond(answer(200, {{"merged", true}, {"likes", r.likes}}));
                             respond(answer(200, {{"msgId", r.msgId}, {"time", r.timeMs}}));
                           });
  });
}

// The user ids of a moderation call: "members": [ids] (<= 500, as the IM's).
std::optional<std::vector<std::string>> memberIds(const json& b, RoomError& error) {
  auto it = b.find("members");
  if (it == b.end()) return std::vector<std::string>{};
  if (!it->is_array() || it->size() > 500) {
    error = {code::kBadParameter, "members must be an array of at most 500 user ids"};
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > 32) {
      error = {code::kBadParameter, "each member must be a user id of 1..32 bytes"};
      return std::nullopt;
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

// POST .../mute {"members", "seconds"} or {"all": bool}; .../kick {"members",
// "reason"?, "seconds"? (ban length, 0 = forever)}; .../unban {"members"}.
http::HttpResponse moderate(const http::HttpRequest& req, Room& room, const std::string& what,
                            const json& b) {
  RoomError error;
  auto ids = memberIds(b, error);
  if (!ids) return failure(req, error);
  auto seconds = b.find("seconds");
  if (seconds != b.end() && (!seconds->is_number_integer() || seconds->get<int64_t>() < 0))
    return failure(req, 400, code::kBadParameter, "seconds must be a non-negative integer");
  const int64_t secs = seconds == b.end() ? 0 : seconds->get<int64_t>();
  if (what == "mute") {
    auto all = b.find("all");
    if (all != b.end() && !all->is_boolean())
      return failure(req, 400, code::kBadParameter, "all must be true or false");
    if (ids->empty() && all == b.end())
      return failure(req, 400, code::kBadParameter, "mute needs \"members\" or \"all\"");
    if (all != b.end()) room.moderation().muteAll(all->get<bool>());
    for (const auto& id : *ids) room.moderation().mute(id, secs);
    return answer(200, room.views().mutes());
  }
  if (ids->empty()) return failure(req, 400, code::kBadParameter, what + " needs \"members\"");
  if (what == "kick") {
    const auto reason = textField(b, "reason", "kicked by an admin");
    if (!reason || reason->size() > 256)
      return failure(req, 400, code::kBadParameter, "reason must be a string of at most 256 bytes");
    size_t removed = 0;
    for (const auto& id : *ids) removed += room.kick(id, *reason, secs);
    json out = room.views().bans();
    out["removed"] = removed;
    return answer(200, out);
  }
  for (const auto& id : *ids) room.moderation().unban(id);
  return answer(200, room.views().bans());
}

// POST .../gifts {"from", "gift", "count"?: n (default 1), "streak"?: bool}: a
// gift the backend billed (R7); streak clicks merge, an explicit count is one message.
http::HttpResponse sendGift(const http::HttpRequest& req, http::HttpExchange& exchange, Room& room,
                            RoomServer& server, const json& b) {
  const auto from = textField(b, "from"), gift = textField(b, "gift");
  const auto nick = textField(b, "nick"), avatar = textField(b, "avatar");
  if (!from || from->empty() || from->size() > 32 || !gift || gift->empty() || gift->size() > 64 ||
      !nick || nick->size() > 64 || !avatar || avatar->size() > 512)
    return failure(req, 400, code::kBadParameter,
                   "a gift needs \"from\" (user id <= 32 bytes) and \"gift\" (<= 64 bytes)");
  auto count = b.find("count");
  if (count != b.end() &&
      (!count->is_number_integer() || count->get<int64_t>() < 1 || count->get<int64_t>() > 1000000))
    return failure(req, 400, code::kBadParameter, "count must be an integer 1..1000000");
  auto streak = b.find("streak");
  if (streak != b.end() && !streak->is_boolean())
    return failure(req, 400, code::kBadParameter, "streak must be true or false");
  SendRequest r;
  r.source = apiSource(req);
  r.from = {*from, nick->empty() ? *from : *nick, *avatar,
            server.isAdmin(*from) ? MemberRole::Admin : MemberRole::Member};
  r.elements.push_back(
      {"gift", {{"gift", *gift}, {"count", count == b.end() ? 1 : count->get<int64_t>()}}});
  r.billedGift = true;
  r.giftStreak = streak != b.end() && streak->get<bool>();
  return DeferredAnswer::run(exchange, [&](DeferredAnswer::Answer respond) {
    server.messages().send(room, std::move(r), [line = lineOf(req), respond](SendResult s) {
      if (!s.ok()) return respond(failure(line, s.error));
      json out = {{"time", s.timeMs}, {"merged", s.merged}};
      if (!s.msgId.empty()) out["msgId"] = s.msgId;
      respond(answer(200, out));
    });
  });
}

// GET .../members?role=&limit=: the recent joiners (R15).
http::HttpResponse listMembers(const http::HttpRequest& req, Room& room) {
  const auto q = core::QueryString::parse(req.query);
  std::optional<MemberRole> role;
  if (const std::string* r = q.find("role"); r && !r->empty()) {
    role = parseRole(*r);
    if (!role) return failure(req, 400, code::kBadParameter, "role must be owner, admin or member");
  }
  size_t limit = 30;
  if (const std::string* l = q.find("limit")) {
    char* end = nullptr;
    const long v = std::strtol(l->c_str(), &end, 10);
    if (*end != '\0' || v < 1 || v > 1000)
      return failure(req, 400, code::kBadParameter, "limit must be 1..1000");
    limit = static_cast<size_t>(v);
  }
  return answer(200, room.views().members(role, limit));
}

// POST .../membership {"members", "member": bool} (R9).
http::HttpResponse setMembership(const http::HttpRequest& req, Room& room, const json& b) {
  RoomError error;
  auto ids = memberIds(b, error);
  if (!ids) return failure(req, error);
  auto flag = b.find("member");
  if (ids->empty() || flag == b.end() || !flag->is_boolean())
    return failure(req, 400, code::kBadParameter,
                   "membership needs \"members\" and \"member\": true|false");
  json users = json::array();
  for (const auto& id : *ids) {
    room.engagement().setMembership(id, flag->get<bool>());
    users.push_back(room.views().user(id));
  }
  return answer(200, {{"room", room.id()}, {"users", std::move(users)}});
}

// POST .../lottery {"keyword", "seconds", "winners"} (R16).
http::HttpResponse startLottery(const http::HttpRequest& req, Room& room, const json& b) {
  const auto keyword = textField(b, "keyword");
  auto seconds = b.find("seconds"), winners = b.find("winners");
  if (!keyword || seconds == b.end() || !seconds->is_number_integer() || winners == b.end() ||
      !winners->is_number_integer() || winners->get<int64_t>() < 1)
    return failure(req, 400, code::kBadParameter,
                   "a lottery needs \"keyword\", \"seconds\" and \"winners\" (integers)");
  if (auto e = room.lottery().start(*keyword, seconds->get<int64_t>(),
                                    static_cast<size_t>(winners->get<int64_t>()));
      !e.ok())
    return failure(req, e);
  return answer(200, room.views().lottery());
}

http::HttpResponse roomCall(const http::HttpRequest& req, http::HttpExchange& exchange,
                            RoomServer& server, std::string id, const std::string& sub) {
  RoomRegistry& rooms = server.rooms();
  Room* room = rooms.find(id);
  if (!room) return failure(req, 404, code::kNoSuchRoom, "no such room: " + id);
  const bool read = req.method == "GET";
  if (sub.empty() && read) return answer(200, room->views().describe());
  if (auto denied = requireAdmin(req, server)) return *denied;
  std::optional<http::HttpResponse> error;
  if (sub.empty() && req.method == "DELETE") {
    rooms.remove(id);
    return answer(200, {{"deleted", id}});
  }
  if (sub == "members" && read) return listMembers(req, *room);
  if (sub == "counters" && read) return answer(200, room->views().counters());
  if (sub == "mutes" && read) return answer(200, room->views().mutes());
  if (sub == "bans" && read) return answer(200, room->views().bans());
  if (sub == "gifts" && read) return answer(200, room->views().gifts(10));
  if (sub == "lottery" && read) return answer(200, room->views().lottery());
  if (sub.starts_with("users/") && read) return answer(200, room->views().user(sub.substr(6)));
  if (req.method != "POST" && req.method != "PATCH" && req.method != "PUT")
    return failure(req, 405, code::kBadCommand, req.method + " is not allowed here");
  auto b = body(req, error);
  if (!b) return *error;
  if (sub.empty()) {
    if (auto e = applyPatch(*room, *b)) return failure(req, *e);
    return answer(200, room->views().describe());
  }
  if (sub == "mute" || sub == "kick" || sub == "unban") return moderate(req, *room, sub, *b);
  if (sub == "gifts") return sendGift(req, exchange, *room, server, *b);
  if (sub == "membership") return setMembership(req, *room, *b);
  if (sub == "lottery") return startLottery(req, *room, *b);
  if (sub == "messages") return postMessage(req, exchange, *room, server, *b);
  return failure(req, 404, code::kBadCommand, "no such resource: " + req.path);
}

http::HttpResponse revokeCall(const http::HttpRequest& req, RoomServer& server,
                              const std::string& id, const std::string& msgId) {
  if (req.method != "POST") return failure(req, 405, code::kBadCommand, "use POST");
  if (auto denied = requireAdmin(req, server)) return *denied;
  Room* room = server.rooms().find(id);
  if (!room) return failure(req, 404, code::kNoSuchRoom, "no such room: " + id);
  if (msgId.empty() || msgId.size() > 64 || msgId.find('/') != std::string::npos)
    return failure(req, 400, code::kBadParameter, "bad message id");
  const bool inHistory = room->delivery().revoke(msgId);
  return answer(200, {{"revoked", msgId}, {"inHistory", inHistory}});
}

http::HttpResponse createRoom(const http::HttpRequest& req, RoomServer& server) {
  if (auto denied = requireAdmin(req, server)) return *denied;
  std::optional<http::HttpResponse> error;
  auto b = body(req, error);
  if (!b) return *error;
  const auto idField = textField(*b, "id"), ownerField = textField(*b, "owner");
  if (!idField || !ownerField || ownerField->size() > 32)
    return failure(req, 400, code::kBadParameter,
                   "id must be a string; owner a user id of at most 32 bytes");
  const std::string& id = *idField;
  const std::string& owner = *ownerField;
  RoomError e;
  bool exists = false;
  Room* room = server.rooms().create(id, owner, e, &exists);
  if (!room) return failure(req, exists ? 409 : 400, e.code, e.message);
  if (auto bad = applyPatch(*room, *b)) {
    server.rooms().remove(id);
    return failure(req, *bad);
  }
  return answer(201, room->views().describe());
}

// Splits "/api/v1/rooms/live/demo/members" into ("live/demo", "members").
std::pair<std::string, std::string> splitRoomPath(const std::string& rest) {
  if (const size_t u = rest.rfind("/users/"); u != std::string::npos && u + 7 < rest.size())
    return {rest.substr(0, u), "users/" + rest.substr(u + 7)};
  static const char* const kSubs[] = {"members", "counters", "messages",  "mute",
                                      "mutes",   "kick",     "unban",     "bans",
                                      "gifts",   "lottery",  "membership"};
  for (const char* sub : kSubs) {
    const std::string tail = std::string("/") + sub;
    if (rest.size() > tail.size() && rest.ends_with(tail))
      return {rest.substr(0, rest.size() - tail.size()), sub};
  }
  return {rest, ""};
}

}  // namespace

std::optional<http::HttpResponse> requireAdmin(const http::HttpRequest& req, RoomServer& server) {
  const auto query = core::QueryString::parse(req.query);
  if (!query.ok()) return failure(req, 400, code::kBadParameter, "bad query: " + query.error());
  const std::string* id = query.find("identifier");
  const std::string* sig = query.find("usersig");
  if (!id || !sig)
    return failure(req, 401, code::kNoPermission,
                   "an admin's identifier and usersig are required in the query");
  if (!server.isAdmin(*id))
    return failure(req, 403, code::kNoPermission, *id + " is not an admin account");
  const core::UserSigCheck check = server.verify(*id, *sig);
  if (!check.ok()) return failure(req, 403, check.code, "usersig refused: " + check.reason);
  return std::nullopt;
}

void registerRoomsApi(http::HttpServer& http, RoomServer& server) {
  http.route(
      [](const http::HttpRequest& req) {
        return req.path == "/api/v1/broadcast" || req.path == kPrefix ||
               req.path.starts_with(kPrefix + "/");
      },
      [&server](const http::HttpRequest& req, http::HttpExchange& exchange) {
        if (req.path == "/api/v1/broadcast") {
          if (req.method != "POST") return failure(req, 405, code::kBadCommand, "use POST");
          if (auto denied = requireAdmin(req, server)) return *denied;
          std::optional<http::HttpResponse> error;
          auto b = body(req, error);
          if (!b) return *error;
          auto request = apiRequest(req, *b, server, true);
          if (auto* e = std::get_if<RoomError>(&request)) return failure(req, *e);
          const SendResult sent =
              server.messages().broadcast(std::get<SendRequest>(std::move(request)));
          if (!sent.ok()) return failure(req, sent.error);
          return answer(200, {{"rooms", sent.rooms}});
        }
        std::string rest = req.path.substr(std::min(req.path.size(), kPrefix.size()));
        if (rest.starts_with("/")) rest.erase(0, 1);
        if (rest.ends_with("/")) rest.pop_back();
        if (rest.empty()) {
          if (req.method == "GET") {
            auto rooms = server.rooms().rooms();
            const auto q = core::QueryString::parse(req.query);
            if (const std::string* sort = q.find("sort")) {
              if (*sort != "popularity" && *sort != "online")
                return failure(req, 400, code::kBadParameter, "sort must be popularity or online");
              const bool byPopularity = *sort == "popularity";
              std::stable_sort(rooms.begin(), rooms.end(), [&](Room* a, Room* b) {
                return byPopularity ? a->engagement().popularity() > b->engagement().popularity()
                                    : a->online() > b->online();
              });
            }
            json list = json::array();
            for (Room* r : rooms) list.push_back(r->views().describe());
            return answer(200, {{"rooms", std::move(list)}});
          }
          if (req.method == "POST") return createRoom(req, server);
          return failure(req, 405, code::kBadCommand, req.method + " is not allowed here");
        }
        // .../rooms/{id}/messages/{msgId}/revoke
        if (const size_t m = rest.rfind("/messages/");
            m != std::string::npos && rest.ends_with("/revoke")) {
          const std::string msgId = rest.substr(m + 10, rest.size() - 7 - (m + 10));
          return revokeCall(req, server, rest.substr(0, m), msgId);
        }
        auto [id, sub] = splitRoomPath(rest);
        return roomCall(req, exchange, server, id, sub);
      });
}

}  // namespace room
