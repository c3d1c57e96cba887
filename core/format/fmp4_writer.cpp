#include "core/format/fmp4_writer.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "core/buffer/byte_io.hpp"
#include "core/format/aac_config.hpp"
#include "core/format/avc_config.hpp"
#include "core/format/mp4_boxes.hpp"

namespace core {
namespace {

// What the moov needs to know about one track, resolved from its config.
struct TrackInfo {
  uint32_t timescale = 0;
  int width = 0, height = 0;         // video
  int sampleRate = 0, channels = 0;  // audio
};

constexpr std::array<uint32_t, 9> kUnityMatrix = {0x00010000, 0, 0, 0,         0x00010000,
                                                  0,          0, 0, 0x40000000};
// The ASC can carry any 24-bit rate; real AAC stops at 96 kHz. Bounds the timescale.
constexpr int kMaxAudioRate = 384000;
constexpr uint16_t kLanguageUnd = 0x55C4;             // 'und' packed as three 5-bit letters
constexpr uint32_t kSyncSampleFlags = 0x02000000;     // sample_depends_on = 2 (no other)
constexpr uint32_t kNonSyncSampleFlags = 0x01010000;  // depends_on = 1, is_non_sync
constexpr uint32_t kTfhdDefaultBaseIsMoof = 0x020000;
// trun flags: data-offset, sample duration, size, flags, composition time offset.
constexpr uint32_t kTrunFlags = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;

void setError(std::string* error, std::string text) {
  if (error) *error = std::move(text);
}

std::optional<TrackInfo> resolveTrack(const Fmp4Track& track, std::string* error) {
  TrackInfo info;
  std::string reason;
  if (track.kind == MediaKind::Video && track.codec == Codec::H264) {
    auto avc = parseAvcDecoderConfig(track.config.span(), &reason);
    if (!avc) {
      setError(error, "fmp4: H.264 track: " + reason);
      return std::nullopt;
    }
    if (avc->width <= 0 || avc->height <= 0 || avc->width > 0xFFFF || avc->height > 0xFFFF) {
      setError(error, "fmp4: H.264 track: picture size out of range");
      return std::nullopt;
    }
    info.timescale = kFmp4VideoTimescale;
    info.width = avc->width;
    info.height = avc->height;
    return info;
  }
  if (track.kind == MediaKind::Audio && track.codec == Codec::AAC) {
    auto aac = parseAudioSpecificConfig(track.config.span(), &reason);
    if (!aac) {
      setError(error, "fmp4: AAC track: " + reason);
      return std::nullopt;
    }
    if (aac->sampleRate <= 0 || aac->sampleRate > kMaxAudioRate) {
      setError(error,
               "fmp4: AAC track: sample rate " + std::to_string(aac->sampleRate) + " out of range");
      return std::nullopt;
    }
    info.timescale = static_cast<uint32_t>(aac->sampleRate);
    info.sampleRate = aac->sampleRate;
    // NOTE: channels 0 means a program_config_element defines them; the decoder reads
    // the ASC anyway, the sample entry field is informative (14496-14 3.1.2).
    info.channels = aac->channels > 0 ? aac->channels : 2;
    return info;
  }
  setError(error, "fmp4: unsupported codec/kind for a track (only H.264 video and AAC audio)");
  return std::nullopt;
}

void writeZeros(ByteWriter& w, size_t n) {
  for (size_t i = 0; i < n; ++i) w.u8(0);
}

void writeMatrix(ByteWriter& w) {
  for (uint32_t v : kUnityMatrix) w.u32(v);
}

void writeFtyp(ByteWriter& w) {
  Mp4Box ftyp(w, "ftyp");
  writeFourCc(w, "iso6");
  w.u32(0);  // minor_version
  writeFourCc(w, "iso6");
  writeFourCc(w, "cmfc");
  writeFourCc(w, "mp41");
  writeFourCc(w, "dash");
}

void writeMvhd(ByteWriter& w, uint32_t nextTrackId) {
  Mp4Box mvhd(w, "mvhd", 0, 0);
  w.u32(0);           // creation_time
  w.u32(0);           // modification_time
  w.u32(1000);        // timescale
  w.u32(0);           // duration: unknown, fragments follow
  w.u32(0x00010000);  // rate 1.0
  w.u16(0x0100);      // volume 1.0
  writeZeros(w, 2 + 8);
  writeMatrix(w);
  writeZeros(w, 6 * 4);  // pre_defined
  w.u32(nextTrackId);
}

void writeTkhd(ByteWriter& w, const Fmp4Track& track, const TrackInfo& info, uint32_t trackId) {
  Mp4Box tkhd(w, "tkhd", 0, 0x000003);  // enabled | in_movie
  w.u32(0);                             // creation_time
  w.u32(0);                             // modification_time
  w.u32(trackId);
  w.u32(0);  // reserved
  w.u32(0);  // duration
  writeZeros(w, 8);
  w.u16(0);  // layer
  w.u16(0);  // alternate_group
  w.u16(track.kind == MediaKind::Audio ? 0x0100 : 0);
  w.u16(0);
  writeMatrix(w);
  w.u32(static_cast<uint32_t>(info.width) << 16);  // 16.16 fixed point
  w.u32(static_cast<uint32_t>(info.height) << 16);
}

void writeMdhdHdlr(ByteWriter& w, const Fmp4Track& track, const TrackInfo& info) {
  {
    Mp4Box mdhd(w, "mdhd", 0, 0);
    w.u32(0);
    w.u32(0);
    w.u32(info.timescale);
    w.u32(0);
    w.u16(kLanguageUnd);
    w.u16(0);
  }
  Mp4Box hdlr(w, "hdlr", 0, 0);
  w.u32(0);  // pre_defined
  const bool video = track.kind == MediaKind::Video;
  if (video) {
    writeFourCc(w, "vide");
  } else {
    writeFourCc(w, "soun");
  }
  writeZeros(w, 12);
  w.string(video ? "VideoHandler" : "SoundHandler");
  w.u8(0);
}

void writeAvc1(ByteWriter& w, const Fmp4Track& track, const TrackInfo& info) {
  Mp4Box avc1(w, "avc1");
  writeZeros(w, 6);
  w.u16(1);  // data_reference_index
  writeZeros(w, 2 + 2 + 12);
  w.u16(static_cast<uint16_t>(info.width));
  w.u16(static_cast<uint16_t>(info.height));
  w.u32(0x00480000);  // 72 dpi
  w.u32(0x00480000);
  w.u32(0);
  w.u16(1);           // frame_count
  writeZeros(w, 32);  // compressorname
  w.u16(0x0018);      // depth
  w.u16(0xFFFF);      // pre_defined = -1
  Mp4Box avcC(w, "avcC");
  w.bytes(track.config.span());
}

// Bytes of an MPEG-4 descriptor size field (14496-1 8.3.3): 7 bits per byte.
size_t descriptorLengthBytes(size_t length) {
  size_t groups = 1;
  while (groups < 4 && (length >> (7 * groups)) != 0) ++groups;
  return groups;
}

size_t descriptorSize(size_t payload) {
  return 1 + descriptorLengthBytes(payload) + payload;
}

void writeDescriptorHeader(ByteWriter& w, uint8_t tag, size_t length) {
  w.u8(tag);
  for (size_t i = descriptorLengthBytes(length); i-- > 0;) {
    w.u8(static_cast<uint8_t>(((length >> (7 * i)) & 0x7F) | (i > 0 ? 0x80 : 0)));
  }
}

void writeEsds(ByteWriter& w, std::span<const uint8_t> asc) {
  Mp4Box esds(w, "esds", 0, 0);
  const size_t decConfig = 13 + descriptorSize(asc.size());
  const size_t esPayload = 3 + descriptorSize(decConfig) + descriptorSize(1);
  writeDescriptorHeader(w, 0x03, esPayload);   // ES_Descriptor
  w.u16(0);                                    // ES_ID: 0 inside an MP4 file (14496-14 3.1.2)
  w.u8(0);                                     // no stream dependence, URL or OCR stream
  writeDescriptorHeader(w, 0x04, decConfig);   // DecoderConfigDescriptor
  w.u8(0x40);                                  // objectTypeIndication: MPEG-4 Audio
  w.u8((0x05 << 2) | 0x01);                    // streamType audio, upStream 0, reserved 1
  w.u24(0);                                    // bufferSizeDB
  w.u32(0);                                    // maxBitrate
  w.u32(0);                                    // avgBitrate
  writeDescriptorHeader(w, 0x05, asc.size());  // DecoderSpecificInfo
  w.bytes(asc);
  writeDescriptorHeader(w, 0x06, 1);  // SLConfigDescriptor
  w.u8(0x02);                         // predefined: MP4 file
}

void writeMp4a(ByteWriter& w, const Fmp4Track& track, const TrackInfo& info) {
  Mp4Box mp4a(w, "mp4a");
  writeZeros(w, 6);
  w.u16(1);  // data_reference_index
  writeZeros(w, 8);
  w.u16(static_cast<uint16_t>(info.channels));
  w.u16(16);  // samplesize
  w.u32(0);   // pre_defined + reserved
  // NOTE: samplerate is 16.16 fixed point; 88.2/96 kHz do not fit, so 0 there. The
  // timescale (mdhd) and the ASC carry the real rate.
  w.u32(info.sampleRate <= 0xFFFF ? static_cast<uint32_t>(info.sampleRate) << 16 : 0);
  writeEsds(w, track.config.span());
}

void writeEmptyTable(ByteWriter& w, const char (&type)[5]) {
  Mp4Box box(w, type, 0, 0);
  w.u32(0);  // entry_count
}

void writeStbl(ByteWriter& w, const Fmp4Track& track, const TrackInfo& info) {
  Mp4Box stbl(w, "stbl");
  {
    Mp4Box stsd(w, "stsd", 0, 0);
    w.u32(1);
    if (track.kind == MediaKind::Video) {
      writeAvc1(w, track, info);
    } else {
      writeMp4a(w, track, info);
    }
  }
  // Samples live in the fragments: the sample tables are empty.
  writeEmptyTable(w, "stts");
  writeEmptyTable(w, "stsc");
  {
    Mp4Box stsz(w, "stsz", 0, 0);
    w.u32(0);  // sample_size
    w.u32(0);  // sample_count
  }
  writeEmptyTable(w, "stco");
}

void writeTrak(ByteWriter& w, const Fmp4Track& track, const TrackInfo& info, uint32_t trackId) {
  Mp4Box trak(w, "trak");
  writeTkhd(w, track, info, trackId);
  Mp4Box mdia(w, "mdia");
  writeMdhdHdlr(w, track, info);
  Mp4Box minf(w, "minf");
  if (track.kind == MediaKind::Video) {
    Mp4Box vmhd(w, "vmhd", 0, 1);
    writeZeros(w, 8);  // graphicsmode + opcolor
  } else {
    Mp4Box smhd(w, "smhd", 0, 0);
    writeZeros(w, 4);  // balance + reserved
  }
  {
    Mp4Box dinf(w, "dinf");
    Mp4Box dref(w, "dref", 0, 0);
    w.u32(1);
    Mp4Box url(w, "url ", 0, 1);  // media is in the same file
  }
  writeStbl(w, track, info);
}

}  // namespace

uint32_t fmp4Timescale(const Fmp4Track& track) {
  auto info = resolveTrack(track, nullptr);
  return info ? info->timescale : 0;
}

std::optional<std::vector<uint8_t>> buildFmp4Init(std::span<const Fmp4Track> tracks,
                                                  std::string* error) {
  if (tracks.empty()) {
    setError(error, "fmp4: no tracks");
    return std::nullopt;
  }
  std::vector<TrackInfo> infos;
  for (size_t i = 0; i < tracks.size(); ++i) {
    auto info = resolveTrack(tracks[i], error);
    if (!info) {
      if (error) *error += " (track " + std::to_string(i + 1) + ")";
      return std::nullopt;
    }
    infos.push_back(*info);
  }
  ByteWriter w(1024);
  writeFtyp(w);
  {
    Mp4Box moov(w, "moov");
    writeMvhd(w, static_cast<uint32_t>(tracks.size() + 1));
    for (size_t i = 0; i < tracks.size(); ++i) {
      writeTrak(w, tracks[i], infos[i], static_cast<uint32_t>(i + 1));
    }
    Mp4Box mvex(w, "mvex");
    for (size_t i = 0; i < tracks.size(); ++i) {
      Mp4Box trex(w, "trex", 0, 0);
      w.u32(static_cast<uint32_t>(i + 1));
      w.u32(1);  // default_sample_description_index
      w.u32(0);  // default_sample_duration
      w.u32(0);  // default_sample_size
      w.u32(0);  // default_sample_flags
    }
  }
  return w.take();
}

namespace {

// NOTE: |ms| <= 1e13 (~317 years) times a timescale <= kMaxAudioRate stays inside
// int64; larger values are rejected as hostile rather than wrapped.
constexpr int64_t kMaxAbsMs = 10'000'000'000'000;
// Keeps every trun data_offset (signed 32 bits) and the mdat size (32 bits) in range.
constexpr uint64_t kMaxMdatPayload = 1u << 30;

// ms -> timescale units, rounded half away from zero. Each timeline point is rounded
// on its own, so differences of rounded points sum without drift.
int64_t msToUnits(int64_t ms, uint32_t timescale) {
  const int64_t n = ms * static_cast<int64_t>(timescale);
  return n >= 0 ? (n + 500) / 1000 : -((-n + 500) / 1000);
}

struct TrafPlan {
  uint32_t trackId = 0;
  bool audio = false;
  const std::vector<Fmp4Sample>* samples = nullptr;
  uint64_t baseDecodeTime = 0;
  std::vector<uint32_t> durations;
  std::vector<int32_t> compositionOffsets;
  uint64_t mdatOffset = 0;  // of this track's first byte inside the mdat payload
  uint64_t bytes = 0;
  size_t dataOffsetPos = 0;  // where the trun data_offset field was written
};

// Checks one track's samples and computes its durations and composition offsets.
bool planTrack(const std::vector<Fmp4Sample>& samples, uint32_t timescale, TrafPlan& plan,
               std::string* error) {
  const std::string where = "fmp4: track " + std::to_string(plan.trackId) + ": ";
  for (size_t i = 0; i < samples.size(); ++i) {
    const Fmp4Sample& s = samples[i];
    const std::string sample = where + "sample " + std::to_string(i) + ": ";
    if (s.dtsMs < 0 || s.dtsMs > kMaxAbsMs || s.ptsMs < -kMaxAbsMs || s.ptsMs > kMaxAbsMs ||
        s.durationMs < 0 || s.durationMs > kMaxAbsMs) {
      setError(error, sample + "negative or out-of-range dts/pts/duration");
      return false;
    }
    const int64_t endMs = i + 1 < samples.size() ? samples[i + 1].dtsMs : s.dtsMs + s.durationMs;
    if (endMs < s.dtsMs) {
      setError(error, sample + "dts decreases");
      return false;
    }
    const int64_t duration = msToUnits(endMs, timescale) - msToUnits(s.dtsMs, timescale);
    const int64_t offset = msToUnits(s.ptsMs, timescale) - msToUnits(s.dtsMs, timescale);
    if (duration > std::numeric_limits<uint32_t>::max() ||
        offset < std::numeric_limits<int32_t>::min() ||
        offset > std::numeric_limits<int32_t>::max()) {
      setError(error, sample + "duration or composition offset too large");
      return false;
    }
    plan.durations.push_back(static_cast<uint32_t>(duration));
    plan.compositionOffsets.push_back(static_cast<int32_t>(offset));
    plan.bytes += s.data.size();
  }
  plan.baseDecodeTime = static_cast<uint64_t>(msToUnits(samples.front().dtsMs, timescale));
  return true;
}

void writeTraf(ByteWriter& w, TrafPlan& plan) {
  Mp4Box traf(w, "traf");
  {
    Mp4Box tfhd(w, "tfhd", 0, kTfhdDefaultBaseIsMoof);
    w.u32(plan.trackId);
  }
  {
    Mp4Box tfdt(w, "tfdt", 1, 0);
    w.u64(plan.baseDecodeTime);
  }
  Mp4Box trun(w, "trun", 1, kTrunFlags);  // version 1: signed composition offsets
  const auto& samples = *plan.samples;
  w.u32(static_cast<uint32_t>(samples.size()));
  plan.dataOffsetPos = w.size();
  w.u32(0);  // data_offset, patched once the moof size is known
  for (size_t i = 0; i < samples.size(); ++i) {
    const bool sync = plan.audio || samples[i].keyframe;
    w.u32(plan.durations[i]);
    w.u32(static_cast<uint32_t>(samples[i].data.size()));
    w.u32(sync ? kSyncSampleFlags : kNonSyncSampleFlags);
    w.u32(static_cast<uint32_t>(plan.compositionOffsets[i]));
  }
}

// One plan per non-empty track, in track order, with their mdat offsets.
bool planFragment(std::span<const Fmp4Track> tracks, const Fmp4Fragment& fragment,
                  std::vector<TrafPlan>& plans, std::string* error) {
  if (fragment.samplesPerTrack.size() != tracks.size()) {
    setError(error, "fmp4: fragment has " + std::to_string(fragment.samplesPerTrack.size()) +
                        " sample lists for " + std::to_string(tracks.size()) + " tracks");
    return false;
  }
  uint64_t mdatPayload = 0;
  for (size_t i = 0; i < tracks.size(); ++i) {
    const auto& samples = fragment.samplesPerTrack[i];
    if (samples.empty()) continue;
    TrafPlan plan;
    plan.trackId = static_cast<uint32_t>(i + 1);
    plan.audio = tracks[i].kind == MediaKind::Audio;
    plan.samples = &samples;
    const uint32_t timescale = fmp4Timescale(tracks[i]);
    if (timescale == 0) {
      setError(error,
               "fmp4: track " + std::to_string(i + 1) + ": unsupported codec or unreadable config");
      return false;
    }
    if (!planTrack(samples, timescale, plan, error)) return false;
    plan.mdatOffset = mdatPayload;
    mdatPayload += plan.bytes;
    if (mdatPayload > kMaxMdatPayload) {
      setError(error, "fmp4: fragment payload larger than 1 GiB");
      return false;
    }
    plans.push_back(std::move(plan));
  }
  if (plans.empty()) {
    setError(error, "fmp4: fragment has no samples");
    return false;
  }
  return true;
}

}  // namespace

std::vector<uint8_t> buildFmp4Fragment(std::span<const Fmp4Track> tracks,
                                       const Fmp4Fragment& fragment, std::string* error) {
  std::vector<TrafPlan> plans;
  if (!planFragment(tracks, fragment, plans, error)) return {};
  uint64_t payload = 0;
  for (const auto& plan : plans) payload += plan.bytes;
  ByteWriter w(static_cast<size_t>(payload) + 256 + 64 * plans.size());
  for (const auto& box : fragment.leadingBoxes) w.bytes(box);
  const size_t moofStart = w.size();
  {
    Mp4Box moof(w, "moof");
    {
      Mp4Box mfhd(w, "mfhd", 0, 0);
      w.u32(fragment.sequenceNumber);
    }
    for (auto& plan : plans) writeTraf(w, plan);
  }
  // NOTE: default-base-is-moof (14496-12 8.8.7.1): data_offset counts from the first
  // byte of the moof, so leading boxes (emsg) do not shift it.
  const uint64_t mdatPayloadStart = (w.size() - moofStart) + 8;
  for (const auto& plan : plans) {
    patchU32(w, plan.dataOffsetPos, static_cast<uint32_t>(mdatPayloadStart + plan.mdatOffset));
  }
  {
    Mp4Box mdat(w, "mdat");
    for (const auto& plan : plans) {
      for (const auto& sample : *plan.samples) w.bytes(sample.data.span());
    }
  }
  return w.take();
}

}  // namespace core
