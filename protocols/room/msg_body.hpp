// MsgBody: the seed IM's message element list (MsgBody: [{MsgType, MsgContent}])
// to roomcast's message elements and back, for the REST calls (send_group_msg...)
// and the callbacks (before/after-send, a before-send reply's rewrite). Every
// element is kept, in order. Pure; never throws; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <variant>
#include <vector>

#include "room/chat_message.hpp"

namespace room {

// The elements of an IM MsgBody (1..20 elements, <= 12 KB as JSON): TIMTextElem
// -> text {text}; TIMCustomElem -> custom {data, desc?, ext?}; TIMImageElem ->
// image {url, width, height} (the original, Type 1, else the first); TIMFaceElem,
// TIMSoundElem, TIMLocationElem, TIMFileElem, TIMVideoFileElem -> custom {data:
// the MsgContent as JSON, desc: the MsgType}. 10004 naming the bad element.
std::variant<std::vector<MessageElement>, RoomError> elementsOfMsgBody(
    const nlohmann::json& msgBody);

// A message's elements as an IM MsgBody: the reverse of elementsOfMsgBody
// (system -> TIMTextElem; voice, gift, like -> TIMCustomElem whose Data is the
// body as JSON and whose Desc is the type).
nlohmann::json msgBodyOf(const ChatMessage& message);

}  // namespace room
