// OverlaySpec: one overlay of a caster pipeline (a PNG logo, a fixed text, a marquee
// or a clock), typed and bounded; parsed from / written to the API's JSON. Pure
// value; any thread. Coordinates are on the top rung's frame.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace mixer {

enum class OverlayType : uint8_t { Image, Text, Marquee, Clock };
enum class Anchor : uint8_t { TopLeft, TopRight, BottomLeft, BottomRight, Center };
enum class PositionUnit : uint8_t { Px, Fraction };
enum class MarqueeDirection : uint8_t { Left, Right, Up, Down };

// Limits, with the reason a bound is where it is.
inline constexpr size_t kMaxOverlayIdBytes = 32;  // part of a filter instance name
inline constexpr size_t kMaxTextBytes = 512;      // a title or a notice, not a document
inline constexpr size_t kMaxAssetNameBytes = 255;
inline constexpr int kMaxPositionPx = 4096;  // the largest rung is 3840 wide

struct TextBox {
  std::string color = "#000000";  // "#RRGGBB" or "#RRGGBBAA"
  int padding = 8;                // px around the text, 0..200
  bool operator==(const TextBox&) const = default;
};

struct OverlaySpec {
  std::string id;  // [A-Za-z0-9_-], unique in the pipeline
  OverlayType type = OverlayType::Text;
  double x = 0;
  double y = 0;
  Anchor anchor = Anchor::TopLeft;
  PositionUnit unit = PositionUnit::Px;
  double opacity = 1.0;  // 0..1
  bool visible = true;
  int z = 0;  // stacking order, higher on top; ties keep the list order
  // image
  std::string file;  // a name inside mixer.assets_dir
  double width = 0;  // 0 = the image's own size; px, or a fraction of the frame width
  // text, marquee, clock
  std::string text;  // literal, never expanded (drawtext expansion=none)
  std::string font;  // a name inside mixer.assets_dir; "" = mixer.font
  int size = 32;     // px, 8..400
  std::string color = "#FFFFFF";
  std::optional<TextBox> box;
  // marquee
  MarqueeDirection direction = MarqueeDirection::Left;
  int speed = 100;  // px per second, 1..2000
  // clock
  std::string format = "%H:%M:%S";
  std::string tz = "UTC";  // IANA name ("Asia/Tokyo"), "UTC" or an offset "+05:30"

  bool isText() const { return type != OverlayType::Image; }
  bool operator==(const OverlaySpec&) const = default;

  // `path` names the overlay in errors ("overlays[2]").
  static std::optional<OverlaySpec> parse(const nlohmann::json& j, const std::string& path,
                                          std::string& error);
  nlohmann::json toJson() const;
};

// "#RRGGBB" or "#RRGGBBAA" (hex digits).
bool validColor(std::string_view color);
// A relative name inside the assets directory: no leading '/', no "." or ".."
// component, no empty component, no backslash or control character.
bool validAssetName(std::string_view name);
// "UTC", "+hh:mm" / "-hh:mm", or an IANA zone name ("Europe/Berlin").
bool validTimeZone(std::string_view tz);
// A strftime format using only the conversions a clock draws (clockText).
bool validClockFormat(std::string_view format);

const char* overlayTypeName(OverlayType type);

}  // namespace mixer
