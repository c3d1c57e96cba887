#include "core/media/cohost_set.hpp"

#include <spdlog/spdlog.h>

#include "core/media/stream_name.hpp"

namespace core {
namespace {

ProgramControl::Answer cohostRefuse(int status, const std::string& message) {
  return {status, {{"error", "cohost: " + message}}};
}

// "app/name" with both parts valid stream names.
bool cohostValidKey(const std::string& key) {
  const size_t slash = key.find('/');
  return slash != std::string::npos && isValidStreamName(key.substr(0, slash)) &&
         isValidStreamName(key.substr(slash + 1));
}

}  // namespace

CohostSet::CohostSet(EventLoop& loop, ProgramControl& programs, IsLive isLive)
    : programs_(programs), isLive_(std::move(isLive)), timer_(loop, [this] { poll(); }) {}

ProgramControl::Answer CohostSet::open(const std::string& app, const std::string& name,
                                       const nlohmann::json& body) {
  if (!isValidStreamName(app) || !isValidStreamName(name))
    return cohostRefuse(400, "bad host stream name");
  const std::string hostKey = app + "/" + name;
  if (sessions_.count(hostKey)) return cohostRefuse(409, "a session is open on " + hostKey);
  if (!body.is_object()) return cohostRefuse(400, "the body must be a JSON object");
  Session s;
  s.host = hostKey;
  const auto str = [&](const char* field, const std::string& def, std::string& out) {
    if (!body.contains(field)) return (out = def, true);
    if (!body[field].is_string()) return false;
    return (out = body[field].get<std::string>(), true);
  };
  std::string guestName;
  if (!str("layout", "pip", s.layout) || (s.layout != "pip" && s.layout != "side_by_side"))
    return cohostRefuse(400, "layout must be \"pip\" or \"side_by_side\"");
  if (!str("program", hostKey + "_live", s.program) || !cohostValidKey(s.program))
    return cohostRefuse(400, "program must be \"app/name\"");
  if (!str("guest", name + "_guest", guestName) || !isValidStreamName(guestName))
    return cohostRefuse(400, "guest must be a stream name (no app)");
  s.guest = app + "/" + guestName;
  if (s.guest == hostKey || s.program == hostKey || s.program == s.guest)
    return cohostRefuse(400, "host, guest and program must be three streams");
  nlohmann::json spec = {{"output", s.program},
                         {"inputs", {{{"stream", s.host}}, {{"stream", s.guest}}}},
                         {"layout", "single"},
                         // NOTE: the session switches its own layout: no caster
                         // watches a preview, so none is encoded.
                         {"preview_stream", {{"enabled", false}}}};
  for (const char* field : {"width", "height", "fps", "kbps", "preset"})
    if (body.contains(field)) spec[field] = body[field];
  Answer made = programs_.createProgram(spec);
  if (made.status >= 400) return made;
  Session& added = sessions_.emplace(hostKey, s).first->second;
  spdlog::info("cohost {}: program {} guest {} layout {}", hostKey, s.program, s.guest, s.layout);
  // NOTE: a guest already publishing joins at once.
  if (isLive_ && isLive_(s.guest)) join(added);
  return {201, describe(added)};
}

ProgramControl::Answer CohostSet::get(const std::string& hostKey) const {
  auto it = sessions_.find(hostKey);
  if (it == sessions_.end()) return cohostRefuse(404, "no session on " + hostKey);
  return {200, describe(it->second)};
}

nlohmann::json CohostSet::list() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, s] : sessions_) out.push_back(describe(s));
  return {{"sessions", out}};
}

ProgramControl::Answer CohostSet::close(const std::string& hostKey) {
  auto it = sessions_.find(hostKey);
  if (it == sessions_.end()) return cohostRefuse(404, "no session on " + hostKey);
  const Answer removed = programs_.removeProgram(it->second.program);
  if (removed.status >= 400 && removed.status != 404)
    spdlog::warn("cohost {}: removing program {}: {}", hostKey, it->second.program,
                 removed.body.dump());
  nlohmann::json body = describe(it->second);
  body["state"] = "closed";
  sessions_.erase(it);
  spdlog::info("cohost {}: closed", hostKey);
  return {200, body};
}

void CohostSet::streamUp(const std::string& key) {
  for (auto& [host, s] : sessions_)
    if (s.guest == key) join(s);
}

void CohostSet::streamDown(const std::string& key) {
  for (auto& [host, s] : sessions_) {
    if (s.guest != key) continue;
    s.joining = false;
    setLayout(s, false);
  }
}

// NOTE: the layout waits for the guest's first frame in the program: switched at
// the publish, the guest's cell would show the slate until its first keyframe
// is decoded.
void CohostSet::join(Session& s) {
  if (s.guestLive) return;
  s.joining = true;
  spdlog::info("cohost {}: guest {} publishes, waiting for its picture", s.host, s.guest);
  if (!timer_.active()) timer_.start(100, 100);
}

void CohostSet::poll() {
  bool waiting = false;
  for (auto& [host, s] : sessions_) {
    if (!s.joining) continue;
    const Answer p = programs_.getProgram(s.program);
    const nlohmann::json* inputs =
        p.body.is_object() && p.body.contains("inputs") ? &p.body["inputs"] : nullptr;
    if (p.status == 200 && inputs && inputs->is_array() && inputs->size() > 1 &&
        (*inputs)[1].value("state", "") == "live") {
      s.joining = false;
      setLayout(s, true);
    } else {
      waiting = true;
    }
  }
  if (!waiting) timer_.stop();
}

void CohostSet::setLayout(Session& s, bool guestLive) {
  const std::string layout = guestLive ? s.layout : "single";
  const Answer a = programs_.patchProgram(s.program, {{"layout", layout}});
  if (a.status >= 400) {
    spdlog::warn("cohost {}: program {} layout {}: {}", s.host, s.program, layout, a.body.dump());
    return;
  }
  s.guestLive = guestLive;
  spdlog::info("cohost {}: guest {} {}, program {} layout {}", s.host, s.guest,
               guestLive ? "live" : "gone", s.program, layout);
}

nlohmann::json CohostSet::describe(const Session& s) const {
  return {{"host", s.host},
          {"guest", s.guest},
          {"program", s.program},
          {"layout", s.layout},
          {"state", s.guestLive ? "guest_live"
                    : s.joining ? "guest_joining"
                                : "waiting_for_guest"}};
}

}  // namespace core
