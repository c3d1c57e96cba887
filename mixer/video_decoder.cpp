#include "mixer/video_decoder.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"
#include "av/send_packet.hpp"
#include "core/format/avc_config.hpp"

namespace mixer {

namespace {

// Far above any real access unit (a 4K intra frame is a few MB); keeps the size an int.
constexpr size_t kDecoderMaxUnitBytes = size_t{1} << 28;

// The record as extradata: libavcodec reads up to AV_INPUT_BUFFER_PADDING_SIZE
// past the end, which must be there and zero.
bool setExtradata(const av::FilterApi& api, AVCodecContext* ctx, std::span<const uint8_t> config) {
  auto* bytes = static_cast<uint8_t*>(api.av_mallocz(config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!bytes) return false;
  std::memcpy(bytes, config.data(), config.size());
  ctx->extradata = bytes;  // freed by avcodec_free_context
  ctx->extradata_size = static_cast<int>(config.size());
  return true;
}

}  // namespace

VideoDecoder::VideoDecoder(const av::FilterApi& api, av::CodecContextPtr ctx, av::PacketPtr packet)
    : api_(api), ctx_(std::move(ctx)), packet_(std::move(packet)) {}

VideoDecoder::~VideoDecoder() = default;

std::unique_ptr<VideoDecoder> VideoDecoder::open(const av::FilterApi& api, core::Codec codec,
                                                 std::span<const uint8_t> config, int threads,
                                                 std::string& error) {
  if (codec != core::Codec::H264) {
    error = fmt::format("cannot decode {}: the caster takes H.264", core::codecName(codec));
    return nullptr;
  }
  // NOTE: FFmpeg 5.1's h264 decoder opens with any extradata (a SPS or PPS it cannot
  // parse is only logged, even with AV_EF_EXPLODE); the record is checked here, and
  // parameter sets libavcodec still cannot use make every send() fail.
  std::string why;
  if (!core::parseAvcDecoderConfig(config, &why)) {
    error = "cannot open the H.264 decoder: the stream's avcC: " + why;
    return nullptr;
  }
  const AVCodec* h264 = api.avcodec_find_decoder(AV_CODEC_ID_H264);
  if (!h264) {
    error = "cannot open the H.264 decoder: this FFmpeg has none";
    return nullptr;
  }
  av::CodecContextPtr ctx = av::makeCodecContext(api, h264);
  av::PacketPtr packet = av::makePacket(api);
  if (!ctx || !packet || !setExtradata(api, ctx.get(), config)) {
    error = "cannot open the H.264 decoder: out of memory";
    return nullptr;
  }
  ctx->pkt_timebase = {1, 1000};
  ctx->time_base = {1, 1000};
  // NOTE: slice threads only: frame threads would each hold back one frame (delay).
  ctx->thread_type = FF_THREAD_SLICE;
  ctx->thread_count = threads < 1 ? 1 : threads;
  int rc = api.avcodec_open2(ctx.get(), h264, nullptr);
  if (rc < 0) {
    error = "cannot open the H.264 decoder: " + av::averror(api, rc);
    return nullptr;
  }
  return std::unique_ptr<VideoDecoder>(new VideoDecoder(api, std::move(ctx), std::move(packet)));
}

bool VideoDecoder::send(const EncodedUnit& unit, std::string& error) {
  if (unit.payload.empty()) {
    // An empty packet would read as EOF.
    error = "H.264 decoder: an empty access unit";
    return false;
  }
  if (unit.payload.size() > kDecoderMaxUnitBytes) {
    error = fmt::format("H.264 decoder: a {}-byte access unit", unit.payload.size());
    return false;
  }
  const int rc = av::sendPacketCopy(api_, ctx_.get(), packet_.get(), unit.payload.span(), unit.pts,
                                    unit.dts, unit.key);
  if (rc < 0) {
    error = fmt::format("H.264 decoder: access unit at {} ms: {}", unit.pts, av::averror(api_, rc));
    return false;
  }
  return true;
}

VideoDecoder::Result VideoDecoder::receive(AVFrame* out, std::string& error) {
  int rc = api_.avcodec_receive_frame(ctx_.get(), out);
  if (rc == AVERROR(EAGAIN)) return Result::Again;
  if (rc == AVERROR_EOF) return Result::End;
  if (rc < 0) {
    error = "H.264 decoder: " + av::averror(api_, rc);
    return Result::Failed;
  }
  if (out->best_effort_timestamp != AV_NOPTS_VALUE) out->pts = out->best_effort_timestamp;
  return Result::Frame;
}

bool VideoDecoder::flush(std::string& error) {
  int rc = api_.avcodec_send_packet(ctx_.get(), nullptr);
  if (rc < 0 && rc != AVERROR_EOF) {
    error = "H.264 decoder: flush: " + av::averror(api_, rc);
    return false;
  }
  return true;
}

void VideoDecoder::reset() {
  api_.avcodec_flush_buffers(ctx_.get());
}

}  // namespace mixer
