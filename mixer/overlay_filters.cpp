#include "mixer/overlay_filters.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace mixer {

namespace {

// The overlay's offset from its anchor in pixels of the top frame.
std::pair<int, int> offsetPx(const OverlaySpec& o, FrameSize top) {
  if (o.unit == PositionUnit::Px) return {static_cast<int>(o.x), static_cast<int>(o.y)};
  return {static_cast<int>(std::lround(o.x * top.width)),
          static_cast<int>(std::lround(o.y * top.height))};
}

// One axis of an anchored position: "X", "FRAME-SIZE-X" or "(FRAME-SIZE)/2+X".
std::string anchoredAxis(bool far, bool center, int offset, const char* frame, const char* size) {
  if (center) return fmt::format("({}-{})/2+{}", frame, size, offset);
  if (far) return fmt::format("{}-{}-{}", frame, size, offset);
  return std::to_string(offset);
}

bool farX(Anchor a) {
  return a == Anchor::TopRight || a == Anchor::BottomRight;
}
bool farY(Anchor a) {
  return a == Anchor::BottomLeft || a == Anchor::BottomRight;
}

}  // namespace

std::string overlayInstance(const OverlaySpec& o) {
  return (o.type == OverlayType::Image ? "overlay@ov_" : "drawtext@ov_") + o.id;
}

std::string imageInputInstance(const OverlaySpec& o) {
  return "buffer@img_" + o.id;
}

std::pair<std::string, std::string> imagePosition(const OverlaySpec& o, FrameSize top) {
  auto [x, y] = offsetPx(o, top);
  bool center = o.anchor == Anchor::Center;
  return {anchoredAxis(farX(o.anchor), center, x, "W", "w"),
          anchoredAxis(farY(o.anchor), center, y, "H", "h")};
}

std::pair<std::string, std::string> textPosition(const OverlaySpec& o, FrameSize top) {
  auto [x, y] = offsetPx(o, top);
  bool center = o.anchor == Anchor::Center;
  std::string ex = anchoredAxis(farX(o.anchor), center, x, "w", "tw");
  std::string ey = anchoredAxis(farY(o.anchor), center, y, "h", "th");
  if (o.type != OverlayType::Marquee) return {ex, ey};
  std::string s = std::to_string(o.speed);
  switch (o.direction) {
    case MarqueeDirection::Left:
      return {"w-mod(t*" + s + ",w+tw)", ey};
    case MarqueeDirection::Right:
      return {"mod(t*" + s + ",w+tw)-tw", ey};
    case MarqueeDirection::Up:
      return {ex, "h-mod(t*" + s + ",h+th)"};
    case MarqueeDirection::Down:
      return {ex, "mod(t*" + s + ",h+th)-th"};
  }
  return {ex, ey};
}

OptionPairs drawtextOptions(const OverlaySpec& o, FrameSize top, bool withText) {
  OptionPairs out;
  if (withText) out.emplace_back("text", o.text);
  out.emplace_back("fontsize", std::to_string(o.size));
  out.emplace_back("fontcolor", ffmpegColor(o.color));
  out.emplace_back("alpha", exprNumber(o.opacity));
  out.emplace_back("box", o.box ? "1" : "0");
  if (o.box) {
    out.emplace_back("boxcolor", ffmpegColor(o.box->color));
    out.emplace_back("boxborderw", std::to_string(o.box->padding));
  }
  auto [x, y] = textPosition(o, top);
  out.emplace_back("x", x);
  out.emplace_back("y", y);
  return out;
}

std::string fontFile(const OverlaySpec& o, const FontPaths& paths) {
  if (o.font.empty()) return paths.defaultFont;
  if (paths.assetsDir.empty()) return o.font;
  std::string dir = paths.assetsDir;
  if (dir.back() != '/') dir.push_back('/');
  return dir + o.font;
}

std::optional<std::string> assetPath(const std::string& assetsDir, std::string_view name,
                                     std::string& error) {
  if (!validAssetName(name)) {
    error = fmt::format("\"{}\" is not a name inside the assets dir", name);
    return std::nullopt;
  }
  if (assetsDir.empty()) return std::string(name);
  std::string dir = assetsDir;
  if (dir.back() != '/') dir.push_back('/');
  return dir + std::string(name);
}

std::string escapeExpansionArgument(std::string_view value) {
  std::string out;
  out.reserve(value.size() + value.size() / 4);
  for (char c : value) {
    if (c == '\0') continue;
    if (c == '\\' || c == '\'' || c == ':' || c == '}' || c == ' ' || c == '\n' || c == '\t' ||
        c == '\r')
      out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string clockText(const std::string& format, const ClockState& state) {
  // %z and %Z become the zone's own text; what strftime reads stays a format.
  int32_t off = state.utcOffset;
  std::string zone = fmt::format("{}{:02}{:02}", off < 0 ? '-' : '+', std::abs(off) / 3600,
                                 std::abs(off) / 60 % 60);
  std::string abbreviation;
  for (char c : state.abbreviation) abbreviation += c == '%' ? "%%" : std::string(1, c);
  std::string f;
  for (size_t i = 0; i < format.size(); ++i) {
    char next = i + 1 < format.size() ? format[i + 1] : '\0';
    if (format[i] == '%' && (next == 'z' || next == 'Z')) {
      f += next == 'z' ? zone : abbreviation;
      ++i;
      continue;
    }
    f += format[i];
    if (format[i] == '%' && next) f += format[++i];  // keeps "%%" whole
  }
  // NOTE: drawtext (FFmpeg 5.1, func_pts) adds the delta, read by av_parse_time as
  // "[-]S[.mmm]" seconds, to the frame's time t and formats it with gmtime_r and
  // strftime: never the process's TZ.
  int64_t ms = state.ptsOffsetMs;
  uint64_t mag = ms < 0 ? uint64_t(0) - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  std::string delta = fmt::format("{}{}.{:03}", ms < 0 ? "-" : "", mag / 1000, mag % 1000);
  return "%{pts:gmtime:" + delta + ":" + escapeExpansionArgument(f) + "}";
}

std::string ffmpegColor(const std::string& color) {
  return "0x" + (color.empty() || color[0] != '#' ? color : color.substr(1));
}

std::string exprNumber(double v) {
  if (!std::isfinite(v)) return "0";
  std::string s = fmt::format("{:.4f}", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

}  // namespace mixer
