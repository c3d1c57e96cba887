// Fragmented MP4 (CMAF) writer: the init segment (ftyp + moov) and moof + mdat
// fragments for H.264 (avc1) and AAC (mp4a) tracks, plus the DASH 'emsg' box. Used by
// LL-HLS parts and crash-safe recording. Pure code, no I/O; usable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"

namespace core {

inline constexpr uint32_t kFmp4VideoTimescale = 90000;

// One track of the presentation. `config` is the config packet payload: the
// AVCDecoderConfigurationRecord (H.264) or the AudioSpecificConfig (AAC).
struct Fmp4Track {
  MediaKind kind = MediaKind::Video;
  Codec codec = Codec::Unknown;
  SharedBuffer config;
};

// One access unit. `data` is the hub's canonical payload: AVCC length-prefixed NAL
// units (the nal length size must match the track's avcC) or one raw AAC frame.
struct Fmp4Sample {
  int64_t dtsMs = 0;  // >= 0, non-decreasing within a track
  int64_t ptsMs = 0;
  int64_t durationMs = 0;  // used for the last sample of a track in a fragment
  bool keyframe = false;   // ignored for audio: every audio sample is a sync sample
  SharedBuffer data;
};

struct Fmp4Fragment {
  uint32_t sequenceNumber = 1;
  // Same order as the init segment's tracks; a track may have no samples.
  std::vector<std::vector<Fmp4Sample>> samplesPerTrack;
  // Complete boxes (e.g. buildEmsgV1 of timed_metadata.hpp) written before the moof, concatenated
  // as is.
  std::vector<std::vector<uint8_t>> leadingBoxes;
};

// The media timescale of a track: 90000 for video, the AAC output sample rate for
// audio. 0 if the codec is unsupported or the config unreadable.
uint32_t fmp4Timescale(const Fmp4Track& track);

// ftyp (major 'iso6'; compatible iso6, cmfc, mp41, dash) + moov (mvhd, one trak per
// track with track ids 1..n in the given order, mvex/trex). Put the video track
// first. Nullopt with a reason in `error` (when given) for no tracks, an unsupported
// codec or kind, or an unreadable config.
std::optional<std::vector<uint8_t>> buildFmp4Init(std::span<const Fmp4Track> tracks,
                                                  std::string* error = nullptr);

// leadingBoxes + moof (mfhd; per non-empty track a traf with tfhd default-base-is-moof,
// tfdt v1, trun v1 with data offset, duration, size, flags, signed composition
// offset) + one mdat holding the samples in traf order. A sample's duration runs to
// the next sample's dts (the last one uses its durationMs), each end point rounded to
// the timescale on its own, so durations never drift from the dts timeline.
// Empty with a reason in `error` (when given) if the fragment does not match the
// tracks, has no sample, has a negative or decreasing dts, a negative duration, or is
// too large for 32-bit offsets.
std::vector<uint8_t> buildFmp4Fragment(std::span<const Fmp4Track> tracks,
                                       const Fmp4Fragment& fragment, std::string* error = nullptr);

}  // namespace core
