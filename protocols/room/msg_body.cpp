#include "protocols/room/msg_body.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/format/json_text.hpp"
#include "protocols/room/json_fields.hpp"

namespace room {
namespace {

using nlohmann::json;

// The IM's element types that roomcast carries as a custom element named by type.
constexpr std::array<const char*, 5> kOpaqueElems = {
    "TIMFaceElem", "TIMSoundElem", "TIMLocationElem", "TIMFileElem", "TIMVideoFileElem"};

bool isOpaqueElem(const std::string& type) {
  for (const char* t : kOpaqueElems)
    if (type == t) return true;
  return false;
}

RoomError badElement(size_t i, const std::string& why) {
  return {code::kBadParameter, "MsgBody: element " + std::to_string(i) + ": " + why};
}

bool stringOrAbsent(const json& content, const char* key) {
  auto it = content.find(key);
  return it == content.end() || it->is_string();
}

bool intOrAbsent(const json& content, const char* key) {
  auto it = content.find(key);
  return it == content.end() ||
         (it->is_number_integer() && it->get<int64_t>() >= 0 && it->get<int64_t>() <= INT32_MAX);
}

// The image an ImageInfoArray names: the original (Type 1), else the first.
std::optional<json> imageOf(const json& content) {
  auto infos = content.find("ImageInfoArray");
  if (infos == content.end() || !infos->is_array() || infos->empty()) return std::nullopt;
  const json* best = nullptr;
  for (const auto& info : *infos) {
    auto url = info.is_object() ? info.find("URL") : info.end();
    if (!info.is_object() || url == info.end() || !url->is_string() ||
        url->get_ref<const std::string&>().empty() || !intOrAbsent(info, "Width") ||
        !intOrAbsent(info, "Height"))
      return std::nullopt;
    if (!best || info.value("Type", json(0)) == json(1)) best = &info;
  }
  return json{{"url", (*best)["URL"]},
              {"width", best->value("Width", json(0))},
              {"height", best->value("Height", json(0))}};
}

std::variant<MessageElement, RoomError> elementOf(const json& e, size_t i) {
  if (!e.is_object()) return badElement(i, "not an object");
  auto type = e.find("MsgType");
  auto content = e.find("MsgContent");
  if (type == e.end() || !type->is_string() || content == e.end() || !content->is_object())
    return badElement(i, "needs a string MsgType and an object MsgContent");
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "TIMTextElem") {
    auto text = content->find("Text");
    if (text == content->end() || !text->is_string() || text->get_ref<const std::string&>().empty())
      return badElement(i, "TIMTextElem needs a non-empty string Text");
    return MessageElement{"text", {{"text", *text}}};
  }
  if (t == "TIMCustomElem") {
    for (const char* k : {"Data", "Desc", "Ext", "Sound"})
      if (!stringOrAbsent(*content, k))
        return badElement(i, "TIMCustomElem Data, Desc, Ext and Sound must be strings");
    json body = {{"data", content->value("Data", json(""))}};
    if (content->contains("Desc")) body["desc"] = (*content)["Desc"];
    if (content->contains("Ext")) body["ext"] = (*content)["Ext"];
    return MessageElement{"custom", std::move(body)};
  }
  if (t == "TIMImageElem") {
    auto image = imageOf(*content);
    if (!image)
      return badElement(i, "TIMImageElem needs an ImageInfoArray of {URL, Width, Height}");
    return MessageElement{"image", std::move(*image)};
  }
  if (isOpaqueElem(t)) {
    if (t == "TIMFaceElem" &&
        (!content->contains("Index") || !(*content)["Index"].is_number_integer() ||
         !stringOrAbsent(*content, "Data")))
      return badElement(i, "TIMFaceElem needs an integer Index and a string Data");
    return MessageElement{"custom", {{"data", core::dumpJson(*content)}, {"desc", t}}};
  }
  return badElement(i, "unknown MsgType \"" + t.substr(0, 32) + "\"");
}

json imElement(const std::string& type, const json& b) {
  if (type == "text" || type == "system")
    return {{"MsgType", "TIMTextElem"}, {"MsgContent", {{"Text", textOrEmpty(b, "text")}}}};
  if (type == "custom") {
    // NOTE: an opaque element (a face, sound, file...) goes back as it came.
    const std::string desc = textOrEmpty(b, "desc");
    if (isOpaqueElem(desc)) {
      json content = json::parse(textOrEmpty(b, "data"), nullptr, false);
      if (content.is_object()) return {{"MsgType", desc}, {"MsgContent", std::move(content)}};
    }
    return {{"MsgType", "TIMCustomElem"},
            {"MsgContent", {{"Data", textOrEmpty(b, "data")}, {"Desc", desc}, {"Ext", textOrEmpty(b, "ext")}}}};
  }
  if (type == "image")
    return {{"MsgType", "TIMImageElem"},
            {"MsgContent",
             {{"ImageInfoArray", json::array({{{"Type", 1},
                                               {"URL", textOrEmpty(b, "url")},
                                               {"Width", b.value("width", 0)},
                                               {"Height", b.value("height", 0)}}})}}}};
  // voice, gift, like: our body as a custom element named by its type.
  return {{"MsgType", "TIMCustomElem"},
          {"MsgContent", {{"Data", core::dumpJson(b)}, {"Desc", type}, {"Ext", ""}}}};
}

}  // namespace

std::variant<std::vector<MessageElement>, RoomError> elementsOfMsgBody(const json& msgBody) {
  if (!msgBody.is_array() || msgBody.empty() || msgBody.size() > kMaxMessageElements)
    return RoomError{code::kBadParameter, "MsgBody must be an array of 1..20 elements"};
  if (core::dumpJson(msgBody).size() > kMaxMessageBodyBytes)
    return RoomError{code::kBadParameter, "MsgBody is larger than 12 KB"};
  std::vector<MessageElement> out;
  for (size_t i = 0; i < msgBody.size(); ++i) {
    auto element = elementOf(msgBody[i], i);
    if (auto* e = std::get_if<RoomError>(&element)) return *e;
    out.push_back(std::get<MessageElement>(std::move(element)));
  }
  return out;
}

json msgBodyOf(const ChatMessage& message) {
  json out = json::array();
  out.push_back(imElement(message.type, message.body));
  for (const auto& e : message.rest) out.push_back(imElement(e.type, e.body));
  return out;
}

}  // namespace room
