#include "mixer/input_audio.hpp"

#include <cstring>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"
#include "av/send_packet.hpp"

namespace mixer {

namespace {
constexpr size_t kInputAudioMaxFrameBytes = 64 * 1024;  // far above any AAC frame
constexpr int kInputAudioFrame = 1024;
}  // namespace

InputAudio::InputAudio(const av::FilterApi& api, MixBus& bus, size_t input)
    : api_(api), bus_(bus), input_(input) {}

InputAudio::~InputAudio() = default;

std::unique_ptr<InputAudio> InputAudio::open(const av::FilterApi& api, std::span<const uint8_t> asc,
                                             MixBus& bus, size_t input, std::string& error) {
  std::unique_ptr<InputAudio> a(new InputAudio(api, bus, input));
  const AVCodec* dec = api.avcodec_find_decoder(AV_CODEC_ID_AAC);
  if (!dec) {
    error = "cannot open the AAC decoder: this FFmpeg has none";
    return nullptr;
  }
  a->decoder_ = av::makeCodecContext(api, dec);
  a->packet_ = av::makePacket(api);
  a->decoded_ = av::makeFrame(api);
  a->converted_ = av::makeFrame(api);
  if (!a->decoder_ || !a->packet_ || !a->decoded_ || !a->converted_ || asc.empty() ||
      asc.size() > 64) {
    error = asc.empty() || asc.size() > 64
                ? "an AudioSpecificConfig of " + std::to_string(asc.size()) + " bytes"
                : "out of memory";
    return nullptr;
  }
  auto* bytes = static_cast<uint8_t*>(api.av_mallocz(asc.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!bytes) {
    error = "out of memory";
    return nullptr;
  }
  std::memcpy(bytes, asc.data(), asc.size());
  a->decoder_->extradata = bytes;  // freed by avcodec_free_context
  a->decoder_->extradata_size = static_cast<int>(asc.size());
  a->decoder_->thread_count = 1;
  if (int rc = api.avcodec_open2(a->decoder_.get(), dec, nullptr); rc < 0) {
    error = "cannot open the AAC decoder: " + av::averror(api, rc);
    return nullptr;
  }
  return a;
}

bool InputAudio::send(const core::SharedBuffer& frame, std::string& error) {
  if (frame.empty() || frame.size() > kInputAudioMaxFrameBytes) {
    error = "AAC: a " + std::to_string(frame.size()) + "-byte frame";
    return false;
  }
  int rc = av::sendPacketCopy(api_, decoder_.get(), packet_.get(), frame.span(), AV_NOPTS_VALUE,
                              AV_NOPTS_VALUE);
  if (rc < 0) {
    error = "AAC: " + av::averror(api_, rc);
    return false;
  }
  while (true) {
    rc = api_.avcodec_receive_frame(decoder_.get(), decoded_.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
    if (rc < 0) {
      error = "AAC: " + av::averror(api_, rc);
      return false;
    }
    const bool ok = convert(decoded_.get(), error);
    api_.av_frame_unref(decoded_.get());
    if (!ok) return false;
  }
}

bool InputAudio::convert(AVFrame* decoded, std::string& error) {
  if (!resampler_) {
    resampler_ = AudioResampler::build(api_, *decoded, MixBus::kRate, 2, kInputAudioFrame, error);
    if (!resampler_) return false;
  }
  if (!resampler_->push(decoded, error)) return false;
  while (true) {
    const CodecResult r = resampler_->pull(converted_.get(), error);
    if (r == CodecResult::Failed) return false;
    if (r != CodecResult::Frame) return true;
    // fltp stereo: plane 0 left, plane 1 right.
    bus_.write(input_, reinterpret_cast<const float*>(converted_->data[0]),
               reinterpret_cast<const float*>(converted_->data[1]),
               static_cast<size_t>(converted_->nb_samples));
  }
}

}  // namespace mixer
