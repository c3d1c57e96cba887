#include "protocols/hls/ts_muxer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "av/av_error.hpp"
#include "av/av_libraries.hpp"
#include "av/format_api.hpp"
#include "core/format/aac_config.hpp"

namespace hls {
namespace {

constexpr int kIoBufferSize = 188 * 64;
constexpr AVRational kMs{1, 1000};

void setExtradata(const av::FormatApi& api, AVCodecParameters* par,
                  const core::SharedBuffer& bytes) {
  par->extradata =
      static_cast<uint8_t*>(api.av_mallocz(bytes.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!par->extradata) throw std::bad_alloc();
  std::memcpy(par->extradata, bytes.data(), bytes.size());
  par->extradata_size = static_cast<int>(bytes.size());
}

}  // namespace

TsMuxer::TsMuxer(av::Libraries& libs, const std::optional<core::MediaPacket>& videoConfig,
                 const std::optional<core::MediaPacket>& audioConfig, bool timedId3) {
  std::string error;
  api_ = libs.format(error);
  if (!api_) throw std::runtime_error("mpegts muxer: " + error);
  auto fail = [this](const std::string& what, int rc) {
    const std::string why = av::averror(*api_, rc);
    release();
    throw std::runtime_error("mpegts muxer: " + what + ": " + why);
  };
  int rc = api_->avformat_alloc_output_context2(&ctx_, nullptr, "mpegts", nullptr);
  if (rc < 0 || !ctx_) fail("alloc", rc);
  auto* buffer = static_cast<uint8_t*>(api_->av_malloc(kIoBufferSize));
  io_ =
      api_->avio_alloc_context(buffer, kIoBufferSize, 1, this, nullptr, &TsMuxer::onWrite, nullptr);
  if (!io_) fail("avio", AVERROR(ENOMEM));
  ctx_->pb = io_;
  ctx_->flags |= AVFMT_FLAG_CUSTOM_IO;

  if (videoConfig && videoConfig->codec == core::Codec::H264) {
    AVStream* st = api_->avformat_new_stream(ctx_, nullptr);
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_H264;
    setExtradata(*api_, st->codecpar, videoConfig->payload);  // avcC: muxer adds h264_mp4toannexb
    st->time_base = kMs;
    videoIndex_ = st->index;
  }
  if (audioConfig && audioConfig->codec == core::Codec::AAC) {
    std::string error;
    auto aac = core::parseAudioSpecificConfig(audioConfig->payload.span(), &error);
    AVStream* st = api_->avformat_new_stream(ctx_, nullptr);
    st->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
    st->codecpar->codec_id = AV_CODEC_ID_AAC;
    st->codecpar->sample_rate = aac ? aac->sampleRate : 44100;
    api_->av_channel_layout_default(&st->codecpar->ch_layout, aac ? aac->channels : 2);
    setExtradata(*api_, st->codecpar, audioConfig->payload);  // muxer writes ADTS headers
    st->time_base = kMs;
    audioIndex_ = st->index;
  }
  if (videoIndex_ < 0 && audioIndex_ < 0)
    fail("no H.264 or AAC track to put in MPEG-TS", AVERROR(EINVAL));
  if (timedId3) {
    // NOTE: libavformat writes AV_CODEC_ID_TIMED_ID3 as stream type 0x15 with the
    // 'ID3 ' metadata descriptor and PES stream id 0xBD, as Apple's timed metadata
    // for HLS asks.
    AVStream* st = api_->avformat_new_stream(ctx_, nullptr);
    st->codecpar->codec_type = AVMEDIA_TYPE_DATA;
    st->codecpar->codec_id = AV_CODEC_ID_TIMED_ID3;
    st->time_base = kMs;
    id3Index_ = st->index;
  }

  AVDictionary* opts = nullptr;
  // NOTE: PAT/PMT are re-sent before every video keyframe (FFmpeg does this for
  // keyframes), so each segment, cut at a keyframe, starts decodable on its own.
  api_->av_dict_set(&opts, "mpegts_flags", "+initial_discontinuity", 0);
  rc = api_->avformat_write_header(ctx_, &opts);
  api_->av_dict_free(&opts);
  if (rc < 0) fail("write header", rc);
  pkt_ = api_->av_packet_alloc();
  if (!pkt_) fail("packet", AVERROR(ENOMEM));
}

TsMuxer::~TsMuxer() {
  release();
}

void TsMuxer::release() {
  if (!api_) return;  // the libraries never loaded: nothing was made
  api_->av_packet_free(&pkt_);
  if (io_) {
    api_->av_freep(&io_->buffer);
    api_->avio_context_free(&io_);
  }
  if (ctx_) {
    ctx_->pb = nullptr;
    api_->avformat_free_context(ctx_);
    ctx_ = nullptr;
  }
}

int TsMuxer::onWrite(void* opaque, uint8_t* buf, int size) noexcept {
  auto* self = static_cast<TsMuxer*>(opaque);
  try {
    self->out_.insert(self->out_.end(), buf, buf + size);
  } catch (...) {
    return AVERROR(ENOMEM);
  }
  return size;
}

bool TsMuxer::write(const core::MediaPacket& packet) {
  const int index = packet.isVideo() ? videoIndex_ : packet.isAudio() ? audioIndex_ : -1;
  if (index < 0 || packet.config || packet.payload.empty()) return true;
  AVStream* st = ctx_->streams[index];
  api_->av_packet_unref(pkt_);
  // NOTE: the packet references our bytes without owning them (no buf): libavformat
  // copies what it keeps, and the bitstream filter allocates its own output.
  pkt_->data = const_cast<uint8_t*>(packet.payload.data());
  pkt_->size = static_cast<int>(packet.payload.size());
  pkt_->stream_index = index;
  pkt_->dts = api_->av_rescale_q(packet.dts, kMs, st->time_base);
  pkt_->pts = api_->av_rescale_q(packet.pts, kMs, st->time_base);
  if (packet.keyframe || packet.isAudio()) pkt_->flags |= AV_PKT_FLAG_KEY;
  const int rc = api_->av_write_frame(ctx_, pkt_);
  pkt_->data = nullptr;
  pkt_->size = 0;
  if (rc < 0) {
    error_ = "mpegts muxer: " + av::averror(*api_, rc);
    return false;
  }
  return true;
}

bool TsMuxer::writeId3(int64_t ptsMs, std::span<const uint8_t> tag) {
  if (id3Index_ < 0 || tag.empty()) return true;
  // NOTE: the muxer refuses a track going back in time; the stream clock never
  // does, but a new muxer after a reset must not inherit a later tag's time.
  ptsMs = std::max(ptsMs, lastId3Pts_);
  lastId3Pts_ = ptsMs;
  AVStream* st = ctx_->streams[id3Index_];
  api_->av_packet_unref(pkt_);
  pkt_->data = const_cast<uint8_t*>(tag.data());
  pkt_->size = static_cast<int>(tag.size());
  pkt_->stream_index = id3Index_;
  pkt_->dts = pkt_->pts = api_->av_rescale_q(ptsMs, kMs, st->time_base);
  pkt_->flags |= AV_PKT_FLAG_KEY;
  const int rc = api_->av_write_frame(ctx_, pkt_);
  pkt_->data = nullptr;
  pkt_->size = 0;
  if (rc < 0) {
    error_ = "mpegts muxer (timed ID3): " + av::averror(*api_, rc);
    return false;
  }
  return true;
}

void TsMuxer::flush() {
  api_->av_write_frame(ctx_, nullptr);
  api_->avio_flush(io_);
}

std::vector<uint8_t> TsMuxer::takeBytes() {
  api_->avio_flush(io_);
  std::vector<uint8_t> out;
  out.swap(out_);
  return out;
}

}  // namespace hls
