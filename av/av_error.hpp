// av::averror: an FFmpeg error code as text, through a loaded table (FormatApi or
// FilterApi: both carry av_strerror). Errors become strings here, at the boundary.
// Pure; any thread.
#pragma once

#include <string>

extern "C" {
#include <libavutil/error.h>
}

namespace av {

template <class Api>
std::string averror(const Api& api, int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (api.av_strerror(code, buf, sizeof buf) < 0 && buf[0] == '\0')
    return "FFmpeg error " + std::to_string(code);
  return buf;
}

}  // namespace av
