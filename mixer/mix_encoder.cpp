#include "mixer/mix_encoder.hpp"

#include <cstring>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"
#include "mixer/mix_bus.hpp"

namespace mixer {

MixEncoder::~MixEncoder() = default;

std::unique_ptr<MixEncoder> MixEncoder::open(const av::FilterApi& api, int kbps,
                                             std::string& error) {
  std::unique_ptr<MixEncoder> e(new MixEncoder(api));
  const AVCodec* enc = api.avcodec_find_encoder_by_name("aac");
  if (!enc) {
    error = "cannot open the AAC encoder: this FFmpeg has none";
    return nullptr;
  }
  e->ctx_ = av::makeCodecContext(api, enc);
  e->frame_ = av::makeFrame(api);
  e->packet_ = av::makePacket(api);
  if (!e->ctx_ || !e->frame_ || !e->packet_) {
    error = "cannot open the AAC encoder: out of memory";
    return nullptr;
  }
  AVCodecContext* ctx = e->ctx_.get();
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  ctx->sample_rate = MixBus::kRate;
  api.av_channel_layout_default(&ctx->ch_layout, 2);
  ctx->bit_rate = int64_t{kbps} * 1000;
  ctx->profile = FF_PROFILE_AAC_LOW;
  ctx->time_base = {1, MixBus::kRate};
  ctx->thread_count = 1;
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (int rc = api.avcodec_open2(ctx, enc, nullptr); rc < 0) {
    error = "cannot open the AAC encoder: " + av::averror(api, rc);
    return nullptr;
  }
  if (ctx->frame_size != kFrameSamples || !ctx->extradata || ctx->extradata_size <= 0) {
    error = "cannot open the AAC encoder: frames of " + std::to_string(ctx->frame_size);
    return nullptr;
  }
  e->asc_.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  AVFrame* f = e->frame_.get();
  f->format = AV_SAMPLE_FMT_FLTP;
  f->sample_rate = MixBus::kRate;
  f->nb_samples = kFrameSamples;
  api.av_channel_layout_default(&f->ch_layout, 2);
  return e;
}

bool MixEncoder::encode(const float* left, const float* right, std::vector<EncodedAudio>& out,
                        std::string& error) {
  AVFrame* f = frame_.get();
  // NOTE: a fresh buffer each frame: the encoder may still hold the previous one.
  api_.av_frame_unref(f);
  f->format = AV_SAMPLE_FMT_FLTP;
  f->sample_rate = MixBus::kRate;
  f->nb_samples = kFrameSamples;
  api_.av_channel_layout_default(&f->ch_layout, 2);
  if (int rc = api_.av_frame_get_buffer(f, 0); rc < 0) {
    error = "AAC encoder: " + av::averror(api_, rc);
    return false;
  }
  std::memcpy(f->data[0], left, kFrameSamples * sizeof(float));
  std::memcpy(f->data[1], right, kFrameSamples * sizeof(float));
  f->pts = samplesIn_;
  samplesIn_ += kFrameSamples;
  if (int rc = api_.avcodec_send_frame(ctx_.get(), f); rc < 0) {
    error = "AAC encoder: " + av::averror(api_, rc);
    return false;
  }
  while (true) {
    AVPacket* p = packet_.get();
    int rc = api_.avcodec_receive_packet(ctx_.get(), p);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
    if (rc < 0) {
      error = "AAC encoder: " + av::averror(api_, rc);
      return false;
    }
    EncodedAudio a;
    a.payload =
        core::SharedBuffer::copyOf(std::span<const uint8_t>(p->data, static_cast<size_t>(p->size)));
    // NOTE: by count, not the packet's pts (which starts negative with the encoder's
    // priming): continuous and increasing, 21-22 ms apart.
    a.pts = framesOut_ * kFrameSamples * 1000 / MixBus::kRate;
    ++framesOut_;
    api_.av_packet_unref(p);
    out.push_back(std::move(a));
  }
}

}  // namespace mixer
