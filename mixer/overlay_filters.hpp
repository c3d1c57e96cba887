// How an OverlaySpec becomes filter options: instance names, position expressions
// made from numbers only, drawtext's options. Shared by GraphSpec (building) and
// OverlaySet (live commands) so both say the same thing. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mixer/clock_zone.hpp"
#include "mixer/option_escape.hpp"
#include "mixer/overlay_spec.hpp"

namespace mixer {

struct FrameSize {
  int width = 0;
  int height = 0;
  bool operator==(const FrameSize&) const = default;
};

// Where fonts are found: OverlaySpec::font names a file in `assetsDir`; without one,
// `defaultFont` (mixer.font).
struct FontPaths {
  std::string assetsDir;
  std::string defaultFont;
};

// "overlay@ov_logo" (image) or "drawtext@ov_title" (text, marquee, clock): the target
// of the overlay's commands.
std::string overlayInstance(const OverlaySpec& o);
// "buffer@img_logo": the input the VideoWorker feeds the logo's one RGBA frame into.
std::string imageInputInstance(const OverlaySpec& o);

// The overlay filter's x and y: the overlay's offset from its anchor in pixels of
// the top rung's frame (`top`), with W/H the frame's and w/h the image's size.
std::pair<std::string, std::string> imagePosition(const OverlaySpec& o, FrameSize top);

// drawtext's x and y: with w/h the frame's and tw/th the text's size; a marquee
// moves by t (the frame's time in seconds), so it keeps its place across a rebuild.
std::pair<std::string, std::string> textPosition(const OverlaySpec& o, FrameSize top);

// The drawtext options a live change may alter, in order: text (unless
// `withText` is false: a clock's text is clockText()), fontsize, fontcolor,
// alpha, box, boxcolor, boxborderw, x, y. Values as av_opt_set takes them.
OptionPairs drawtextOptions(const OverlaySpec& o, FrameSize top, bool withText);

// The font file of a text overlay.
std::string fontFile(const OverlaySpec& o, const FontPaths& paths);

// The path of asset `name` (a logo or a font) in `assetsDir`, or nullopt with
// `error` when the name is not one inside it (overlay_spec's validAssetName: no
// leading '/', no "..").
std::optional<std::string> assetPath(const std::string& assetsDir, std::string_view name,
                                     std::string& error);

// A clock's drawtext text (expansion=normal): "%{pts:gmtime:<offset>:<format>}",
// drawtext's own strftime of the frame's time plus the state's offset, so the text
// changes every second without a "reinit". %z and %Z of `format` are the state's
// (gmtime's would say UTC); the format is escaped for drawtext's argument parser.
std::string clockText(const std::string& format, const ClockState& state);
// `value` as one argument of a drawtext %{...} function: av_get_token(&p, ":}")
// gives it back byte for byte (a backslash before \ ' : } and whitespace).
std::string escapeExpansionArgument(std::string_view value);

// "#RRGGBB[AA]" as FFmpeg writes colours: "0xRRGGBB[AA]".
std::string ffmpegColor(const std::string& color);
// A number as an expression: "24", "0.5"; never an exponent.
std::string exprNumber(double v);

}  // namespace mixer
