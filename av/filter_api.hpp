// av::FilterApi: what a transcoder (mixer/) calls: decode and encode through
// libavcodec, frames, AVOptions, video and audio filter graphs built node by node
// (libavfilter), scaling (libswscale); resolved by av::Libraries::filter(). Read-only; any thread.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
#include <libswscale/swscale.h>
}

namespace av {

// X(library, function): the filter table (FFmpeg 5.1). Loads avutil, avcodec,
// avfilter, swscale; never avformat. No avfilter_graph_parse*/avfilter_init_str:
// graphs are built node by node with typed options, never from pasted text.
#define ROOMCAST_AV_FILTER_FUNCTIONS(X)       \
  X(avutil, av_strerror)                      \
  X(avutil, av_malloc)                        \
  X(avutil, av_mallocz)                       \
  X(avutil, av_free)                          \
  X(avutil, av_freep)                         \
  X(avutil, av_dict_set)                      \
  X(avutil, av_dict_free)                     \
  X(avutil, av_rescale_q)                     \
  X(avutil, av_log_set_level)                 \
  X(avutil, av_log_set_callback)              \
  X(avutil, av_log_format_line2)              \
  X(avutil, av_get_pix_fmt_name)              \
  X(avutil, av_get_sample_fmt_name)           \
  X(avutil, av_channel_layout_default)        \
  X(avutil, av_channel_layout_copy)           \
  X(avutil, av_channel_layout_compare)        \
  X(avutil, av_channel_layout_describe)       \
  X(avutil, av_channel_layout_uninit)         \
  X(avutil, av_frame_alloc)                   \
  X(avutil, av_frame_free)                    \
  X(avutil, av_frame_ref)                     \
  X(avutil, av_frame_unref)                   \
  X(avutil, av_frame_clone)                   \
  X(avutil, av_frame_get_buffer)              \
  X(avutil, av_frame_make_writable)           \
  X(avutil, av_frame_copy_props)              \
  X(avutil, av_opt_get)                       \
  X(avutil, av_opt_next)                      \
  X(avutil, av_opt_set)                       \
  X(avutil, av_opt_set_int)                   \
  X(avutil, av_opt_set_double)                \
  X(avutil, av_opt_set_q)                     \
  X(avutil, av_opt_set_bin)                   \
  X(avutil, av_opt_set_image_size)            \
  X(avutil, av_opt_set_pixel_fmt)             \
  X(avutil, av_opt_set_sample_fmt)            \
  X(avutil, av_opt_set_chlayout)              \
  X(avutil, av_opt_set_dict)                  \
  X(avcodec, avcodec_find_decoder)            \
  X(avcodec, avcodec_find_decoder_by_name)    \
  X(avcodec, avcodec_find_encoder)            \
  X(avcodec, avcodec_find_encoder_by_name)    \
  X(avcodec, avcodec_alloc_context3)          \
  X(avcodec, avcodec_free_context)            \
  X(avcodec, avcodec_parameters_to_context)   \
  X(avcodec, avcodec_parameters_from_context) \
  X(avcodec, avcodec_open2)                   \
  X(avcodec, avcodec_send_packet)             \
  X(avcodec, avcodec_receive_frame)           \
  X(avcodec, avcodec_send_frame)              \
  X(avcodec, avcodec_receive_packet)          \
  X(avcodec, avcodec_flush_buffers)           \
  X(avcodec, av_packet_alloc)                 \
  X(avcodec, av_packet_free)                  \
  X(avcodec, av_packet_ref)                   \
  X(avcodec, av_packet_unref)                 \
  X(avcodec, av_new_packet)                   \
  X(avfilter, avfilter_get_by_name)           \
  X(avfilter, avfilter_graph_alloc)           \
  X(avfilter, avfilter_graph_alloc_filter)    \
  X(avfilter, avfilter_graph_get_filter)      \
  X(avfilter, avfilter_init_dict)             \
  X(avfilter, avfilter_link)                  \
  X(avfilter, avfilter_graph_config)          \
  X(avfilter, avfilter_graph_send_command)    \
  X(avfilter, avfilter_graph_free)            \
  X(avfilter, av_buffersrc_parameters_alloc)  \
  X(avfilter, av_buffersrc_parameters_set)    \
  X(avfilter, av_buffersrc_add_frame_flags)   \
  X(avfilter, av_buffersrc_close)             \
  X(avfilter, av_buffersink_get_frame)        \
  X(avfilter, av_buffersink_get_frame_flags)  \
  X(avfilter, av_buffersink_get_time_base)    \
  X(avfilter, av_buffersink_get_format)       \
  X(avfilter, av_buffersink_get_w)            \
  X(avfilter, av_buffersink_get_h)            \
  X(avfilter, av_buffersink_get_frame_rate)   \
  X(avfilter, av_buffersink_set_frame_size)   \
  X(swscale, sws_getContext)                  \
  X(swscale, sws_getCachedContext)            \
  X(swscale, sws_scale)                       \
  X(swscale, sws_scale_frame)                 \
  X(swscale, sws_freeContext)

struct FilterApi {
#define ROOMCAST_AV_MEMBER(lib, fn) decltype(&::fn) fn = nullptr;
  ROOMCAST_AV_FILTER_FUNCTIONS(ROOMCAST_AV_MEMBER)
#undef ROOMCAST_AV_MEMBER
};

}  // namespace av
