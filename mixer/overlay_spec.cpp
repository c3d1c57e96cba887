#include "mixer/overlay_spec.hpp"

#include <fmt/format.h>

#include <cctype>

#include "mixer/spec_reader.hpp"

namespace mixer {

namespace {

constexpr std::string_view kOverlayTypes[] = {"image", "text", "marquee", "clock"};
constexpr std::string_view kAnchors[] = {"top-left", "top-right", "bottom-left", "bottom-right",
                                         "center"};
constexpr std::string_view kUnits[] = {"px", "fraction"};
constexpr std::string_view kDirections[] = {"left", "right", "up", "down"};
// The strftime conversions a clock draws (overlay_filters.hpp clockText).
constexpr std::string_view kClockConversions = "aAbBdeHIjmMpSyYzZ%";
constexpr size_t kMaxClockFormatBytes = 64;
constexpr size_t kMaxTimeZoneBytes = 64;

std::string clockConversionList() {
  std::string list;
  for (char c : kClockConversions) list += (list.empty() ? "%" : " %") + std::string(1, c);
  return list;
}

bool validOverlayId(std::string_view id) {
  if (id.empty() || id.size() > kMaxOverlayIdBytes) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

bool readPosition(SpecReader& r, OverlaySpec& o) {
  size_t anchor = 0, unit = 0;
  if (!r.choice("anchor", anchor,
                {kAnchors[0], kAnchors[1], kAnchors[2], kAnchors[3], kAnchors[4]}) ||
      !r.choice("unit", unit, {kUnits[0], kUnits[1]}))
    return false;
  o.anchor = static_cast<Anchor>(anchor);
  o.unit = static_cast<PositionUnit>(unit);
  double hi = o.unit == PositionUnit::Px ? kMaxPositionPx : 1.0;
  if (!r.number("x", o.x, 0, hi) || !r.number("y", o.y, 0, hi)) return false;
  if (o.unit == PositionUnit::Px && o.x != static_cast<int>(o.x))
    return r.fail("x", "pixel positions are whole numbers");
  if (o.unit == PositionUnit::Px && o.y != static_cast<int>(o.y))
    return r.fail("y", "pixel positions are whole numbers");
  return r.number("opacity", o.opacity, 0, 1) && r.boolean("visible", o.visible) &&
         r.integer("z", o.z, -100, 100);
}

bool readAsset(SpecReader& r, const char* key, std::string& out, bool required) {
  if (!r.text(key, out, kMaxAssetNameBytes, required)) return false;
  if (out.empty() && !required) return true;
  if (!validAssetName(out))
    return r.fail(key, fmt::format("\"{}\" must be a name inside the assets dir (relative, no "
                                   "\"..\", no leading \"/\")",
                                   out));
  return true;
}

bool readImage(SpecReader& r, OverlaySpec& o) {
  if (!readAsset(r, "file", o.file, true)) return false;
  double hi = o.unit == PositionUnit::Px ? kMaxPositionPx : 1.0;
  if (!r.number("width", o.width, 0, hi)) return false;
  if (o.unit == PositionUnit::Px && o.width != static_cast<int>(o.width))
    return r.fail("width", "pixel sizes are whole numbers");
  return true;
}

bool readColor(SpecReader& r, const char* key, std::string& out) {
  if (!r.text(key, out, 9)) return false;
  if (!validColor(out)) return r.fail(key, "\"" + out + "\" is not #RRGGBB or #RRGGBBAA");
  return true;
}

bool readBox(SpecReader& r, OverlaySpec& o) {
  const nlohmann::json* j = r.get("box");
  if (!j || j->is_null()) return true;
  SpecReader b(*j, r.pathOf("box"), r.errorText());
  TextBox box;
  if (!b.isObject() || !readColor(b, "color", box.color) ||
      !b.integer("padding", box.padding, 0, 200) || !b.noUnknownFields())
    return false;
  o.box = box;
  return true;
}

bool readText(SpecReader& r, OverlaySpec& o) {
  if (o.type != OverlayType::Clock) {
    if (!r.text("text", o.text, kMaxTextBytes, true, true)) return false;
    if (o.text.empty()) return r.fail("text", "empty");
  }
  if (!readAsset(r, "font", o.font, false) || !r.integer("size", o.size, 8, 400) ||
      !readColor(r, "color", o.color) || !readBox(r, o))
    return false;
  if (o.type == OverlayType::Marquee) {
    size_t direction = 0;
    if (!r.choice("direction", direction,
                  {kDirections[0], kDirections[1], kDirections[2], kDirections[3]}) ||
        !r.integer("speed", o.speed, 1, 2000))
      return false;
    o.direction = static_cast<MarqueeDirection>(direction);
  }
  if (o.type == OverlayType::Clock) {
    if (!r.text("format", o.format, kMaxClockFormatBytes)) return false;
    if (o.format.empty() || !validClockFormat(o.format))
      return r.fail("format", "\"" + o.format + "\" may use only " + clockConversionList());
    if (!r.text("tz", o.tz, kMaxTimeZoneBytes)) return false;
    if (!validTimeZone(o.tz))
      return r.fail("tz", "\"" + o.tz + "\" is not UTC, +hh:mm or an IANA zone name");
  }
  return true;
}

}  // namespace

std::optional<OverlaySpec> OverlaySpec::parse(const nlohmann::json& j, const std::string& path,
                                              std::string& error) {
  SpecReader r(j, path, error);
  if (!r.isObject()) return std::nullopt;
  OverlaySpec o;
  size_t type = 0;
  if (!r.text("id", o.id, kMaxOverlayIdBytes + 1, true)) return std::nullopt;
  if (!validOverlayId(o.id)) {
    r.fail("id", fmt::format("\"{}\" must be 1..{} of A-Z a-z 0-9 _ -", o.id, kMaxOverlayIdBytes));
    return std::nullopt;
  }
  if (!r.has("type")) {
    r.fail("type", "missing");
    return std::nullopt;
  }
  if (!r.choice("type", type,
                {kOverlayTypes[0], kOverlayTypes[1], kOverlayTypes[2], kOverlayTypes[3]}))
    return std::nullopt;
  o.type = static_cast<OverlayType>(type);
  if (!readPosition(r, o)) return std::nullopt;
  bool ok = o.type == OverlayType::Image ? readImage(r, o) : readText(r, o);
  if (!ok || !r.noUnknownFields()) return std::nullopt;
  return o;
}

nlohmann::json OverlaySpec::toJson() const {
  nlohmann::json j = {{"id", id},
                      {"type", kOverlayTypes[static_cast<size_t>(type)]},
                      {"x", x},
                      {"y", y},
                      {"anchor", kAnchors[static_cast<size_t>(anchor)]},
                      {"unit", kUnits[static_cast<size_t>(unit)]},
                      {"opacity", opacity},
                      {"visible", visible},
                      {"z", z}};
  if (type == OverlayType::Image) {
    j["file"] = file;
    j["width"] = width;
    return j;
  }
  if (type != OverlayType::Clock) j["text"] = text;
  if (!font.empty()) j["font"] = font;
  j["size"] = size;
  j["color"] = color;
  if (box) j["box"] = {{"color", box->color}, {"padding", box->padding}};
  if (type == OverlayType::Marquee) {
    j["direction"] = kDirections[static_cast<size_t>(direction)];
    j["speed"] = speed;
  }
  if (type == OverlayType::Clock) {
    j["format"] = format;
    j["tz"] = tz;
  }
  return j;
}

bool validColor(std::string_view color) {
  if (color.size() != 7 && color.size() != 9) return false;
  if (color[0] != '#') return false;
  for (char c : color.substr(1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool validAssetName(std::string_view name) {
  if (name.empty() || name.size() > kMaxAssetNameBytes || name.front() == '/') return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

bool validTimeZone(std::string_view tz) {
  if (tz.empty()) return false;
  if (tz == "UTC") return true;
  if (tz[0] == '+' || tz[0] == '-') {
    // +hh:mm, hours 0..14, minutes 0..59
    if (tz.size() != 6 || tz[3] != ':') return false;
    for (size_t i : {1, 2, 4, 5}) {
      if (!std::isdigit(static_cast<unsigned char>(tz[i]))) return false;
    }
    int hh = (tz[1] - '0') * 10 + (tz[2] - '0');
    int mm = (tz[4] - '0') * 10 + (tz[5] - '0');
    return hh <= 14 && mm <= 59;
  }
  // An IANA name is read from /usr/share/zoneinfo: the same rules as an asset name,
  // and only the characters zone names use.
  for (char c : tz) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      return false;
  }
  return validAssetName(tz);
}

bool validClockFormat(std::string_view format) {
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 == format.size()) return false;
    if (kClockConversions.find(format[i + 1]) == std::string_view::npos) return false;
    ++i;
  }
  return true;
}

const char* overlayTypeName(OverlayType type) {
  return kOverlayTypes[static_cast<size_t>(type)].data();
}

}  // namespace mixer
