// TsMuxer: MPEG-TS muxing of hub packets with libavformat's mpegts muxer writing
// to memory (a custom AVIOContext), for HLS segments. Owned by one HlsStream; loop
// thread (muxing copies bytes, it does not transcode). FFmpeg errors are turned
// into strings here, at the boundary; nothing throws after construction. The
// libraries are loaded by the first muxer (av::Libraries::format()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/packet/media_packet.hpp"

struct AVFormatContext;
struct AVIOContext;
struct AVPacket;

namespace av {
class Libraries;
struct FormatApi;
}  // namespace av

namespace hls {

class TsMuxer {
 public:
  // Codec headers of the tracks (either may be absent: audio-only or video-only);
  // `timedId3` adds a timed metadata track (stream type 0x15, PES private stream 1).
  // Throws std::runtime_error when the libraries cannot be loaded or libavformat
  // refuses the setup.
  TsMuxer(av::Libraries& libs, const std::optional<core::MediaPacket>& videoConfig,
          const std::optional<core::MediaPacket>& audioConfig, bool timedId3 = false);
  ~TsMuxer();
  TsMuxer(const TsMuxer&) = delete;
  TsMuxer& operator=(const TsMuxer&) = delete;

  // Muxes one audio/video packet (others are ignored); false + error() on failure.
  bool write(const core::MediaPacket& packet);
  // Muxes one ID3 tag at `ptsMs` on the timed metadata track (a no-op without one).
  bool writeId3(int64_t ptsMs, std::span<const uint8_t> tag);
  // Writes out whatever the muxer buffers (audio PES it is still filling), so the
  // bytes taken next end exactly at this point.
  void flush();
  // The TS bytes produced since the last call.
  std::vector<uint8_t> takeBytes();
  const std::string& error() const { return error_; }
  bool hasVideo() const { return videoIndex_ >= 0; }

 private:
  static int onWrite(void* opaque, uint8_t* buf, int size) noexcept;
  void release();

  const av::FormatApi* api_ = nullptr;
  AVFormatContext* ctx_ = nullptr;
  AVIOContext* io_ = nullptr;
  AVPacket* pkt_ = nullptr;
  int videoIndex_ = -1;
  int audioIndex_ = -1;
  int id3Index_ = -1;
  int64_t lastId3Pts_ = INT64_MIN;
  std::vector<uint8_t> out_;
  std::string error_;
};

}  // namespace hls
