// mixer::VideoEncoder: one rung's libx264 encoder through libavcodec, yuv420p frames
// with ms timestamps in, AVCC access units out, keyframes where the caller forces
// them. Owned and used by one RungEncoder thread; never throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "av/av_ptr.hpp"
#include "mixer/codec_result.hpp"
#include "mixer/encoded_unit.hpp"
#include "mixer/ladder_planner.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
}

namespace av {
struct FilterApi;
}

namespace mixer {

struct EncoderSettings {
  int width = 0;  // even, 16..8192
  int height = 0;
  double fps = 0;  // the frame rate x264's rate control assumes; 0 < fps <= 240
  X264Settings x264;
};

class VideoEncoder {
 public:
  using Result = CodecResult;

  // libx264 opened with `settings` (every X264Settings field applied), time base
  // 1/1000, global headers. nullptr with `error` naming the reason (a size out of
  // range, an option libx264 refuses, no libx264 in this FFmpeg). `api` outlives it.
  static std::unique_ptr<VideoEncoder> open(const av::FilterApi& api,
                                            const EncoderSettings& settings, std::string& error);
  ~VideoEncoder();
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  // The AVCDecoderConfigurationRecord of the stream (from libx264's SPS/PPS).
  const std::vector<uint8_t>& avcConfig() const { return avcConfig_; }
  const EncoderSettings& settings() const { return settings_; }

  // Encodes `frame` (the settings' size, yuv420p, pts in ms); `key` forces an IDR
  // there. Sets frame->pict_type (a field of this AVFrame, not of its shared
  // buffers). nullptr = flush(). false with `error` if refused.
  // Call receive() until Again before the next send().
  bool send(AVFrame* frame, bool key, std::string& error);
  // EOF: receive() then gives what libx264 holds, then End.
  bool flush(std::string& error);
  // The next access unit: AVCC (4-byte lengths), dts/pts in ms, key = an IDR.
  Result receive(EncodedUnit& out, std::string& error);

 private:
  VideoEncoder(const av::FilterApi& api, const EncoderSettings& settings);
  bool configure(std::string& error);
  bool setOption(const char* key, const std::string& value, std::string& error);
  std::string name() const;

  const av::FilterApi& api_;
  EncoderSettings settings_;
  av::CodecContextPtr ctx_;
  av::PacketPtr packet_;  // reused by receive()
  std::vector<uint8_t> avcConfig_;
  bool flushed_ = false;
};

}  // namespace mixer
