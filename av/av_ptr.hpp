// unique_ptr owners for FFmpeg objects whose free functions live in a loaded table
// (the deleter keeps the table's function pointer, so it works for any table that
// has it). The table (av::Libraries) outlives every pointer; any thread.
#pragma once

#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavutil/frame.h>
}

namespace av {

struct FrameDeleter {
  decltype(&::av_frame_free) free = nullptr;
  void operator()(AVFrame* f) const {
    if (f) free(&f);
  }
};
struct PacketDeleter {
  decltype(&::av_packet_free) free = nullptr;
  void operator()(AVPacket* p) const {
    if (p) free(&p);
  }
};
struct CodecContextDeleter {
  decltype(&::avcodec_free_context) free = nullptr;
  void operator()(AVCodecContext* c) const {
    if (c) free(&c);
  }
};
struct FilterGraphDeleter {
  decltype(&::avfilter_graph_free) free = nullptr;
  void operator()(AVFilterGraph* g) const {
    if (g) free(&g);
  }
};

using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FilterGraphPtr = std::unique_ptr<AVFilterGraph, FilterGraphDeleter>;

// Allocate through `api` (a FilterApi, or a FormatApi for packets); null on ENOMEM.
template <class Api>
FramePtr makeFrame(const Api& api) {
  return FramePtr(api.av_frame_alloc(), {api.av_frame_free});
}
template <class Api>
PacketPtr makePacket(const Api& api) {
  return PacketPtr(api.av_packet_alloc(), {api.av_packet_free});
}
template <class Api>
CodecContextPtr makeCodecContext(const Api& api, const AVCodec* codec) {
  return CodecContextPtr(api.avcodec_alloc_context3(codec), {api.avcodec_free_context});
}
template <class Api>
FilterGraphPtr makeFilterGraph(const Api& api) {
  return FilterGraphPtr(api.avfilter_graph_alloc(), {api.avfilter_graph_free});
}

}  // namespace av
