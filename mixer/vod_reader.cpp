#include "mixer/vod_reader.hpp"

#include <span>

#include "av/av_error.hpp"
#include "av/format_api.hpp"
#include "core/format/avc_config.hpp"

namespace mixer {

namespace {

// Packets open() may read past before the first picture: a file whose video starts
// later than this is read as it comes (its audio before the picture is dropped).
constexpr size_t kVodMaxReadAhead = 512;

std::vector<uint8_t> vodExtradata(const AVCodecParameters* par) {
  if (!par->extradata || par->extradata_size <= 0) return {};
  return {par->extradata, par->extradata + par->extradata_size};
}

// True when `unit` is a whole sequence of length-prefixed NAL units (AVCC).
bool vodWholeAvcc(std::span<const uint8_t> unit, int lengthSize) {
  size_t at = 0;
  while (at < unit.size()) {
    if (unit.size() - at < static_cast<size_t>(lengthSize)) return false;
    size_t n = 0;
    for (int i = 0; i < lengthSize; ++i) n = (n << 8) | unit[at + i];
    at += static_cast<size_t>(lengthSize);
    if (n == 0 || n > unit.size() - at) return false;
    at += n;
  }
  return true;
}

}  // namespace

VodReader::VodReader(const av::FormatApi& api, const std::atomic<bool>& stop)
    : api_(api), stop_(stop) {}

VodReader::~VodReader() {
  if (packet_) api_.av_packet_free(&packet_);
  if (format_) api_.avformat_close_input(&format_);
}

int VodReader::interrupted(void* opaque) noexcept {
  return static_cast<VodReader*>(opaque)->stop_.load(std::memory_order_acquire) ? 1 : 0;
}

bool VodReader::open(const std::string& path, std::string& error) {
  packet_ = api_.av_packet_alloc();
  format_ = api_.avformat_alloc_context();
  if (!packet_ || !format_) {
    error = "out of memory";
    return false;
  }
  format_->interrupt_callback.callback = &VodReader::interrupted;
  format_->interrupt_callback.opaque = this;
  // NOTE: only the containers a playlist plays, from local files: a playlist or
  // concat file (HLS, ffconcat) in the directory would make FFmpeg open other files
  // or URLs.
  AVDictionary* options = nullptr;
  api_.av_dict_set(&options, "format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,flv", 0);
  api_.av_dict_set(&options, "protocol_whitelist", "file", 0);
  // NOTE: on failure avformat_open_input frees the context and nulls the pointer.
  const int rc = api_.avformat_open_input(&format_, path.c_str(), nullptr, &options);
  api_.av_dict_free(&options);
  if (rc < 0) {
    error = "cannot open: " + av::averror(api_, rc);
    return false;
  }
  if (int rc = api_.avformat_find_stream_info(format_, nullptr); rc < 0) {
    error = "cannot read its tracks: " + av::averror(api_, rc);
    return false;
  }
  if (!openTracks(error)) return false;
  if (!tracks_.video) {
    VodPacket first;
    const Read r = readRaw(first, error);
    if (r == Read::Error) return false;
    if (r == Read::End) {
      error = "no audio packet";
      return false;
    }
    firstDtsMs_ = first.dtsMs;
    ahead_.push_back(std::move(first));
    return true;
  }
  while (ahead_.size() < kVodMaxReadAhead) {
    VodPacket p;
    const Read r = readRaw(p, error);
    if (r == Read::Error) return false;
    if (r == Read::End) break;
    const bool video = p.kind == core::MediaKind::Video;
    if (video) firstDtsMs_ = p.dtsMs;
    ahead_.push_back(std::move(p));
    if (video) return true;
  }
  error = "no video packet near the start";
  return false;
}

bool VodReader::openTracks(std::string& error) {
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    AVStream* st = format_->streams[i];
    const AVCodecParameters* par = st->codecpar;
    const bool cover = (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && videoIndex_ < 0 && !cover) {
      if (par->codec_id != AV_CODEC_ID_H264) {
        error = std::string("video codec ") + api_.avcodec_get_name(par->codec_id) +
                ": playlists play H.264 and AAC as they are";
        return false;
      }
      tracks_.avcC = vodExtradata(par);
      if (tracks_.avcC.size() < 7 || tracks_.avcC[0] != 1) {
        error = "H.264 without an avcC record (Annex-B, e.g. MPEG-TS): use MP4 or FLV";
        return false;
      }
      nalLengthSize_ = core::avcNalLengthSize(tracks_.avcC);
      if (nalLengthSize_ <= 0) {
        error = "unreadable avcC record";
        return false;
      }
      videoIndex_ = static_cast<int>(i);
      tracks_.video = true;
      tracks_.width = par->width;
      tracks_.height = par->height;
      const AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
      tracks_.fps = r.den > 0 ? static_cast<double>(r.num) / r.den : 0;
      expectedVideo_ = st->nb_frames;
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && audioIndex_ < 0) {
      if (par->codec_id != AV_CODEC_ID_AAC) {
        error = std::string("audio codec ") + api_.avcodec_get_name(par->codec_id) +
                ": playlists play H.264 and AAC as they are";
        return false;
      }
      tracks_.asc = vodExtradata(par);
      if (tracks_.asc.size() < 2) {
        error = "AAC without an AudioSpecificConfig (ADTS): use MP4 or FLV";
        return false;
      }
      audioIndex_ = static_cast<int>(i);
      tracks_.audio = true;
      tracks_.sampleRate = par->sample_rate;
      tracks_.channels = par->ch_layout.nb_channels;
    } else {
      st->discard = AVDISCARD_ALL;
    }
  }
  if (!tracks_.video && !tracks_.audio) {
    error = "no H.264 or AAC track";
    return false;
  }
  return true;
}

VodReader::Read VodReader::read(VodPacket& out, std::string& error) {
  if (!ahead_.empty()) {
    out = std::move(ahead_.front());
    ahead_.pop_front();
    return Read::Packet;
  }
  return readRaw(out, error);
}

VodReader::Read VodReader::readRaw(VodPacket& out, std::string& error) {
  for (;;) {
    const int rc = api_.av_read_frame(format_, packet_);
    if (rc < 0 && stop_.load(std::memory_order_acquire)) return Read::End;
    // NOTE: libavformat reads a truncated MP4 up to the cut and then says EOF (with
    // a "partial file" warning): the index's frame count tells it from a whole file.
    if (rc == AVERROR_EOF && expectedVideo_ > 0 && videoRead_ < expectedVideo_) {
      error = "the file ends part-way: " + std::to_string(videoRead_) + " of " +
              std::to_string(expectedVideo_) + " video frames (truncated?)";
      return Read::Error;
    }
    if (rc == AVERROR_EOF) return Read::End;
    if (rc < 0) {
      error = "read failed part-way: " + av::averror(api_, rc);
      return Read::Error;
    }
    const int index = packet_->stream_index;
    if ((index != videoIndex_ && index != audioIndex_) || packet_->size <= 0) {
      api_.av_packet_unref(packet_);
      continue;
    }
    const bool video = index == videoIndex_;
    if (video) ++videoRead_;
    const AVStream* st = format_->streams[index];
    int64_t& last = lastDts_[video ? 0 : 1];
    int64_t ts = packet_->dts != AV_NOPTS_VALUE ? packet_->dts : packet_->pts;
    if (ts == AV_NOPTS_VALUE) ts = last == INT64_MIN ? 0 : last;
    last = ts;
    const AVRational ms{1, 1000};
    out.kind = video ? core::MediaKind::Video : core::MediaKind::Audio;
    out.dtsMs = api_.av_rescale_q(ts, st->time_base, ms);
    out.ptsMs = packet_->pts != AV_NOPTS_VALUE && packet_->pts >= ts
                    ? api_.av_rescale_q(packet_->pts, st->time_base, ms)
                    : out.dtsMs;
    if (packet_->duration > 0) {
      out.endMs = api_.av_rescale_q(ts + packet_->duration, st->time_base, ms);
    } else if (video) {
      out.endMs = out.dtsMs + (tracks_.fps > 0 ? static_cast<int64_t>(1000 / tracks_.fps) : 40);
    } else {
      out.endMs = out.dtsMs + (tracks_.sampleRate > 0 ? 1024 * 1000 / tracks_.sampleRate : 23);
    }
    // NOTE: a unit cut short (a truncated file's last sample, which libavformat
    // flags corrupt) would break every muxer and decoder downstream: the item ends.
    const std::span<const uint8_t> data(packet_->data, static_cast<size_t>(packet_->size));
    if ((packet_->flags & AV_PKT_FLAG_CORRUPT) != 0 ||
        (video && !vodWholeAvcc(data, nalLengthSize_))) {
      error = std::string("damaged part-way: the ") + (video ? "video" : "audio") + " packet at " +
              std::to_string(out.dtsMs) + " ms is cut short or corrupt";
      api_.av_packet_unref(packet_);
      return Read::Error;
    }
    out.keyframe = (packet_->flags & AV_PKT_FLAG_KEY) != 0;
    out.payload = core::SharedBuffer::copyOf(data);
    api_.av_packet_unref(packet_);
    return Read::Packet;
  }
}

}  // namespace mixer
