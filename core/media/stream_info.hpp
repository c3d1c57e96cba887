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
};

}  // namespace core
