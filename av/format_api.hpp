// av::FormatApi: the libavformat / libavcodec / libavutil functions MPEG-TS muxing
// (protocols/hls TsMuxer) and file demuxing (the mixer's playlists) call, resolved
// with dlsym by av::Libraries::format().
// Read-only once published; any thread.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
}

namespace av {

// X(library, function): the format table. Loads avutil, avcodec, avformat.
#define ROOMCAST_AV_FORMAT_FUNCTIONS(X)       \
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
  X(avcodec, avcodec_get_name)                \
  X(avformat, avformat_alloc_output_context2) \
  X(avformat, avformat_alloc_context)         \
  X(avformat, avformat_open_input)            \
  X(avformat, avformat_find_stream_info)      \
  X(avformat, avformat_close_input)           \
  X(avformat, av_read_frame)                  \
  X(avformat, avformat_new_stream)            \
  X(avformat, avformat_write_header)          \
  X(avformat, avformat_free_context)          \
  X(avformat, av_write_frame)                 \
  X(avformat, avio_alloc_context)             \
  X(avformat, avio_context_free)              \
  X(avformat, avio_flush)

struct FormatApi {
#define ROOMCAST_AV_MEMBER(lib, fn) decltype(&::fn) fn = nullptr;
  ROOMCAST_AV_FORMAT_FUNCTIONS(ROOMCAST_AV_MEMBER)
#undef ROOMCAST_AV_MEMBER
};

}  // namespace av
