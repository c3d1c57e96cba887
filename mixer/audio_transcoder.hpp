// mixer::AudioTranscoder: a source's audio (AAC, MP3 or Opus) decoded once, converted
// by an AudioResampler and encoded to AAC-LC (libavcodec "aac": the rungs, the AAC
// variant of a WHIP stream) or to Opus (libavcodec "libopus": the Opus variant WHEP
// plays). Owned and used by one thread (an audio worker); never throws, never
// crashes on corrupt input.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "av/av_ptr.hpp"
#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"
#include "mixer/audio_clock.hpp"
#include "mixer/audio_resampler.hpp"
#include "mixer/codec_result.hpp"
#include "mixer/encoded_audio.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace av {
struct FilterApi;
}

namespace mixer {

class AudioTranscoder {
 public:
  using Result = CodecResult;

  static constexpr int kFrameSamples = 1024;     // one AAC-LC frame
  static constexpr int kOpusFrameSamples = 960;  // 20 ms at 48 kHz
  static constexpr int kOpusRate = 48000;
  static constexpr int kMinKbps = 8;
  static constexpr int kMaxKbps = 512;

  // Decodes `codec` (AAC, `config` = its AudioSpecificConfig; MP3 or Opus (48 kHz,
  // as RTP carries it), `config` empty) and encodes `output`:
  // - AAC: AAC-LC at `kbps` (8..512), fltp, mono for a mono AAC source, stereo
  //   otherwise. Output rate: `sampleRate` if > 0 (a rate the encoder takes), else
  //   the AAC source's rate, else (MP3: unknown before its first frame; Opus) 48 kHz.
  // - Opus: 48 kHz stereo, frames of 960 samples (20 ms), at `kbps` (8..512).
  // nullptr with `error` naming the reason ("cannot decode h264 audio", "this
  // FFmpeg has no libopus encoder"). `api` outlives it.
  static std::unique_ptr<AudioTranscoder> open(const av::FilterApi& api, core::Codec codec,
                                               std::span<const uint8_t> config, int kbps,
                                               std::string& error, int sampleRate = 0,
                                               core::Codec output = core::Codec::AAC);
  ~AudioTranscoder();
  AudioTranscoder(const AudioTranscoder&) = delete;
  AudioTranscoder& operator=(const AudioTranscoder&) = delete;

  // The AAC encoder's AudioSpecificConfig: the rungs' AAC config packet. Empty for
  // Opus (RTP carries none; the hub's Opus has no config packet).
  const std::vector<uint8_t>& audioSpecificConfig() const { return asc_; }
  core::Codec outputCodec() const { return output_; }
  // Samples per encoded frame: 1024 (AAC), 960 (Opus).
  int frameSamples() const { return frameSamples_; }
  int sampleRate() const { return outRate_; }
  int channels() const { return outChannels_; }

  // One source frame (a raw AAC frame or MP3 frames, copied) at `pts` ms: decoded,
  // converted and encoded at once; what came out waits for receive(). false with
  // `error` when it is refused (corrupt, empty, a change of rate or channels, after
  // flush()): the caller counts it and goes on with the next frame.
  bool send(const core::SharedBuffer& frame, int64_t pts, std::string& error);
  // The next encoded frame: its pts in ms follows the input's pts plus sample counts
  // (1024 samples at 48 kHz: 21 or 22 ms; Opus: 20 ms; never drifting), strictly
  // increasing.
  // Again: nothing before the next send(); End: all given out after flush().
  Result receive(EncodedAudio& out, std::string& error);
  // EOF: what the decoder, resampler and encoder hold comes out, then End.
  bool flush(std::string& error);

  // Input frames whose pts jumped away from their samples' (a gap, a lost frame).
  int64_t resyncs() const { return clock_ ? clock_->resyncs() : 0; }

 private:
  explicit AudioTranscoder(const av::FilterApi& api);
  bool openDecoder(core::Codec codec, std::span<const uint8_t> config, std::string& error);
  bool openEncoder(int kbps, int sampleRate, std::string& error);
  bool openOpusEncoder(int kbps, std::string& error);
  bool drainDecoder(std::string& error);
  bool convert(AVFrame* decoded, std::string& error);
  bool drainResampler(std::string& error);
  bool encode(AVFrame* frame, std::string& error);
  bool drainEncoder(std::string& error);

  const av::FilterApi& api_;
  std::string name_;  // "aac audio", "mp3 audio": in every error
  core::Codec output_ = core::Codec::AAC;
  int frameSamples_ = kFrameSamples;
  int64_t primingSamples_ = 0;  // Opus: the encoder's pre-skip, added back to its pts
  av::CodecContextPtr decoder_;
  av::CodecContextPtr encoder_;
  av::PacketPtr packet_;  // reused for the decoder's input and the encoder's output
  av::FramePtr decoded_;
  av::FramePtr converted_;
  std::unique_ptr<AudioResampler> resampler_;  // built on the first decoded frame
  std::optional<AudioClock> clock_;            // idem
  std::vector<uint8_t> asc_;
  int sourceRate_ = 0;      // from the AudioSpecificConfig; 0 = unknown (MP3)
  int sourceChannels_ = 0;  // idem; 0 = unknown or in a program_config_element
  int outRate_ = 0;
  int outChannels_ = 0;
  int64_t samplesOut_ = 0;  // samples given to the encoder (its pts)
  std::deque<EncodedAudio> ready_;
  bool flushed_ = false;
};

}  // namespace mixer
