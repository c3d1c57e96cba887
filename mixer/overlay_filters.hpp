// How an OverlaySpec becomes filter options: instance names, position expressions
// made from numbers only, drawtext's options. Shared by GraphSpec (building) and
// OverlaySet (live commands) so both say the same thing. Pure; any thread.
#pragma once

#include <string>
#include <utility>

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
// `withText` is false: a clock's text comes from ClockText), fontsize, fontcolor,
// alpha, box, boxcolor, boxborderw, x, y. Values as av_opt_set takes them.
OptionPairs drawtextOptions(const OverlaySpec& o, FrameSize top, bool withText);

// The font file of a text overlay.
std::string fontFile(const OverlaySpec& o, const FontPaths& paths);

// "#RRGGBB[AA]" as FFmpeg writes colours: "0xRRGGBB[AA]".
std::string ffmpegColor(const std::string& color);
// A number as an expression: "24", "0.5"; never an exponent.
std::string exprNumber(double v);

}  // namespace mixer
