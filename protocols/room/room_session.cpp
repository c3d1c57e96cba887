#include "protocols/room/room_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "core/format/json_text.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"
#include "protocols/room/room_server.hpp"
#include "room/room_registry.hpp"

namespace room {
namespace {

constexpr size_t kMaxNick = 64;
constexpr size_t kMaxAvatar = 512;
constexpr size_t kMaxUserId = 32;
// Refusals in a row (past the rate) after which a flooding connection is closed,
// and how many of them still get a reply.
constexpr int kFloodClose = 200;
constexpr int kFloodReplies = 20;
// A data channel's requests held while its room's before-join hook decides.
constexpr size_t kMaxHeld = 32;

const std::string* stringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

bool validUserId(const std::string& id) {
  if (id.empty() || id.size() > kMaxUserId) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '@' || c == '.';
  });
}

}  // namespace

RoomSession::RoomSession(RoomServer& server, core::TextChannel& link,
                         std::optional<RoomSessionBinding> binding)
    : server_(server),
      link_(link),
      binding_(std::move(binding)),
      kind_(binding_ ? "room dc" : "room ws"),
      peer_(link.peer()),
      tokens_(server.options().clientRate * 2),
      lastRefillMs_(static_cast<int64_t>(server.loop().nowMs())),
      log_(
          [this] { return kind_ + (" " + peer_) + " (" + (who_.id.empty() ? "-" : who_.id) + ")"; },
          [&loop = server.loop()] { return loop.nowMs(); }) {}

RoomSession::~RoomSession() {
  leaveAll("LinkClose");
}

void RoomSession::close(std::string_view reason) {
  if (closed_) return;
  if (!link_.closed()) {
    link_.close(reason, false);  // onClose follows and removes us
    return;
  }
  onClose(reason);
}

void RoomSession::onClose(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  log_.flush();
  spdlog::info("{} {} ({}) closed: {}", kind_, peer_, who_.id.empty() ? "-" : who_.id, reason);
  leaveAll("LinkClose");
  if (RoomHooks* hooks = server_.rooms().hooks();
      hooks && loggedIn_ && who_.role != MemberRole::Guest) {
    // The IM's words: a client that said goodbye logged out; one that went
    // silent timed out; anything else is a lost link.
    const bool goodbye = reason.find("peer closed") != std::string_view::npos;
    const bool silent = reason.find("idle") != std::string_view::npos;
    hooks->stateChanged(who_.id, goodbye ? "Logout" : "Disconnect",
                        goodbye  ? "Unregister"
                        : silent ? "TimeOut"
                                 : "LinkClose",
                        client());
  }
  server_.remove(this);
}

void RoomSession::leaveAll(const char* cause) {
  auto joined = std::move(rooms_);
  rooms_.clear();
  for (const auto& id : joined)
    if (Room* r = server_.rooms().find(id)) r->leave(*this, cause);
}

void RoomSession::deliver(const RoomEventPtr& event) {
  if (closed_ || link_.closed()) return;
  if (binding_ && binding_->mediaCarriesEvents && carriedByMedia(*event)) return;
  // NOTE: the frame is built once per event and shared by every member; a
  // member past its backlog is dropped by the WebSocket (onClose comes later).
  if (core::TextChannel::Framer framer = link_.framer())
    link_.sendFramed(
        event->wireForm([framer](const RoomEvent& e) { return framer(e.json.view()); }));
  else
    link_.sendText(event->json.view());
}

bool RoomSession::carriedByMedia(const RoomEvent& event) const {
  // NOTE: the Sidechannel marks what it put in the stream (a kind it carries,
  // stamped with the stream clock, within a tag's size, the stream live): that
  // reaches a WHEP viewer's channel with the picture, so not twice. Anything it
  // did not carry (too large, the publisher gone, an event for this member alone)
  // is sent here.
  return event.carriedInMedia();
}

void RoomSession::removedFrom(const std::string& roomId, const RoomEventPtr& event) {
  std::erase(rooms_, roomId);
  deliver(event);
}

void RoomSession::sendJson(const json& value) {
  if (!closed_ && !link_.closed()) link_.sendText(core::dumpJson(value));
}

void RoomSession::sendError(int errorCode, std::string info) {
  log_.log(spdlog::level::info, "error sent", "error {}: {}", errorCode, info);
  sendJson({{"event", "error"}, {"code", errorCode}, {"info", std::move(info)}});
}

void RoomSession::reply(const json& request, int errorCode, std::string info, json fields) {
  if (errorCode != 0)
    log_.log(spdlog::level::info, "request refused", "{} refused {}: {}",
             request["cmd"].get_ref<const std::string&>(), errorCode, info);
  json out = {{"event", "reply"}, {"cmd", request["cmd"]}};
  if (auto it = request.find("id"); it != request.end() && (it->is_number() || it->is_string()))
    out["id"] = *it;
  out["code"] = errorCode;
  out["info"] = std::move(info);
  for (auto& [k, v] : fields.items()) out[k] = std::move(v);
  sendJson(out);
}

bool RoomSession::admitRequest() {
  const double rate = server_.options().clientRate;
  const int64_t now = static_cast<int64_t>(server_.loop().nowMs());
  tokens_ = std::min(rate * 2, tokens_ + rate * static_cast<double>(now - lastRefillMs_) / 1000.0);
  lastRefillMs_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    refusedInARow_ = 0;
    return true;
  }
  ++refusedInARow_;
  if (refusedInARow_ == kFloodClose) {
    spdlog::warn("{} {} ({}): flooding ({} requests over {}/s refused), closing", kind_, peer_,
                 who_.id.empty() ? "-" : who_.id, kFloodClose, rate);
    link_.close("flood: too many requests", true);
  }
  return false;
}

void RoomSession::onMessage(std::string_view payload, bool text) {
  if (closed_) return;
  if (!admitRequest()) {
    if (refusedInARow_ <= kFloodReplies)
      sendError(code::kTooFast, "too many requests: at most " +
                                    std::to_string(static_cast<int>(server_.options().clientRate)) +
                                    " per second");
    return;
  }
  if (!text) {
    sendError(code::kBadCommand, binding_
                                     ? "binary messages are not supported: send JSON as text"
                                     : "binary frames are not supported: send JSON in text frames");
    return;
  }
  core::JsonRead read = core::readJson(payload, server_.options().ws.maxMessageBytes);
  if (read.status == core::JsonRead::Status::Malformed) {
    sendError(code::kBadParameter, "malformed JSON (" + std::to_string(payload.size()) + " bytes)");
    return;
  }
  if (!read.ok()) {
    sendError(code::kBadParameter, "request " + read.error);
    return;
  }
  json& request = read.value;
  if (!request.is_object() || !stringField(request, "cmd")) {
    sendError(code::kBadParameter, "a request is a JSON object with a string \"cmd\"");
    return;
  }
  // A data channel's requests name their room or not: it is the stream's.
  if (binding_ && !request.contains("room")) request["room"] = binding_->room;
  if (binding_ && joinPending_) {
    // NOTE: the channel joins its room on login, with no reply the client waits
    // for before it sends: its requests wait for the backend's before-join verdict.
    if (held_.size() >= kMaxHeld)
      return sendError(code::kTooFast,
                       "too many requests while joining the room: wait for the "
                       "join's reply");
    held_.push_back(std::move(request));
    return;
  }
  handle(request);
}

void RoomSession::handle(const json& req) {
  const std::string& cmd = req["cmd"].get_ref<const std::string&>();
  if (cmd == "heartbeat") return reply(req, 0, "", {{"time", core::wallClockMs()}});
  if (cmd == "login") return onLogin(req);
  static const char* const kKnown[] = {"profile", "join", "leave", "send", "history", "members"};
  if (std::find(std::begin(kKnown), std::end(kKnown), cmd) == std::end(kKnown))
    return reply(req, code::kBadCommand, "unknown command \"" + cmd.substr(0, 32) + "\"");
  if (!loggedIn_) return reply(req, code::kNoPermission, "log in first");
  if (cmd == "profile") return onProfile(req);
  if (cmd == "join") return onJoin(req);
  if (cmd == "leave") return onLeave(req);
  if (cmd == "send") return onSend(req);
  if (cmd == "history") return onHistory(req);
  onMembers(req);
}

bool RoomSession::applyProfile(const json& req, int& errorCode, std::string& info) {
  auto nick = req.find("nick");
  auto avatar = req.find("avatar");
  if (nick != req.end() &&
      (!nick->is_string() || nick->get_ref<const std::string&>().size() > kMaxNick)) {
    errorCode = code::kBadParameter;
    info = "nick must be a string of at most " + std::to_string(kMaxNick) + " bytes";
    return false;
  }
  if (avatar != req.end() &&
      (!avatar->is_string() || avatar->get_ref<const std::string&>().size() > kMaxAvatar)) {
    errorCode = code::kBadParameter;
    info = "avatar must be a URL of at most " + std::to_string(kMaxAvatar) + " bytes";
    return false;
  }
  if (nick != req.end()) who_.nick = nick->get<std::string>();
  if (avatar != req.end()) who_.avatar = avatar->get<std::string>();
  return true;
}

void RoomSession::onLogin(const json& req) {
  if (loggedIn_) return reply(req, code::kBadParameter, "already logged in as " + who_.id);
  const auto& opts = server_.options();
  int errorCode = 0;
  std::string info;
  if (auto g = req.find("guest"); g != req.end() && *g == true) {
    if (!opts.guests) return reply(req, code::kNoPermission, "guests are not allowed here");
    who_ = {server_.nextGuestId(), "", "", MemberRole::Guest};
    if (!applyProfile(req, errorCode, info)) {
      who_ = {};
      return reply(req, errorCode, info);
    }
  } else {
    const std::string* user = stringField(req, "user");
    const std::string* sig = stringField(req, "usersig");
    if (!user || !sig)
      return reply(req, code::kBadParameter,
                   "login needs \"user\" and \"usersig\" (or \"guest\": true)");
    if (!validUserId(*user))
      return reply(req, code::kBadParameter, "user id must be 1..32 bytes of [A-Za-z0-9_-@.]");
    core::UserSigCheck check = server_.verify(*user, *sig);
    if (!check.ok()) return reply(req, check.code, check.reason);
    who_.id = *user;
    who_.role = server_.isAdmin(*user) ? MemberRole::Admin : MemberRole::Member;
    if (!applyProfile(req, errorCode, info)) {
      who_ = {};
      return reply(req, errorCode, info);
    }
  }
  if (who_.nick.empty()) who_.nick = who_.id;
  if (auto p = req.find("platform"); p != req.end()) {
    // NOTE: the IM's client platforms (its OptPlatform values but RESTAPI,
    // which names the REST API's own events).
    static const char* const kPlatforms[] = {"Web", "Android", "iOS",   "Windows",
                                             "Mac", "iPad",    "Linux", "Unknown"};
    if (!p->is_string() || std::find(std::begin(kPlatforms), std::end(kPlatforms),
                                     p->get<std::string>()) == std::end(kPlatforms)) {
      who_ = {};
      return reply(req, code::kBadParameter,
                   "platform must be Web, Android, iOS, Windows, Mac, iPad, Linux or Unknown");
    }
    platform_ = p->get<std::string>();
  }
  loggedIn_ = true;
  spdlog::info("{} {}: logged in as {} ({})", kind_, peer_, who_.id, roleName(who_.role));
  if (RoomHooks* hooks = server_.rooms().hooks(); hooks && who_.role != MemberRole::Guest)
    hooks->stateChanged(who_.id, "Login", "Register", client());
  reply(req, 0, "",
        {{"user", who_.id},
         {"role", roleName(who_.role)},
         {"nick", who_.nick},
         {"avatar", who_.avatar}});
  // A data channel is in its stream's room once logged in: its join's reply follows.
  if (binding_) onJoin({{"cmd", "join"}, {"room", binding_->room}});
}

void RoomSession::loginWith(const std::string& user, const std::string& usersig) {
  if (closed_) return;
  handle({{"cmd", "login"}, {"user", user}, {"usersig", usersig}});
}

void RoomSession::onProfile(const json& req) {
  int errorCode = 0;
  std::string info;
  // Members see a new profile on the sender's next message.
  if (!applyProfile(req, errorCode, info)) return reply(req, errorCode, info);
  reply(req, 0, "", {{"nick", who_.nick}, {"avatar", who_.avatar}});
}

void RoomSession::onJoin(const json& req) {
  const std::string* id = stringField(req, "room");
  if (!id) return reply(req, code::kBadParameter, "join needs a string \"room\"");
  if (RoomError e = checkRoomId(*id); !e.ok()) return reply(req, e.code, e.message);
  if (binding_ && *id != binding_->room)
    return reply(req, code::kNoPermission,
                 "this data channel is in the room of its stream, " + binding_->room);
  Room* room = server_.rooms().find(*id);
  if (!room) return reply(req, code::kNoSuchRoom, "no such room: " + *id);
  if (RoomError e = room->moderation().checkJoin(who_); !e.ok())
    return reply(req, e.code, e.message);
  RoomHooks* hooks = room->hooks();
  const bool joined = std::find(rooms_.begin(), rooms_.end(), *id) != rooms_.end();
  if (RoomError e = room->checkCapacity(); !joined && !e.ok()) return reply(req, e.code, e.message);
  if (!hooks || !hooks->hasBeforeJoin() || joined || who_.role == MemberRole::Guest)
    return finishJoin(req, *id);
  // The backend's before-join hook decides (R20); the reply waits for it.
  joinPending_ = true;
  hooks->beforeJoin(*id, who_, client(),
                    [this, alive = std::weak_ptr<int>(alive_), req](HookVerdict v) {
                      if (alive.expired() || closed_) return;
                      joinPending_ = false;
                      if (v.action != HookVerdict::Action::Deliver)
                        reply(req, v.code != 0 ? v.code : code::kRejected,
                              v.info.empty() ? "refused by the backend" : v.info);
                      else
                        finishJoin(req, req["room"].get<std::string>());
                      releaseHeld();
                    });
}

void RoomSession::releaseHeld() {
  while (!held_.empty() && !joinPending_ && !closed_) {
    json req = std::move(held_.front());
    held_.pop_front();
    handle(req);
  }
}

void RoomSession::finishJoin(const json& req, const std::string& id) {
  Room* room = server_.rooms().find(id);
  if (!room) return reply(req, code::kNoSuchRoom, "no such room: " + id);
  // Again: a ban may have come while the backend was deciding.
  if (RoomError e = room->moderation().checkJoin(who_); !e.ok())
    return reply(req, e.code, e.message);
  json left = json::array();
  if (std::find(rooms_.begin(), rooms_.end(), id) == rooms_.end()) {
    // And the member limit: others may have joined while the backend decided.
    if (RoomError e = room->checkCapacity(); !e.ok()) return reply(req, e.code, e.message);
    // As the seed's web SDK: joining past the limit leaves the oldest room.
    while (rooms_.size() >= server_.options().roomsPerConnection) {
      std::string oldest = rooms_.front();
      rooms_.erase(rooms_.begin());
      if (Room* r = server_.rooms().find(oldest)) r->leave(*this);
      left.push_back(oldest);
    }
    rooms_.push_back(id);
  }
  json fields = room->join(*this);
  fields["left"] = std::move(left);
  reply(req, 0, "", std::move(fields));
}

std::string RoomSession::clientIp() const {
  return RoomServer::clientIp(peer_);
}

Room* RoomSession::joinedRoom(const json& req, int& errorCode, std::string& info) {
  const std::string* id = stringField(req, "room");
  if (!id) {
    errorCode = code::kBadParameter;
    info = "needs a string \"room\"";
    return nullptr;
  }
  Room* room = server_.rooms().find(*id);
  if (!room) {
    errorCode = code::kNoSuchRoom;
    info = "no such room: " + id->substr(0, 64);
    return nullptr;
  }
  if (std::find(rooms_.begin(), rooms_.end(), *id) == rooms_.end()) {
    errorCode = code::kNoPermission;
    info = "join room " + *id + " first";
    return nullptr;
  }
  return room;
}

void RoomSession::onLeave(const json& req) {
  int errorCode = 0;
  std::string info;
  Room* room = joinedRoom(req, errorCode, info);
  if (!room) return reply(req, errorCode, info);
  std::erase(rooms_, room->id());
  room->leave(*this);
  reply(req, 0, "", {{"room", room->id()}});
}

void RoomSession::onSend(const json& req) {
  int errorCode = 0;
  std::string info;
  Room* room = joinedRoom(req, errorCode, info);
  if (!room) return reply(req, errorCode, info);
  // NOTE: with a before-send hook the reply waits for the backend's verdict.
  server_.messages().send(*room, sendRequest(req),
                          [this, alive = std::weak_ptr<int>(alive_), req](SendResult r) {
                            if (alive.expired() || closed_) return;
                            if (!r.ok()) return reply(req, r.error.code, r.error.message);
                            if (r.merged)
                              return reply(req, 0, "", {{"merged", true}, {"likes", r.likes}});
                            reply(req, 0, "", {{"msgId", r.msgId}, {"time", r.timeMs}});
                          });
}

SendRequest RoomSession::sendRequest(const json& req) {
  SendRequest r;
  r.source.origin = binding_ ? Origin::DataChannel : Origin::WebSocket;
  r.source.platform = platform_;
  r.source.clientIp = clientIp();
  r.from = who_;
  r.connection = this;
  // Missing or mistyped fields go as they are, for the path to refuse in its order.
  const std::string* type = stringField(req, "type");
  auto body = req.find("body");
  r.elements.push_back({type ? *type : std::string(), body == req.end() ? json() : *body});
  if (auto it = req.find("priority"); it != req.end())
    r.priority = it->is_string() ? it->get<std::string>() : std::string();
  return r;
}

void RoomSession::onHistory(const json& req) {
  int errorCode = 0;
  std::string info;
  Room* room = joinedRoom(req, errorCode, info);
  if (!room) return reply(req, errorCode, info);
  reply(req, 0, "", {{"room", room->id()}, {"messages", room->views().history()}});
}

void RoomSession::onMembers(const json& req) {
  int errorCode = 0;
  std::string info;
  Room* room = joinedRoom(req, errorCode, info);
  if (!room) return reply(req, errorCode, info);
  std::optional<MemberRole> role;
  if (const std::string* r = stringField(req, "role")) {
    role = parseRole(*r);
    if (!role) return reply(req, code::kBadParameter, "role must be owner, admin or member");
  }
  size_t limit = 30;
  if (auto it = req.find("limit"); it != req.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 1000)
      return reply(req, code::kBadParameter, "limit must be 1..1000");
    limit = it->get<size_t>();
  }
  reply(req, 0, "", room->views().members(role, limit));
}

}  // namespace room
