#include "room/message_path.hpp"

#include <random>

#include "core/format/json_text.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"

namespace room {
namespace {

RoomError badRequest(std::string why) {
  return {code::kBadParameter, std::move(why)};
}

// A member's own connection: the member policy applies.
bool fromMember(const SendRequest& request) {
  return request.connection != nullptr;
}

// NOTE: as the IM: the backend's before-send hook is asked about members'
// messages and about the APIs' (an admin's REST send_group_msg too), unless the
// request skips it (ForbidBeforeSendMsgCallback); never about system
// announcements (the IM's group system notifications).
bool asksBackend(Room& room, const SendRequest& request, const ChatMessage& message) {
  return !request.source.skipBeforeSend && message.type != "system" && room.gate().active();
}

SendResult sent(const Accepted& accepted) {
  SendResult r;
  r.msgId = accepted.msgId;
  r.timeMs = accepted.timeMs;
  return r;
}

}  // namespace

MessagePath::MessagePath(core::EventLoop& loop, RoomRegistry& rooms, MessagePathOptions options)
    : loop_(loop),
      rooms_(rooms),
      options_(options),
      nextRandom_(static_cast<uint32_t>(std::random_device{}())) {}

SendResult MessagePath::refused(Room& room, RoomError error) {
  ++room.counters().rejected;
  SendResult r;
  r.error = std::move(error);
  return r;
}

void MessagePath::send(Room& room, SendRequest request, Done done) {
  auto admitted = admit(room, request);
  if (auto* e = std::get_if<RoomError>(&admitted)) return done(refused(room, *e));
  ChatMessage message = std::get<ChatMessage>(std::move(admitted));
  if ((message.type == "gift" && request.billedGift) || message.type == "like")
    return done(engage(room, request, message));
  const std::string key = randomKey(room.id(), request);
  const auto now = static_cast<int64_t>(loop_.nowMs());
  if (const Accepted* first = key.empty() ? nullptr : randoms_.find(key, now)) {
    SendResult again = sent(*first);
    again.duplicate = true;
    return done(again);
  }
  if (!key.empty()) {
    // NOTE: kept when sent (or dropped unseen by the backend): a refused
    // message may be sent again with the same Random.
    done = [this, key, done = std::move(done)](SendResult r) {
      if (r.ok()) randoms_.add(key, static_cast<int64_t>(loop_.nowMs()), {r.msgId, r.timeMs});
      done(std::move(r));
    };
  }
  // Every message carries a Random, so the backend can match its before- and
  // after-send callbacks (the IM's REST caller chooses its own).
  if (!message.source.random) message.source.random = nextRandom_++;
  const uint64_t token = room.members().tokenOf(request.connection);
  if (asksBackend(room, request, message))
    return submit(room, token, fromMember(request), std::move(message), std::move(done));
  done(sent(room.accept(std::move(message), token, fromMember(request))));
}

std::variant<ChatMessage, RoomError> MessagePath::admit(Room& room,
                                                        const SendRequest& request) const {
  const bool member = fromMember(request);
  if (member && request.from.role == MemberRole::Guest)
    return RoomError{code::kNoPermission, "guests may not send: log in with a UserSig"};
  if (member) {
    if (RoomError e = room.moderation().checkSend(request.from); !e.ok()) return e;
  }
  auto composed = compose(request);
  auto* message = std::get_if<ChatMessage>(&composed);
  if (!message || !member) return composed;
  if (RoomError e = filterWords(room, *message); !e.ok()) return e;
  if (message->type == "gift")
    return RoomError{code::kNoPermission,
                     "gifts are sent by the backend after billing (POST /api/v1/rooms/{id}/gifts)"};
  return composed;
}

std::variant<ChatMessage, RoomError> MessagePath::compose(const SendRequest& request) const {
  const size_t n = request.elements.size();
  if (n == 0 || n > kMaxMessageElements || (fromMember(request) && n != 1))
    return badRequest("a message has 1.." +
                      std::to_string(fromMember(request) ? 1 : kMaxMessageElements) +
                      " elements, not " + std::to_string(n));
  const std::string& type = request.elements.front().type;
  if (!isMessageType(type) && (fromMember(request) || type != "system"))
    return badRequest(fromMember(request)
                          ? "type must be one of text, custom, image, voice, gift, like"
                          : "type must be system, text, custom, image, voice, gift or like");
  ChatMessage m{type, defaultPriority(type), request.from, nlohmann::json::object(),
                request.source};
  if (request.priority) {
    const auto priority = parsePriority(*request.priority);
    if (!priority) return badRequest("priority must be High, Normal, Low or Lowest");
    m.priority = *priority;
  }
  if (RoomError e = setElements(m, request.elements); !e.ok()) return e;
  return m;
}

RoomError MessagePath::setElements(ChatMessage& message,
                                   const std::vector<MessageElement>& elements) {
  ChatMessage next = message;
  next.rest.clear();
  size_t bytes = 0;
  for (size_t i = 0; i < elements.size(); ++i) {
    const MessageElement& element = elements[i];
    // NOTE: gifts, likes and system notices are whole messages of their own;
    // an element after the first is content: text, custom, image or voice.
    if (i > 0 && element.type != "text" && element.type != "custom" && element.type != "image" &&
        element.type != "voice")
      return badRequest("element " + std::to_string(i) +
                        ": type must be text, custom, image or voice");
    if (element.body.is_null()) return badRequest("a message needs a \"body\" object");
    nlohmann::json body;
    if (RoomError e = messageBody(element.type, element.body, body); !e.ok()) return e;
    bytes += core::dumpJson(body).size();
    if (i == 0) {
      next.type = element.type;
      next.body = std::move(body);
    } else {
      next.rest.push_back({element.type, std::move(body)});
    }
  }
  if (bytes > kMaxMessageBodyBytes)
    return badRequest("the message's elements are " + std::to_string(bytes) +
                      " bytes; the limit is " + std::to_string(kMaxMessageBodyBytes));
  message = std::move(next);
  return {};
}

RoomError MessagePath::filterWords(Room& room, ChatMessage& message) const {
  if (!filter_) return {};
  const bool rejects = options_.filterRejects;
  bool matched = false;
  auto check = [&](const std::string& type, nlohmann::json& body) {
    if (type != "text") return;
    auto& text = body["text"].get_ref<std::string&>();
    matched = (rejects ? filter_->matches(text) : filter_->mask(text) > 0) || matched;
  };
  check(message.type, message.body);
  for (auto& e : message.rest) check(e.type, e.body);
  if (!matched) return {};
  ++room.counters().filtered;
  if (rejects) return {code::kRejected, "the message contains a filtered word"};
  return {};
}

SendResult MessagePath::engage(Room& room, const SendRequest& request, const ChatMessage& message) {
  const int64_t count = message.body.value("count", int64_t{1});
  SendResult r;
  if (message.type == "like") {
    // NOTE: likes are merged per room per window (R8): counted now, delivered
    // as one Low message with the sum.
    r.merged = true;
    r.likes = room.engagement().like(message.from, count);
    return r;
  }
  const Accepted accepted =
      room.gift(message.from, message.body.value("gift", std::string()), count, request.giftStreak);
  r = sent(accepted);
  r.merged = accepted.msgId.empty();
  return r;
}

void MessagePath::submit(Room& room, uint64_t senderToken, bool fromMember, ChatMessage message,
                         Done done) {
  const ChatMessage asked = message;  // what the backend sees; the release keeps `message`
  RoomError e = room.gate().submit(
      senderToken, asked,
      [&room, senderToken, fromMember, message = std::move(message),
       done](std::optional<HookVerdict> verdict) mutable {
        done(release(room, std::move(verdict), senderToken, fromMember, std::move(message)));
      });
  if (!e.ok()) done(refused(room, std::move(e)));
}

SendResult MessagePath::release(Room& room, std::optional<HookVerdict> verdict,
                                uint64_t senderToken, bool fromMember, ChatMessage message) {
  SendResult r;
  if (!verdict) {  // not counted: the room is gone
    r.error = {code::kNoSuchRoom, "room " + room.id() + " was deleted"};
    return r;
  }
  if (verdict->action == HookVerdict::Action::Reject)
    return refused(room, {verdict->code != 0 ? verdict->code : code::kRejected,
                          verdict->info.empty() ? "refused by the backend" : verdict->info});
  if (verdict->action == HookVerdict::Action::Drop) {
    ++room.counters().filtered;  // the sender is told success; nobody sees it
    return sent({room.nextMessageId(), core::wallClockMs()});
  }
  if (fromMember) {
    // Kicked or muted while the backend was deciding.
    if (RoomError late = room.moderation().checkJoin(message.from); !late.ok())
      return refused(room, late);
    if (RoomError late = room.moderation().checkSend(message.from); !late.ok())
      return refused(room, late);
  }
  // The backend's elements pass the rule a request's do (or the message stays).
  if (verdict->elements && !verdict->elements->empty() &&
      (verdict->elements->front().type != "system" || message.type == "system"))
    (void)setElements(message, *verdict->elements);
  return sent(room.accept(std::move(message), senderToken, fromMember));
}

SendResult MessagePath::broadcast(SendRequest request) {
  request.connection = nullptr;
  auto composed = compose(request);
  SendResult r;
  if (auto* e = std::get_if<RoomError>(&composed)) {
    r.error = *e;
    return r;
  }
  const std::string key = randomKey("*broadcast*", request);
  const auto now = static_cast<int64_t>(loop_.nowMs());
  if (const Accepted* first = key.empty() ? nullptr : randoms_.find(key, now)) {
    r = sent(*first);
    r.duplicate = true;
    return r;
  }
  r.rooms = rooms_.broadcast(std::get<ChatMessage>(composed));
  r.timeMs = core::wallClockMs();
  if (!key.empty()) randoms_.add(key, now, {"", r.timeMs});
  return r;
}

std::string MessagePath::randomKey(const std::string& scope, const SendRequest& request) {
  if (!request.source.random) return "";
  return scope + '\n' + request.from.id + '\n' + std::to_string(*request.source.random);
}

}  // namespace room
