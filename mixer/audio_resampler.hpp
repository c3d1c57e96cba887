// mixer::AudioResampler: decoded audio converted for the AAC encoder by a libavfilter
// graph built node by node: abuffer -> aresample -> aformat (the encoder's sample format, rate
// and layout) -> abuffersink cutting frames of a fixed size. One thread; never throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "av/av_ptr.hpp"
#include "mixer/codec_result.hpp"

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
}

namespace av {
struct FilterApi;
}

namespace mixer {

class AudioResampler {
 public:
  // The graph for frames like `first` (rate, sample format, channel layout) giving
  // frames of `frameSize` samples, in `sampleFormat` (an FFmpeg name: "fltp" for
  // AAC, "flt" for libopus) at `outRate` Hz, `outChannels` (1 = mono,
  // 2 = stereo). nullptr with `error` naming the node and FFmpeg's reason.
  static std::unique_ptr<AudioResampler> build(const av::FilterApi& api, const AVFrame& first,
                                               int outRate, int outChannels, int frameSize,
                                               std::string& error,
                                               const char* sampleFormat = "fltp");
  ~AudioResampler();
  AudioResampler(const AudioResampler&) = delete;
  AudioResampler& operator=(const AudioResampler&) = delete;

  // Queues a new reference to `frame`; sets its pts to the count of samples pushed
  // before it (the graph's own continuous timeline) and gives a layout of
  // unspecified order its default one. Refused (false) when its rate, sample format
  // or channels differ from the first frame's, or after flush().
  bool push(AVFrame* frame, std::string& error);
  // The next frame of exactly frameSize samples (the last one after flush() padded
  // with silence) into `out`, unref'd first.
  CodecResult pull(AVFrame* out, std::string& error);
  // EOF into the source: what is queued comes out, then pull() gives End.
  bool flush(std::string& error);

  int inputRate() const { return inRate_; }

 private:
  explicit AudioResampler(const av::FilterApi& api);
  bool configure(const AVFrame& first, int outRate, int outChannels, const char* sampleFormat,
                 std::string& error);
  int setSource(const AVChannelLayout& layout);
  AVFilterContext* addNode(const char* filter, const char* name, std::string& error);
  void normalizeLayout(AVFrame* frame) const;
  std::string describe(int rate, int format, const AVChannelLayout& layout) const;

  const av::FilterApi& api_;
  av::FilterGraphPtr graph_;
  AVFilterContext* src_ = nullptr;   // owned by graph_
  AVFilterContext* sink_ = nullptr;  // owned by graph_
  int inRate_ = 0;
  int inFormat_ = -1;
  AVChannelLayout inLayout_{};  // owned: uninit in the destructor
  int64_t samplesIn_ = 0;
  bool flushed_ = false;
};

}  // namespace mixer
