#include "mixer/video_encoder.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"
#include "core/format/annexb.hpp"

namespace mixer {

namespace {

constexpr int kEncoderMinSide = 16;  // one macroblock
constexpr int kEncoderMaxSide = 8192;
constexpr double kEncoderMaxFps = 240;

// fps as a rational x264 takes: 30 -> 30/1, 29.97 -> 30000/1001, else in 1/1000ths.
AVRational x264FrameRate(double fps) {
  double whole = std::round(fps);
  if (std::abs(fps - whole) < 1e-6) return {static_cast<int>(whole), 1};
  double ntsc = std::round(fps * 1.001);
  if (std::abs(fps - ntsc * 1000 / 1001) < 1e-3) return {static_cast<int>(ntsc) * 1000, 1001};
  return {static_cast<int>(std::lround(fps * 1000)), 1000};
}

bool encoderSideOk(int side) {
  return side >= kEncoderMinSide && side <= kEncoderMaxSide && side % 2 == 0;
}

}  // namespace

VideoEncoder::VideoEncoder(const av::FilterApi& api, const EncoderSettings& settings)
    : api_(api), settings_(settings) {}

VideoEncoder::~VideoEncoder() = default;

std::string VideoEncoder::name() const {
  return fmt::format("libx264 {}x{}@{}", settings_.width, settings_.height, settings_.fps);
}

std::unique_ptr<VideoEncoder> VideoEncoder::open(const av::FilterApi& api,
                                                 const EncoderSettings& settings,
                                                 std::string& error) {
  std::unique_ptr<VideoEncoder> e(new VideoEncoder(api, settings));
  if (!encoderSideOk(settings.width) || !encoderSideOk(settings.height)) {
    error = fmt::format("{}: size out of range (even, {}..{})", e->name(), kEncoderMinSide,
                        kEncoderMaxSide);
    return nullptr;
  }
  if (!(settings.fps > 0 && settings.fps <= kEncoderMaxFps)) {
    error = fmt::format("{}: frame rate out of range (0..{})", e->name(), kEncoderMaxFps);
    return nullptr;
  }
  if (!e->configure(error)) return nullptr;
  const AVCodecContext* ctx = e->ctx_.get();
  if (ctx->extradata && ctx->extradata_size > 0)
    e->avcConfig_ = core::avcConfigFromAnnexB({ctx->extradata, size_t(ctx->extradata_size)});
  if (e->avcConfig_.empty()) {
    error = e->name() + ": the encoder gave no SPS/PPS";
    return nullptr;
  }
  return e;
}

bool VideoEncoder::setOption(const char* key, const std::string& value, std::string& error) {
  // NOTE: AV_OPT_SEARCH_CHILDREN: the option is the context's ("b", "g") or
  // libx264's private one ("preset", "forced-idr"), wherever this FFmpeg has it.
  int rc = api_.av_opt_set(ctx_.get(), key, value.c_str(), AV_OPT_SEARCH_CHILDREN);
  if (rc < 0) {
    error = fmt::format("{}: option {}={}: {}", name(), key, value, av::averror(api_, rc));
    return false;
  }
  return true;
}

bool VideoEncoder::configure(std::string& error) {
  const AVCodec* x264 = api_.avcodec_find_encoder_by_name("libx264");
  if (!x264) {
    error = name() + ": this FFmpeg has no libx264";
    return false;
  }
  ctx_ = av::makeCodecContext(api_, x264);
  packet_ = av::makePacket(api_);
  if (!ctx_ || !packet_) {
    error = name() + ": out of memory";
    return false;
  }
  AVCodecContext* ctx = ctx_.get();
  ctx->width = settings_.width;
  ctx->height = settings_.height;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->time_base = {1, 1000};
  ctx->framerate = x264FrameRate(settings_.fps);
  ctx->sample_aspect_ratio = {1, 1};
  // NOTE: SPS/PPS once, in extradata (-> avcC), not repeated before every IDR.
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  const X264Settings& x = settings_.x264;
  ctx->thread_count = x.threads < 1 ? 1 : x.threads;
  bool ok = (x.preset.empty() || setOption("preset", x.preset, error)) &&
            (x.tune.empty() || setOption("tune", x.tune, error)) &&
            (x.bitRate <= 0 || setOption("b", std::to_string(x.bitRate), error)) &&
            (x.maxRate <= 0 || setOption("maxrate", std::to_string(x.maxRate), error)) &&
            (x.bufSize <= 0 || setOption("bufsize", std::to_string(x.bufSize), error)) &&
            (x.gop <= 0 || setOption("g", std::to_string(x.gop), error)) &&
            (x.keyintMin <= 0 || setOption("keyint_min", std::to_string(x.keyintMin), error)) &&
            setOption("sc_threshold", std::to_string(x.scThreshold), error) &&
            setOption("forced-idr", x.forcedIdr ? "1" : "0", error);
  if (!ok) return false;
  int rc = api_.avcodec_open2(ctx, x264, nullptr);
  if (rc < 0) {
    error = fmt::format("{}: cannot open (preset {}, tune {}): {}", name(), x.preset,
                        x.tune.empty() ? "none" : x.tune, av::averror(api_, rc));
    return false;
  }
  return true;
}

bool VideoEncoder::send(AVFrame* frame, bool key, std::string& error) {
  if (!frame) return flush(error);
  if (flushed_) {
    error = name() + ": a frame after the flush";
    return false;
  }
  if (frame->width != settings_.width || frame->height != settings_.height ||
      frame->format != AV_PIX_FMT_YUV420P) {
    error = fmt::format("{}: a {}x{} frame (format {})", name(), frame->width, frame->height,
                        frame->format);
    return false;
  }
  // NOTE: FFmpeg 5.1's libx264.c turns a frame's pict_type into a forced x264 frame
  // type (I -> IDR with forced-idr, P, B); a decoded frame carries the source's P/B,
  // so every frame not forced to a key is reset to NONE (x264 decides).
  frame->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  int rc = api_.avcodec_send_frame(ctx_.get(), frame);
  if (rc < 0) {
    error = fmt::format("{}: frame at {} ms: {}", name(), frame->pts, av::averror(api_, rc));
    return false;
  }
  return true;
}

bool VideoEncoder::flush(std::string& error) {
  if (flushed_) return true;
  int rc = api_.avcodec_send_frame(ctx_.get(), nullptr);
  if (rc < 0 && rc != AVERROR_EOF) {
    error = name() + ": flush: " + av::averror(api_, rc);
    return false;
  }
  flushed_ = true;
  return true;
}

VideoEncoder::Result VideoEncoder::receive(EncodedUnit& out, std::string& error) {
  AVPacket* pkt = packet_.get();
  int rc = api_.avcodec_receive_packet(ctx_.get(), pkt);
  if (rc == AVERROR(EAGAIN)) return Result::Again;
  if (rc == AVERROR_EOF) return Result::End;
  if (rc < 0) {
    error = name() + ": " + av::averror(api_, rc);
    return Result::Failed;
  }
  // libx264 writes Annex-B; the hub carries AVCC.
  std::vector<uint8_t> avcc = core::annexBToAvcc({pkt->data, size_t(pkt->size)});
  out.dts = pkt->dts;
  out.pts = pkt->pts;
  out.key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
  api_.av_packet_unref(pkt);
  if (avcc.empty()) {
    error = fmt::format("{}: an access unit at {} ms without NAL units", name(), out.pts);
    return Result::Failed;
  }
  out.payload = core::SharedBuffer::adopt(std::move(avcc));
  return Result::Frame;
}

}  // namespace mixer
