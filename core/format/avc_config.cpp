#include "core/format/avc_config.hpp"

#include "core/buffer/bit_reader.hpp"
#include "core/buffer/byte_io.hpp"

namespace core {

namespace {

constexpr int kNalTypeSps = 7;
constexpr int kNalTypePps = 8;
constexpr int kExtendedSar = 255;
// NOTE: H.264 A.3 caps real streams far below this; the limit only keeps hostile
// Exp-Golomb values from overflowing the size arithmetic.
constexpr uint32_t kMaxMacroblocksPerSide = 1024;  // 16384 pixels

template <typename T>
std::optional<T> failWith(std::string* error, std::string reason) {
  if (error) *error = std::move(reason);
  return std::nullopt;
}

bool isHighProfileFamily(int profile) {
  switch (profile) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

// scaling_list() of 7.3.2.1.1.1: only consumed, never used.
void skipScalingList(BitReader& in, int size) {
  int lastScale = 8;
  int nextScale = 8;
  for (int j = 0; j < size && in.ok(); ++j) {
    if (nextScale != 0) {
      const int64_t delta = in.se();
      nextScale = static_cast<int>(((lastScale + delta) % 256 + 256) % 256);
    }
    lastScale = nextScale == 0 ? lastScale : nextScale;
  }
}

// chroma_format_idc .. seq_scaling_matrix of the high profiles. False on bad values.
bool readHighProfileFields(BitReader& in, AvcSps& sps, bool& separateColourPlane,
                           std::string& why) {
  const uint32_t chroma = in.ue();
  if (chroma > 3) {
    why = "chroma_format_idc " + std::to_string(chroma) + " out of range";
    return false;
  }
  sps.chromaFormat = static_cast<int>(chroma);
  if (chroma == 3) separateColourPlane = in.flag();
  const uint32_t depthLuma = in.ue();
  const uint32_t depthChroma = in.ue();
  if (depthLuma > 6 || depthChroma > 6) {
    why = "bit depth out of range";
    return false;
  }
  in.flag();        // qpprime_y_zero_transform_bypass_flag
  if (in.flag()) {  // seq_scaling_matrix_present_flag
    const int lists = chroma != 3 ? 8 : 12;
    for (int i = 0; i < lists && in.ok(); ++i) {
      if (in.flag()) skipScalingList(in, i < 6 ? 16 : 64);
    }
  }
  return true;
}

bool skipPicOrderCnt(BitReader& in, std::string& why) {
  const uint32_t type = in.ue();
  if (type == 0) {
    in.ue();  // log2_max_pic_order_cnt_lsb_minus4
  } else if (type == 1) {
    in.flag();  // delta_pic_order_always_zero_flag
    in.se();    // offset_for_non_ref_pic
    in.se();    // offset_for_top_to_bottom_field
    const uint32_t cycle = in.ue();
    if (cycle > 255) {
      why = "num_ref_frames_in_pic_order_cnt_cycle " + std::to_string(cycle) + " > 255";
      return false;
    }
    for (uint32_t i = 0; i < cycle && in.ok(); ++i) in.se();
  } else if (type > 2) {
    why = "pic_order_cnt_type " + std::to_string(type) + " out of range";
    return false;
  }
  return true;
}

// vui_parameters() of E.1.1 up to the timing info, the only part we need.
void readVuiTiming(BitReader& in, AvcSps& sps) {
  if (in.flag()) {                                // aspect_ratio_info_present_flag
    if (in.bits(8) == kExtendedSar) in.bits(32);  // sar_width, sar_height
  }
  if (in.flag()) in.flag();      // overscan_info_present -> overscan_appropriate
  if (in.flag()) {               // video_signal_type_present_flag
    in.bits(4);                  // video_format, video_full_range_flag
    if (in.flag()) in.bits(24);  // colour_primaries, transfer, matrix
  }
  if (in.flag()) {  // chroma_loc_info_present_flag
    in.ue();
    in.ue();
  }
  if (in.flag()) {  // timing_info_present_flag
    const uint32_t unitsInTick = in.bits(32);
    const uint32_t timeScale = in.bits(32);
    if (in.ok() && unitsInTick > 0) sps.fps = double(timeScale) / (2.0 * unitsInTick);
  }
}

// pic size, frame_mbs_only and cropping (7.4.2.1.1, CropUnitX/Y from Table 6-1).
bool readFrameSize(BitReader& in, AvcSps& sps, bool separateColourPlane, std::string& why) {
  const uint32_t widthMbs = in.ue() + 1u;  // ue() <= 2^32 - 2
  const uint32_t heightUnits = in.ue() + 1u;
  const bool frameMbsOnly = in.flag();
  if (!frameMbsOnly) in.flag();  // mb_adaptive_frame_field_flag
  in.flag();                     // direct_8x8_inference_flag
  if (!in.ok()) {
    why = "truncated before frame size";
    return false;
  }
  if (widthMbs > kMaxMacroblocksPerSide || heightUnits > kMaxMacroblocksPerSide) {
    why = "frame size out of range";
    return false;
  }
  const int64_t width = int64_t(widthMbs) * 16;
  const int64_t height = int64_t(heightUnits) * 16 * (frameMbsOnly ? 1 : 2);
  int64_t cropX = 0, cropY = 0;
  if (in.flag()) {  // frame_cropping_flag
    const int chromaArrayType = separateColourPlane ? 0 : sps.chromaFormat;
    const int unitX = chromaArrayType == 0 ? 1 : (sps.chromaFormat == 3 ? 1 : 2);
    const int subHeight = chromaArrayType == 1 ? 2 : 1;
    const int unitY = (chromaArrayType == 0 ? 1 : subHeight) * (frameMbsOnly ? 1 : 2);
    const int64_t left = in.ue(), right = in.ue(), top = in.ue(), bottom = in.ue();
    cropX = unitX * (left + right);
    cropY = unitY * (top + bottom);
  }
  if (!in.ok()) {
    why = "truncated in frame cropping";
    return false;
  }
  if (cropX >= width || cropY >= height) {
    why = "frame cropping larger than the picture";
    return false;
  }
  sps.width = static_cast<int>(width - cropX);
  sps.height = static_cast<int>(height - cropY);
  return true;
}

}  // namespace

std::vector<uint8_t> removeEmulationPrevention(std::span<const uint8_t> nal) {
  std::vector<uint8_t> out;
  out.reserve(nal.size());
  int zeros = 0;
  for (uint8_t b : nal) {
    if (zeros >= 2 && b == 0x03) {
      zeros = 0;
      continue;
    }
    zeros = b == 0 ? zeros + 1 : 0;
    out.push_back(b);
  }
  return out;
}

std::optional<AvcSps> parseAvcSps(std::span<const uint8_t> nal, std::string* error) {
  if (nal.size() < 4)
    return failWith<AvcSps>(error, "SPS too short: " + std::to_string(nal.size()) + " bytes");
  if ((nal[0] & 0x1F) != kNalTypeSps) {
    return failWith<AvcSps>(error, "NAL type " + std::to_string(nal[0] & 0x1F) + " is not an SPS");
  }
  const std::vector<uint8_t> rbsp = removeEmulationPrevention(nal.subspan(1));
  BitReader in(rbsp);
  AvcSps sps;
  sps.profile = static_cast<int>(in.bits(8));
  sps.constraintFlags = static_cast<int>(in.bits(8));
  sps.level = static_cast<int>(in.bits(8));
  if (in.ue() > 31) return failWith<AvcSps>(error, "seq_parameter_set_id > 31");
  std::string why;
  bool separateColourPlane = false;
  if (isHighProfileFamily(sps.profile) &&
      !readHighProfileFields(in, sps, separateColourPlane, why)) {
    return failWith<AvcSps>(error, "SPS: " + why);
  }
  if (in.ue() > 12) return failWith<AvcSps>(error, "SPS: log2_max_frame_num_minus4 > 12");
  if (!skipPicOrderCnt(in, why)) return failWith<AvcSps>(error, "SPS: " + why);
  in.ue();    // max_num_ref_frames
  in.flag();  // gaps_in_frame_num_value_allowed_flag
  if (!readFrameSize(in, sps, separateColourPlane, why)) {
    return failWith<AvcSps>(error, "SPS: " + why);
  }
  if (in.flag()) readVuiTiming(in, sps);  // vui_parameters_present_flag
  // NOTE: a VUI cut short after the size is tolerated: the size is what matters and
  // some encoders emit truncated VUI; the fps is only set when its fields were read.
  return sps;
}

std::optional<AvcInfo> parseAvcDecoderConfig(std::span<const uint8_t> record, std::string* error) {
  ByteReader in(record);
  const uint8_t version = in.u8();
  in.skip(3);  // profile, compatibility, level: taken from the SPS instead
  const uint8_t lengthByte = in.u8();
  const uint8_t spsCount = in.u8() & 0x1F;
  if (!in.ok()) return failWith<AvcInfo>(error, "avcC: truncated header");
  if (version != 1) {
    return failWith<AvcInfo>(error, "avcC: configurationVersion " + std::to_string(version));
  }
  AvcInfo info;
  info.nalLengthSize = (lengthByte & 0x03) + 1;
  if (info.nalLengthSize == 3) return failWith<AvcInfo>(error, "avcC: NAL length size 3");
  if (spsCount == 0) return failWith<AvcInfo>(error, "avcC: no SPS");
  auto readUnits = [&](size_t count, int type, std::vector<std::vector<uint8_t>>& out) {
    for (size_t i = 0; i < count; ++i) {
      const uint16_t length = in.u16();
      auto unit = in.bytes(length);
      if (!in.ok() || length == 0 || (unit[0] & 0x1F) != type) return false;
      out.emplace_back(unit.begin(), unit.end());
    }
    return true;
  };
  if (!readUnits(spsCount, kNalTypeSps, info.sps)) {
    return failWith<AvcInfo>(error, "avcC: truncated or invalid SPS entry");
  }
  const uint8_t ppsCount = in.u8();
  if (!in.ok() || !readUnits(ppsCount, kNalTypePps, info.pps)) {
    return failWith<AvcInfo>(error, "avcC: truncated or invalid PPS entry");
  }
  // Trailing high-profile fields (chroma_format etc.) repeat the SPS: not needed.
  std::string why;
  auto sps = parseAvcSps(info.sps.front(), &why);
  if (!sps) return failWith<AvcInfo>(error, "avcC: " + why);
  info.profile = sps->profile;
  info.level = sps->level;
  info.width = sps->width;
  info.height = sps->height;
  info.fps = sps->fps;
  return info;
}

int avcNalLengthSize(std::span<const uint8_t> record) {
  if (record.size() < 5 || record[0] != 1) return 0;
  const int size = (record[4] & 0x03) + 1;
  return size == 3 ? 0 : size;
}

std::vector<uint8_t> makeAvcDecoderConfig(const std::vector<std::vector<uint8_t>>& sps,
                                          const std::vector<std::vector<uint8_t>>& pps,
                                          int nalLengthSize) {
  if (sps.empty() || sps.size() > 31 || pps.size() > 255 || sps.front().size() < 4) return {};
  if (nalLengthSize != 1 && nalLengthSize != 2 && nalLengthSize != 4) return {};
  ByteWriter out;
  out.u8(1);
  out.bytes(std::span(sps.front()).subspan(1, 3));  // profile, compatibility, level
  out.u8(static_cast<uint8_t>(0xFC | (nalLengthSize - 1)));
  out.u8(static_cast<uint8_t>(0xE0 | sps.size()));
  auto writeUnits = [&](const std::vector<std::vector<uint8_t>>& units) {
    for (const auto& unit : units) {
      if (unit.size() > 0xFFFF) return false;
      out.u16(static_cast<uint16_t>(unit.size()));
      out.bytes(unit);
    }
    return true;
  };
  if (!writeUnits(sps)) return {};
  out.u8(static_cast<uint8_t>(pps.size()));
  if (!writeUnits(pps)) return {};
  return out.take();
}

std::string avcProfileName(int profile) {
  switch (profile) {
    case 66:
      return "Baseline";
    case 77:
      return "Main";
    case 88:
      return "Extended";
    case 100:
      return "High";
    case 110:
      return "High 10";
    case 122:
      return "High 4:2:2";
    case 244:
      return "High 4:4:4 Predictive";
    case 44:
      return "CAVLC 4:4:4 Intra";
    case 83:
      return "Scalable Baseline";
    case 86:
      return "Scalable High";
    case 118:
      return "Multiview High";
    case 128:
      return "Stereo High";
    case 138:
      return "Multiview Depth High";
    default:
      return "Unknown";
  }
}

}  // namespace core
