#include "mixer/audio_resampler.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <string>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
}

namespace mixer {

AudioResampler::AudioResampler(const av::FilterApi& api) : api_(api) {}

AudioResampler::~AudioResampler() {
  graph_.reset();
  api_.av_channel_layout_uninit(&inLayout_);
}

std::unique_ptr<AudioResampler> AudioResampler::build(const av::FilterApi& api,
                                                      const AVFrame& first, int outRate,
                                                      int outChannels, int frameSize,
                                                      std::string& error,
                                                      const char* sampleFormat) {
  if (first.sample_rate <= 0 || first.ch_layout.nb_channels <= 0 || first.format < 0 ||
      outRate <= 0 || (outChannels != 1 && outChannels != 2) || frameSize <= 0) {
    error = fmt::format("audio resampler: cannot convert {} Hz, {} channels to {} Hz, {} channels",
                        first.sample_rate, first.ch_layout.nb_channels, outRate, outChannels);
    return nullptr;
  }
  std::unique_ptr<AudioResampler> r(new AudioResampler(api));
  r->graph_ = av::makeFilterGraph(api);
  if (!r->graph_) {
    error = "audio resampler: out of memory";
    return nullptr;
  }
  if (!r->configure(first, outRate, outChannels, sampleFormat, error)) return nullptr;
  api.av_buffersink_set_frame_size(r->sink_, static_cast<unsigned>(frameSize));
  return r;
}

AVFilterContext* AudioResampler::addNode(const char* filter, const char* name, std::string& error) {
  const AVFilter* f = api_.avfilter_get_by_name(filter);
  AVFilterContext* ctx = f ? api_.avfilter_graph_alloc_filter(graph_.get(), f, name) : nullptr;
  if (!ctx) error = fmt::format("audio resampler: {}: this FFmpeg has no {} filter", name, filter);
  return ctx;
}

std::string AudioResampler::describe(int rate, int format, const AVChannelLayout& layout) const {
  char channels[64] = {0};
  if (api_.av_channel_layout_describe(&layout, channels, sizeof channels) < 0)
    fmt::format_to_n(channels, sizeof channels - 1, "{} channels", layout.nb_channels);
  const char* name = api_.av_get_sample_fmt_name(static_cast<AVSampleFormat>(format));
  return fmt::format("{} Hz {} {}", rate, channels, name ? name : "?");
}

void AudioResampler::normalizeLayout(AVFrame* frame) const {
  // NOTE: a decoder gives a layout of unspecified order for a channel set it cannot
  // name (an AAC program_config_element); aresample needs a real one to remix.
  if (frame->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC) return;
  int channels = frame->ch_layout.nb_channels;
  api_.av_channel_layout_uninit(&frame->ch_layout);
  api_.av_channel_layout_default(&frame->ch_layout, channels);
}

int AudioResampler::setSource(const AVChannelLayout& layout) {
  AVBufferSrcParameters* params = api_.av_buffersrc_parameters_alloc();
  if (!params) return AVERROR(ENOMEM);
  params->format = inFormat_;
  params->sample_rate = inRate_;
  params->time_base = {1, inRate_};
  int rc = api_.av_channel_layout_copy(&params->ch_layout, &layout);
  if (rc >= 0) rc = api_.av_buffersrc_parameters_set(src_, params);
  api_.av_channel_layout_uninit(&params->ch_layout);
  api_.av_free(params);
  return rc;
}

bool AudioResampler::configure(const AVFrame& first, int outRate, int outChannels,
                               const char* sampleFormat, std::string& error) {
  inRate_ = first.sample_rate;
  inFormat_ = first.format;
  int rc = api_.av_channel_layout_copy(&inLayout_, &first.ch_layout);
  if (rc >= 0 && inLayout_.order == AV_CHANNEL_ORDER_UNSPEC) {
    int channels = inLayout_.nb_channels;
    api_.av_channel_layout_uninit(&inLayout_);
    api_.av_channel_layout_default(&inLayout_, channels);
  }
  src_ = addNode("abuffer", "abuffer@src", error);
  AVFilterContext* resample = src_ ? addNode("aresample", "aresample@convert", error) : nullptr;
  AVFilterContext* format = resample ? addNode("aformat", "aformat@encoder", error) : nullptr;
  sink_ = format ? addNode("abuffersink", "abuffersink@out", error) : nullptr;
  if (!sink_) return false;
  const char* step = "abuffer@src: layout";
  auto then = [&](const char* what, auto call) {
    if (rc < 0) return;
    step = what;
    rc = call();
  };
  // Typed values of ours (a format name, a number, a layout name), never user text.
  const std::string rate = std::to_string(outRate);
  const char* layout = outChannels == 1 ? "mono" : "stereo";
  auto set = [&](const char* key, const char* value) {
    return api_.av_opt_set(format, key, value, AV_OPT_SEARCH_CHILDREN);
  };
  then("abuffer@src: parameters", [&] { return setSource(inLayout_); });
  then("abuffer@src: init", [&] { return api_.avfilter_init_dict(src_, nullptr); });
  then("aresample@convert: init", [&] { return api_.avfilter_init_dict(resample, nullptr); });
  then("aformat@encoder: sample_fmts", [&] { return set("sample_fmts", sampleFormat); });
  then("aformat@encoder: sample_rates", [&] { return set("sample_rates", rate.c_str()); });
  then("aformat@encoder: channel_layouts", [&] { return set("channel_layouts", layout); });
  then("aformat@encoder: init", [&] { return api_.avfilter_init_dict(format, nullptr); });
  then("abuffersink@out: init", [&] { return api_.avfilter_init_dict(sink_, nullptr); });
  then("link", [&] { return api_.avfilter_link(src_, 0, resample, 0); });
  then("link", [&] { return api_.avfilter_link(resample, 0, format, 0); });
  then("link", [&] { return api_.avfilter_link(format, 0, sink_, 0); });
  then("configure", [&] { return api_.avfilter_graph_config(graph_.get(), nullptr); });
  if (rc < 0) {
    error = fmt::format("audio resampler ({} -> {} Hz {}): {}: {}",
                        describe(inRate_, inFormat_, inLayout_), outRate, layout, step,
                        av::averror(api_, rc));
    return false;
  }
  return true;
}

bool AudioResampler::push(AVFrame* frame, std::string& error) {
  if (flushed_) {
    error = "audio resampler: a frame after the flush";
    return false;
  }
  normalizeLayout(frame);
  if (frame->sample_rate != inRate_ || frame->format != inFormat_ ||
      api_.av_channel_layout_compare(&frame->ch_layout, &inLayout_) != 0) {
    error = fmt::format("audio format changed: {} where the stream has {}",
                        describe(frame->sample_rate, frame->format, frame->ch_layout),
                        describe(inRate_, inFormat_, inLayout_));
    return false;
  }
  frame->pts = samplesIn_;
  int rc = api_.av_buffersrc_add_frame_flags(src_, frame, AV_BUFFERSRC_FLAG_KEEP_REF);
  if (rc < 0) {
    error = "audio resampler: " + av::averror(api_, rc);
    return false;
  }
  samplesIn_ += frame->nb_samples;
  return true;
}

CodecResult AudioResampler::pull(AVFrame* out, std::string& error) {
  api_.av_frame_unref(out);
  int rc = api_.av_buffersink_get_frame(sink_, out);
  if (rc == AVERROR(EAGAIN)) return CodecResult::Again;
  if (rc == AVERROR_EOF) return CodecResult::End;
  if (rc < 0) {
    error = "audio resampler: " + av::averror(api_, rc);
    return CodecResult::Failed;
  }
  return CodecResult::Frame;
}

bool AudioResampler::flush(std::string& error) {
  if (flushed_) return true;
  flushed_ = true;
  int rc = api_.av_buffersrc_close(src_, samplesIn_, AV_BUFFERSRC_FLAG_PUSH);
  if (rc < 0) {
    error = "audio resampler: flush: " + av::averror(api_, rc);
    return false;
  }
  return true;
}

}  // namespace mixer
