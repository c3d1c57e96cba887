// FfmpegApi: the libavformat / libavcodec / libavutil functions TsMuxer calls, loaded
// with dlopen when the first muxer needs them instead of at start-up. Process-wide,
// loaded once (thread-safe); the table is read-only after that.
// NOTE: linking them pulls in ~140 shared objects (every codec library libavcodec
// links) that cost ~20 MB of RSS in every process, HLS on or off; loaded on first
// use, a server that never muxes a segment never maps them.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
}

#include <string>

namespace hls {

// X(library, function) for every function TsMuxer uses.
#define ROOMCAST_FFMPEG_FUNCTIONS(X)          \
  X(avutil, av_strerror)                      \
  X(avutil, av_malloc)                        \
  X(avutil, av_mallocz)                       \
  X(avutil, av_freep)                         \
  X(avutil, av_channel_layout_default)        \
  X(avutil, av_dict_set)                      \
  X(avutil, av_dict_free)                     \
  X(avutil, av_rescale_q)                     \
  X(avcodec, av_packet_alloc)                 \
  X(avcodec, av_packet_free)                  \
  X(avcodec, av_packet_unref)                 \
  X(avformat, avformat_alloc_output_context2) \
  X(avformat, avformat_new_stream)            \
  X(avformat, avformat_write_header)          \
  X(avformat, avformat_free_context)          \
  X(avformat, av_write_frame)                 \
  X(avformat, avio_alloc_context)             \
  X(avformat, avio_context_free)              \
  X(avformat, avio_flush)

struct FfmpegApi {
#define ROOMCAST_FFMPEG_MEMBER(lib, fn) decltype(&::fn) fn = nullptr;
  ROOMCAST_FFMPEG_FUNCTIONS(ROOMCAST_FFMPEG_MEMBER)
#undef ROOMCAST_FFMPEG_MEMBER
};

// The loaded functions, or nullptr with `error` saying which library or symbol is
// missing (then no muxer can be made; the caller reports it). A failed load is not
// retried.
const FfmpegApi* ffmpegApi(std::string& error);

}  // namespace hls
