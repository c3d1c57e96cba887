// DanmakuSpec: a program's "danmaku" option: the room whose text messages scroll
// across its picture and how (font size, speed, opacity, lanes, how many at once);
// parsed from the program's JSON with path-named errors. Pure value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mixer {

class SpecReader;

struct DanmakuSpec {
  int fontSize = 32;     // px, 8..200
  double speed = 160;    // px/s, 10..2000
  double opacity = 1.0;  // 0.05..1
  int lanes = 6;         // 1..40, from the top, each font_size * 1.25 high
  int maxOnScreen = 40;  // 1..500; as many more may wait for a lane (the oldest dropped)
  std::string room;      // "app/name"; "" = the program's first input's stream

  bool operator==(const DanmakuSpec&) const = default;

  // Reads {"font_size","speed","opacity","lanes","max_on_screen","room"} from
  // `r`'s object. False with the reader's error.
  static bool read(SpecReader& r, DanmakuSpec& out);
  nlohmann::json toJson() const;
};

}  // namespace mixer
