// av::Libraries: FFmpeg's shared libraries, loaded with dlopen on first use, one
// table of functions per use: format() for muxing (HLS), filter() for transcoding
// (mixer). Owned by main (outlives every user); any thread, each table loaded once.
// NOTE: linking FFmpeg maps ~140 shared objects (every codec library libavcodec
// links), ~20 MB of RSS in every process; loaded per table, an HLS-only server never
// maps libavfilter/libswscale and a server that never muxes maps nothing.
#pragma once

#include <memory>
#include <string>

namespace av {

struct FormatApi;
struct FilterApi;

class Libraries {
 public:
  Libraries();
  ~Libraries();
  Libraries(const Libraries&) = delete;
  Libraries& operator=(const Libraries&) = delete;

  // The loaded table, or nullptr with `error` naming the library or symbol that is
  // missing. The first call loads (tens of ms: not on the loop for the filter
  // table); a failed load is not retried. Safe from any thread: each table is
  // published through its own std::call_once.
  const FormatApi* format(std::string& error);
  const FilterApi* filter(std::string& error);

 private:
  struct Tables;
  std::unique_ptr<Tables> tables_;
};

}  // namespace av
