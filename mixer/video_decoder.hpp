// mixer::VideoDecoder: a source's H.264 decoded once through libavcodec (slice
// threads), AVCC access units in, frames with ms timestamps out. Owned and used by
// one VideoWorker thread; never throws, never crashes on corrupt input.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "av/av_ptr.hpp"
#include "core/packet/media_packet.hpp"
#include "mixer/codec_result.hpp"
#include "mixer/encoded_unit.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
}

namespace av {
struct FilterApi;
}

namespace mixer {

class VideoDecoder {
 public:
  using Result = CodecResult;

  // The decoder for `codec` (H.264 only) configured by `config`, the stream's
  // AVCDecoderConfigurationRecord (its video config packet), with `threads` slice
  // threads (1 if < 1). nullptr with `error` for another codec or a record that does
  // not parse (core::parseAvcDecoderConfig). `api` outlives the decoder.
  static std::unique_ptr<VideoDecoder> open(const av::FilterApi& api, core::Codec codec,
                                            std::span<const uint8_t> config, int threads,
                                            std::string& error);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // One access unit (AVCC, the record's NAL length size), copied. false with `error`
  // when the decoder rejects it (corrupt, empty, after flush()): the caller counts
  // it and goes on. Call receive() until Again before the next send().
  bool send(const EncodedUnit& unit, std::string& error);
  // The next decoded frame into `out` (unref'd first): out->pts in ms (the unit's
  // pts, as the decoder reordered it), out->key_frame as the decoder set it.
  Result receive(AVFrame* out, std::string& error);
  // EOF: receive() then gives what is left, then End.
  bool flush(std::string& error);
  // Drops everything queued and references (avcodec_flush_buffers), also after a
  // flush(): the next unit should be a keyframe (a new publisher).
  void reset();

 private:
  VideoDecoder(const av::FilterApi& api, av::CodecContextPtr ctx, av::PacketPtr packet);

  const av::FilterApi& api_;
  av::CodecContextPtr ctx_;
  av::PacketPtr packet_;  // reused by send()
};

}  // namespace mixer
