// VodReader: one media file of a playlist, demuxed with libavformat (MP4, FLV, the
// recorder's fMP4/FLV): its H.264 and AAC tracks as they are (no transcoding; other
// codecs are an error), packets in the hub's form (AVCC video, raw AAC) with ms
// timestamps. Owned by the PlaylistPlayer; its thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"

struct AVFormatContext;
struct AVPacket;

namespace av {
struct FormatApi;
}

namespace mixer {

struct VodPacket {
  core::MediaKind kind = core::MediaKind::Video;
  int64_t dtsMs = 0, ptsMs = 0;
  int64_t endMs = 0;  // dts + duration
  bool keyframe = false;
  core::SharedBuffer payload;
};

struct VodTracks {
  bool video = false, audio = false;
  std::vector<uint8_t> avcC;  // AVCDecoderConfigurationRecord
  std::vector<uint8_t> asc;   // AudioSpecificConfig
  int width = 0, height = 0;
  double fps = 0;
  int sampleRate = 0, channels = 0;
};

class VodReader {
 public:
  // `stop` interrupts a blocking open or read (libavformat's interrupt callback).
  VodReader(const av::FormatApi& api, const std::atomic<bool>& stop);
  ~VodReader();
  VodReader(const VodReader&) = delete;
  VodReader& operator=(const VodReader&) = delete;

  // Opens and checks the file: false with `error` ("video codec hevc: playlists
  // play H.264 and AAC as they are") when it cannot be played. Reads ahead to the
  // first video packet, so firstDtsMs() is known.
  bool open(const std::string& path, std::string& error);
  const VodTracks& tracks() const { return tracks_; }
  // The item's start on its own clock: its first video dts (first audio dts when it
  // has no video).
  int64_t firstDtsMs() const { return firstDtsMs_; }

  enum class Read { Packet, End, Error };
  // The next packet of a kept track; End at the end of the file; Error (with
  // `error`) when the file is damaged part-way (a read error, a packet cut short or
  // not whole AVCC), or ends before the frames its index lists (a truncated MP4).
  Read read(VodPacket& out, std::string& error);

 private:
  Read readRaw(VodPacket& out, std::string& error);
  bool openTracks(std::string& error);
  static int interrupted(void* opaque) noexcept;

  const av::FormatApi& api_;
  const std::atomic<bool>& stop_;
  AVFormatContext* format_ = nullptr;
  AVPacket* packet_ = nullptr;
  int videoIndex_ = -1, audioIndex_ = -1;
  int nalLengthSize_ = 4;  // of the avcC
  VodTracks tracks_;
  int64_t firstDtsMs_ = 0;
  std::deque<VodPacket> ahead_;                  // read by open() before the first video packet
  int64_t lastDts_[2] = {INT64_MIN, INT64_MIN};  // per track, for packets without a dts
  int64_t expectedVideo_ = 0;                    // the index's frame count (MP4), 0 when unknown
  int64_t videoRead_ = 0;
};

}  // namespace mixer
