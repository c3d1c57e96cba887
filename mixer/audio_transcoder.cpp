#include "mixer/audio_transcoder.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"
#include "av/send_packet.hpp"
#include "core/format/aac_config.hpp"

namespace mixer {

namespace {

// Far above any real audio frame (an AAC frame is at most 6144 bits per channel).
constexpr size_t kMaxAudioFrameBytes = size_t{1} << 20;
constexpr int kDefaultRate = 48000;

bool encoderTakesRate(const AVCodec* codec, int rate) {
  if (!codec->supported_samplerates) return rate > 0;
  for (const int* r = codec->supported_samplerates; *r; ++r)
    if (*r == rate) return true;
  return false;
}

}  // namespace

AudioTranscoder::AudioTranscoder(const av::FilterApi& api) : api_(api) {}

AudioTranscoder::~AudioTranscoder() = default;

std::unique_ptr<AudioTranscoder> AudioTranscoder::open(const av::FilterApi& api, core::Codec codec,
                                                       std::span<const uint8_t> config, int kbps,
                                                       std::string& error, int sampleRate,
                                                       core::Codec output) {
  if (codec != core::Codec::AAC && codec != core::Codec::Mp3 && codec != core::Codec::Opus) {
    error = fmt::format("cannot decode {} audio", core::codecName(codec));
    return nullptr;
  }
  if (output != core::Codec::AAC && output != core::Codec::Opus) {
    error = fmt::format("cannot encode {} audio", core::codecName(output));
    return nullptr;
  }
  const char* encoderName = output == core::Codec::AAC ? "AAC" : "Opus";
  if (kbps < kMinKbps || kbps > kMaxKbps) {
    error = fmt::format("{} encoder: {} kbps out of range ({}..{})", encoderName, kbps, kMinKbps,
                        kMaxKbps);
    return nullptr;
  }
  std::unique_ptr<AudioTranscoder> t(new AudioTranscoder(api));
  t->name_ = fmt::format("{} audio", core::codecName(codec));
  t->output_ = output;
  if (output == core::Codec::Opus) t->frameSamples_ = kOpusFrameSamples;
  t->packet_ = av::makePacket(api);
  t->decoded_ = av::makeFrame(api);
  t->converted_ = av::makeFrame(api);
  if (!t->packet_ || !t->decoded_ || !t->converted_) {
    error = t->name_ + ": out of memory";
    return nullptr;
  }
  // NOTE: the decoder first: the AAC encoder's rate and channels follow the source's.
  if (!t->openDecoder(codec, config, error)) return nullptr;
  const bool encoder = output == core::Codec::Opus ? t->openOpusEncoder(kbps, error)
                                                   : t->openEncoder(kbps, sampleRate, error);
  if (!encoder) return nullptr;
  return t;
}

bool AudioTranscoder::openDecoder(core::Codec codec, std::span<const uint8_t> config,
                                  std::string& error) {
  const bool aac = codec == core::Codec::AAC;
  const bool opus = codec == core::Codec::Opus;
  const char* what = aac ? "AAC" : opus ? "Opus" : "MP3";
  std::string why;
  if (aac) {
    auto info = core::parseAudioSpecificConfig(config, &why);
    if (!info) {
      error = "cannot open the AAC decoder: the stream's AudioSpecificConfig: " + why;
      return false;
    }
    // NOTE: libavcodec's AAC decoder sets its rate and channels at the first frame,
    // not at open; the encoder's must be known now (its config packet goes first).
    sourceRate_ = info->sampleRate;
    sourceChannels_ = info->channels;
  }
  if (opus) {
    // NOTE: RTP's Opus (RFC 7587) is always 48 kHz, stereo at most, with no header:
    // the decoder is told so (it would read both from an OpusHead).
    sourceRate_ = kOpusRate;
    sourceChannels_ = 2;
  }
  const AVCodec* dec = api_.avcodec_find_decoder(aac    ? AV_CODEC_ID_AAC
                                                 : opus ? AV_CODEC_ID_OPUS
                                                        : AV_CODEC_ID_MP3);
  if (!dec) {
    error = fmt::format("cannot open the {} decoder: this FFmpeg has none", what);
    return false;
  }
  decoder_ = av::makeCodecContext(api_, dec);
  if (decoder_ && aac) {
    // libavcodec reads up to AV_INPUT_BUFFER_PADDING_SIZE past the end: zeros.
    auto* bytes =
        static_cast<uint8_t*>(api_.av_mallocz(config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (bytes) std::memcpy(bytes, config.data(), config.size());
    decoder_->extradata = bytes;  // freed by avcodec_free_context
    decoder_->extradata_size = bytes ? static_cast<int>(config.size()) : 0;
  }
  if (!decoder_ || (aac && !decoder_->extradata)) {
    error = fmt::format("cannot open the {} decoder: out of memory", what);
    return false;
  }
  if (opus) {
    decoder_->sample_rate = kOpusRate;
    api_.av_channel_layout_default(&decoder_->ch_layout, 2);
  }
  decoder_->pkt_timebase = {1, 1000};
  decoder_->thread_count = 1;
  int rc = api_.avcodec_open2(decoder_.get(), dec, nullptr);
  if (rc < 0) {
    error = fmt::format("cannot open the {} decoder: {}", what, av::averror(api_, rc));
    return false;
  }
  return true;
}

bool AudioTranscoder::openEncoder(int kbps, int sampleRate, std::string& error) {
  const AVCodec* enc = api_.avcodec_find_encoder_by_name("aac");
  if (!enc) {
    error = "cannot open the AAC encoder: this FFmpeg has none";
    return false;
  }
  if (sampleRate > 0 && !encoderTakesRate(enc, sampleRate)) {
    error = fmt::format("cannot open the AAC encoder: it does not take {} Hz", sampleRate);
    return false;
  }
  if (sampleRate > 0)
    outRate_ = sampleRate;
  else
    outRate_ = encoderTakesRate(enc, sourceRate_) ? sourceRate_ : kDefaultRate;
  outChannels_ = sourceChannels_ == 1 ? 1 : 2;
  encoder_ = av::makeCodecContext(api_, enc);
  if (!encoder_) {
    error = "cannot open the AAC encoder: out of memory";
    return false;
  }
  AVCodecContext* ctx = encoder_.get();
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  ctx->sample_rate = outRate_;
  api_.av_channel_layout_default(&ctx->ch_layout, outChannels_);
  ctx->bit_rate = int64_t{kbps} * 1000;
  ctx->profile = FF_PROFILE_AAC_LOW;
  ctx->time_base = {1, outRate_};
  ctx->thread_count = 1;
  // NOTE: the AudioSpecificConfig once, in extradata (the config packet), not ADTS.
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int rc = api_.avcodec_open2(ctx, enc, nullptr);
  const std::string label = fmt::format("the AAC encoder ({} Hz, {} kbps, {})", outRate_, kbps,
                                        outChannels_ == 1 ? "mono" : "stereo");
  if (rc < 0) {
    error = fmt::format("cannot open {}: {}", label, av::averror(api_, rc));
    return false;
  }
  if (ctx->frame_size != kFrameSamples) {
    error = fmt::format("cannot open {}: frames of {} samples", label, ctx->frame_size);
    return false;
  }
  if (ctx->extradata && ctx->extradata_size > 0)
    asc_.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  if (!core::parseAudioSpecificConfig(asc_)) {
    error = fmt::format("cannot open {}: no AudioSpecificConfig", label);
    return false;
  }
  return true;
}

bool AudioTranscoder::openOpusEncoder(int kbps, std::string& error) {
  const AVCodec* enc = api_.avcodec_find_encoder_by_name("libopus");
  if (!enc) {
    error = "cannot open the Opus encoder: this FFmpeg has no libopus encoder";
    return false;
  }
  outRate_ = kOpusRate;
  outChannels_ = 2;
  encoder_ = av::makeCodecContext(api_, enc);
  if (!encoder_) {
    error = "cannot open the Opus encoder: out of memory";
    return false;
  }
  AVCodecContext* ctx = encoder_.get();
  ctx->sample_fmt = AV_SAMPLE_FMT_FLT;  // libopus takes s16 or interleaved float
  ctx->sample_rate = outRate_;
  api_.av_channel_layout_default(&ctx->ch_layout, outChannels_);
  ctx->bit_rate = int64_t{kbps} * 1000;
  ctx->time_base = {1, outRate_};
  ctx->thread_count = 1;
  int rc = api_.avcodec_open2(ctx, enc, nullptr);
  const std::string label = fmt::format("the Opus encoder (48000 Hz, {} kbps, stereo)", kbps);
  if (rc < 0) {
    error = fmt::format("cannot open {}: {}", label, av::averror(api_, rc));
    return false;
  }
  if (ctx->frame_size != kOpusFrameSamples) {
    error = fmt::format("cannot open {}: frames of {} samples", label, ctx->frame_size);
    return false;
  }
  // NOTE: libopus stamps each packet with its samples' time minus its pre-skip
  // (initial_padding): added back, packet n is at sample n * 960 of our input.
  primingSamples_ = ctx->initial_padding;
  return true;
}

bool AudioTranscoder::send(const core::SharedBuffer& frame, int64_t pts, std::string& error) {
  if (flushed_) {
    error = name_ + ": a frame after the flush";
    return false;
  }
  if (frame.empty() || frame.size() > kMaxAudioFrameBytes) {
    // An empty packet would read as EOF.
    error = fmt::format("{}: a {}-byte frame at {} ms", name_, frame.size(), pts);
    return false;
  }
  const int rc = av::sendPacketCopy(api_, decoder_.get(), packet_.get(), frame.span(), pts, pts);
  if (rc < 0) {
    error = fmt::format("{}: frame at {} ms: {}", name_, pts, av::averror(api_, rc));
    return false;
  }
  return drainDecoder(error);
}

bool AudioTranscoder::drainDecoder(std::string& error) {
  bool ok = true;
  std::string why;
  for (;;) {
    AVFrame* frame = decoded_.get();
    int rc = api_.avcodec_receive_frame(decoder_.get(), frame);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) break;
    if (rc < 0) {
      if (ok) error = fmt::format("{}: {}", name_, av::averror(api_, rc));
      return false;
    }
    // A frame refused is dropped; the ones after it in the same packet still go on.
    if (!convert(frame, why) && ok) {
      error = why;
      ok = false;
    }
    api_.av_frame_unref(frame);
  }
  return ok;
}

bool AudioTranscoder::convert(AVFrame* decoded, std::string& error) {
  if (!resampler_) {
    resampler_ = AudioResampler::build(api_, *decoded, outRate_, outChannels_, frameSamples_, error,
                                       output_ == core::Codec::Opus ? "flt" : "fltp");
    if (!resampler_) {
      error = name_ + ": " + error;
      return false;
    }
    clock_.emplace(decoded->sample_rate, outRate_);
  }
  int64_t pts = decoded->best_effort_timestamp;
  if (pts == AV_NOPTS_VALUE) pts = decoded->pts;
  if (pts == AV_NOPTS_VALUE) pts = AudioClock::kNoPts;
  const int64_t samples = decoded->nb_samples;
  if (!resampler_->push(decoded, error)) {
    error = name_ + ": " + error;
    return false;
  }
  clock_->input(pts, samples);
  return drainResampler(error);
}

bool AudioTranscoder::drainResampler(std::string& error) {
  for (;;) {
    CodecResult r = resampler_->pull(converted_.get(), error);
    if (r == CodecResult::Again || r == CodecResult::End) return true;
    if (r == CodecResult::Failed) {
      error = name_ + ": " + error;
      return false;
    }
    if (!encode(converted_.get(), error)) return false;
  }
}

bool AudioTranscoder::encode(AVFrame* frame, std::string& error) {
  // The encoder's clock counts samples; AudioClock turns them into ms.
  frame->pts = samplesOut_;
  samplesOut_ += frame->nb_samples;
  int rc = api_.avcodec_send_frame(encoder_.get(), frame);
  api_.av_frame_unref(frame);
  if (rc < 0) {
    error =
        fmt::format("{}: {} encoder: {}", name_, core::codecName(output_), av::averror(api_, rc));
    return false;
  }
  return drainEncoder(error);
}

bool AudioTranscoder::drainEncoder(std::string& error) {
  AVPacket* pkt = packet_.get();
  for (;;) {
    int rc = api_.avcodec_receive_packet(encoder_.get(), pkt);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
    if (rc < 0) {
      error =
          fmt::format("{}: {} encoder: {}", name_, core::codecName(output_), av::averror(api_, rc));
      return false;
    }
    // NOTE: the encoder's first packet (pts -1024: its priming, initial_padding) holds
    // no sample of ours; dropped, every packet's pts is the time of its samples and
    // the first is the first input frame's pts. A player starting here decodes that
    // first frame without its predecessor's overlap, as one joining mid-stream does.
    const int64_t index = pkt->pts + primingSamples_;
    if (index >= 0 && pkt->size > 0 && clock_)
      ready_.push_back(
          {core::SharedBuffer::copyOf(std::span<const uint8_t>(pkt->data, size_t(pkt->size))),
           clock_->output(index)});
    api_.av_packet_unref(pkt);
  }
}

bool AudioTranscoder::flush(std::string& error) {
  if (flushed_) return true;
  flushed_ = true;
  bool ok = true;
  std::string why;
  auto fail = [&](std::string reason) {
    if (ok) error = std::move(reason);
    ok = false;
  };
  int rc = api_.avcodec_send_packet(decoder_.get(), nullptr);
  if (rc < 0 && rc != AVERROR_EOF) fail(fmt::format("{}: flush: {}", name_, av::averror(api_, rc)));
  if (!drainDecoder(why)) fail(why);
  if (resampler_ && (!resampler_->flush(why) || !drainResampler(why))) fail(name_ + ": " + why);
  rc = api_.avcodec_send_frame(encoder_.get(), nullptr);
  if (rc < 0 && rc != AVERROR_EOF)
    fail(fmt::format("{}: {} encoder: flush: {}", name_, core::codecName(output_),
                     av::averror(api_, rc)));
  if (!drainEncoder(why)) fail(why);
  return ok;
}

AudioTranscoder::Result AudioTranscoder::receive(EncodedAudio& out, std::string& /*error*/) {
  if (ready_.empty()) return flushed_ ? Result::End : Result::Again;
  out = std::move(ready_.front());
  ready_.pop_front();
  return Result::Frame;
}

}  // namespace mixer
