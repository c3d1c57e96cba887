#include "mixer/danmaku_spec.hpp"

#include "core/media/stream_name.hpp"
#include "mixer/spec_reader.hpp"

namespace mixer {

bool DanmakuSpec::read(SpecReader& r, DanmakuSpec& out) {
  if (!r.isObject() || !r.integer("font_size", out.fontSize, 8, 200) ||
      !r.number("speed", out.speed, 10, 2000) || !r.number("opacity", out.opacity, 0.05, 1) ||
      !r.integer("lanes", out.lanes, 1, 40) ||
      !r.integer("max_on_screen", out.maxOnScreen, 1, 500) || !r.text("room", out.room, 256))
    return false;
  if (!out.room.empty()) {
    const size_t slash = out.room.find('/');
    if (slash == std::string::npos || !core::isValidStreamName(out.room.substr(0, slash)) ||
        !core::isValidStreamName(out.room.substr(slash + 1)))
      return r.fail("room", "\"" + out.room + "\" is not \"app/name\"");
  }
  return r.noUnknownFields();
}

nlohmann::json DanmakuSpec::toJson() const {
  return {{"font_size", fontSize},        {"speed", speed}, {"opacity", opacity}, {"lanes", lanes},
          {"max_on_screen", maxOnScreen}, {"room", room}};
}

}  // namespace mixer
