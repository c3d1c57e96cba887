// renderMasterPlaylist: an RFC 8216 master (multivariant) playlist listing the
// renditions of one source, for ABR players. Pure; the HlsServer fills the variants.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace hls {

struct Variant {
  std::string uri;                // relative to the master playlist
  uint64_t bandwidth = 0;         // bits/s, peak segment bit rate (required, > 0)
  uint64_t averageBandwidth = 0;  // bits/s, 0 = not known yet (attribute left out)
  int width = 0, height = 0;      // 0 = not known (RESOLUTION left out)
  double fps = 0;                 // 0 = not known (FRAME-RATE left out)
  std::string codecs;             // RFC 6381 list, "" = not known (CODECS left out)
};

// `version` is the EXT-X-VERSION of the media playlists it points at (3 for the
// MPEG-TS ones, 9 for LL-HLS). Variants keep their order (the first is the one a
// player starts with unless it measures first). Variants without a bandwidth are
// skipped: BANDWIDTH is required (RFC 8216 4.3.4.2).
std::string renderMasterPlaylist(int version, std::span<const Variant> variants);

}  // namespace hls
