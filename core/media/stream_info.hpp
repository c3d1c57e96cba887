// StreamInfo: what the streams API reports about a Stream's codecs, filled by the
// Stream from its config packets and metadata. A plain value.
#pragma once

#include <string>

namespace core {

struct StreamInfo {
  std::string videoCodec;  // "h264", "" when no video
  std::string videoProfile;
  int width = 0;
  int height = 0;
  double fps = 0;
  std::string audioCodec;  // "aac", "mp3", "" when no audio
  std::string audioProfile;
  int sampleRate = 0;
  int channels = 0;
  // The mixer's audio variant (Stream::addAudioVariant): "aac" for an Opus source,
  // "opus" for an AAC/MP3 one while WHEP viewers want it; "" when none runs.
  std::string audioVariant;
  // RFC 6381 codecs of the tracks with a config packet, e.g. "avc1.64001f,mp4a.40.2";
  // "" while unknown (no config yet, or H.265). NOTE: MP3 audio sends no config
  // packet, so it is not seen here.
  std::string codecs;
};

}  // namespace core
