#include "protocols/hls/master_playlist.hpp"

#include <fmt/format.h>

namespace hls {

std::string renderMasterPlaylist(int version, std::span<const Variant> variants) {
  std::string out = fmt::format("#EXTM3U\n#EXT-X-VERSION:{}\n", version);
  // Every segment of every rendition starts with a keyframe (RFC 8216 4.3.5.1: in a
  // master playlist the tag applies to all of its media playlists).
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const Variant& v : variants) {
    if (v.bandwidth == 0 || v.uri.empty()) continue;
    out += fmt::format("#EXT-X-STREAM-INF:BANDWIDTH={}", v.bandwidth);
    if (v.averageBandwidth > 0) out += fmt::format(",AVERAGE-BANDWIDTH={}", v.averageBandwidth);
    if (v.width > 0 && v.height > 0) out += fmt::format(",RESOLUTION={}x{}", v.width, v.height);
    // decimal-floating-point "rounded to three decimal places" (4.3.4.2).
    if (v.fps > 0) out += fmt::format(",FRAME-RATE={:.3f}", v.fps);
    if (!v.codecs.empty()) out += fmt::format(",CODECS=\"{}\"", v.codecs);
    out += '\n';
    out += v.uri;
    out += '\n';
  }
  return out;
}

}  // namespace hls
