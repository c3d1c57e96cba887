// Escaping of values for an FFmpeg option string, the argument of a filter command
// such as drawtext's "reinit" ("text=...:fontsize=32"), which libavfilter reads with
// av_set_options_string(ctx, arg, "=", ":"). Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mixer {

// `value` escaped so that av_get_token() (what av_set_options_string reads each key
// and value with) gives it back byte for byte and it cannot end its pair early:
// a backslash before \ ' : = , ; [ ] and before the whitespace (" \n\t\r") at either
// end, which av_get_token would otherwise trim. Inner newlines stay (drawtext breaks
// lines at them). NUL bytes, which a C string cannot carry, are left out.
std::string escapeOptionValue(std::string_view value);

// "k1=v1:k2=v2" with each value escaped. Keys are our own option names
// ([a-z0-9_]); a pair with any other key is left out.
using OptionPairs = std::vector<std::pair<std::string, std::string>>;
std::string joinOptions(const OptionPairs& pairs);

}  // namespace mixer
