#include "core/format/avc_config.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

using Bytes = std::vector<uint8_t>;

namespace {

// Produced by: ffmpeg -f lavfi -i testsrc=size=WxH:rate=R -pix_fmt yuv420p -c:v libx264
//   -profile:v P -frames:v 1 -f h264 -   (SPS and PPS cut at the start codes)
const Bytes kSps720High30 = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05,
                             0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
                             0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60};
const Bytes kPps720High30 = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
const Bytes kSps1080High25 = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02,
                              0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
                              0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc6, 0x58};
const Bytes kPps1080High25 = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
const Bytes kSps240Baseline15 = {0x67, 0x42, 0xc0, 0x0c, 0xd9, 0x01, 0x41, 0xfb,
                                 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
                                 0x00, 0x03, 0x01, 0xe0, 0xf1, 0x42, 0xa4, 0x80};
const Bytes kPps240Baseline15 = {0x68, 0xcb, 0x83, 0xcb, 0x20};
// -pix_fmt yuv444p -profile:v high444, 854x480 at 24000/1001.
const Bytes kSps480High444 = {0x67, 0xf4, 0x00, 0x1e, 0x91, 0x9b, 0x28, 0x1b, 0x07,
                              0xbc, 0x5f, 0x80, 0x88, 0x00, 0x00, 0x1f, 0x48, 0x00,
                              0x05, 0xdc, 0x00, 0x78, 0xb1, 0x6c, 0xb0};

// Writes SPS fields MSB first, then adds emulation prevention like an encoder would.
class SpsWriter {
 public:
  void bits(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) bits_.push_back((v >> i) & 1);
  }
  void ue(uint32_t v) {
    const uint64_t x = uint64_t(v) + 1;
    int len = 0;
    while ((x >> len) > 1) ++len;
    bits(0, len);
    bits(x, len + 1);
  }
  void se(int32_t v) { ue(v > 0 ? uint32_t(2 * v - 1) : uint32_t(-2 * int64_t(v))); }
  Bytes nal() {
    bits(1, 1);  // rbsp_stop_one_bit
    while (bits_.size() % 8) bits_.push_back(0);
    Bytes out = {0x67};
    int zeros = 0;
    for (size_t i = 0; i < bits_.size(); i += 8) {
      uint8_t b = 0;
      for (int j = 0; j < 8; ++j) b = uint8_t(b << 1 | bits_[i + j]);
      if (zeros >= 2 && b <= 3) {
        out.push_back(0x03);
        zeros = 0;
      }
      zeros = b == 0 ? zeros + 1 : 0;
      out.push_back(b);
    }
    return out;
  }

 private:
  std::vector<int> bits_;
};

void writeScalingList(SpsWriter& w, int size) {
  // Deltas that wander, including the wrap-around of (last + delta + 256) % 256.
  for (int j = 0; j < size; ++j) w.se(j % 3 == 0 ? 5 : (j % 3 == 1 ? -7 : 120));
}

// High (or 4:4:4) SPS with explicit scaling lists, VUI with extended SAR and timing.
Bytes syntheticSps(int profile, int chroma, bool frameMbsOnly) {
  SpsWriter w;
  w.bits(profile, 8);
  w.bits(0, 8);
  w.bits(40, 8);
  w.ue(0);       // sps id
  w.ue(chroma);  // chroma_format_idc
  if (chroma == 3) w.bits(0, 1);
  w.ue(0);
  w.ue(0);
  w.bits(0, 1);
  w.bits(1, 1);  // seq_scaling_matrix_present_flag
  const int lists = chroma == 3 ? 12 : 8;
  for (int i = 0; i < lists; ++i) {
    const bool present = i == 0 || i == 2 || i == 6 || i == 11;
    w.bits(present, 1);
    if (present && i == 2) {
      w.se(-8);  // nextScale 0: "use default", no more deltas
    } else if (present) {
      writeScalingList(w, i < 6 ? 16 : 64);
    }
  }
  w.ue(0);  // log2_max_frame_num_minus4
  w.ue(1);  // pic_order_cnt_type 1
  w.bits(0, 1);
  w.se(-3);
  w.se(2);
  w.ue(3);
  w.se(1);
  w.se(-1);
  w.se(7);
  w.ue(4);  // max_num_ref_frames
  w.bits(0, 1);
  w.ue(119);  // 1920
  if (frameMbsOnly) {
    w.ue(67);  // 1088
  } else {
    w.ue(33);  // 34 map units * 2 * 16 = 1088
  }
  w.bits(frameMbsOnly, 1);
  if (!frameMbsOnly) w.bits(1, 1);
  w.bits(1, 1);  // direct_8x8
  w.bits(1, 1);  // frame_cropping_flag
  w.ue(0);
  w.ue(0);
  w.ue(0);
  // 8 rows: 4:2:0 progressive unit 2 -> 4; 4:4:4 interlaced unit 2 -> 4.
  w.ue(4);
  w.bits(1, 1);  // vui_parameters_present_flag
  w.bits(1, 1);
  w.bits(255, 8);
  w.bits(4, 16);
  w.bits(3, 16);
  w.bits(1, 1);  // overscan present
  w.bits(0, 1);
  w.bits(1, 1);  // video signal type
  w.bits(5, 3);
  w.bits(0, 1);
  w.bits(1, 1);
  w.bits(0x010101, 24);
  w.bits(1, 1);  // chroma loc
  w.ue(0);
  w.ue(0);
  w.bits(1, 1);  // timing info
  w.bits(1001, 32);
  w.bits(60000, 32);
  w.bits(1, 1);
  w.bits(0, 4);  // nal/vcl hrd, pic_struct, bitstream_restriction flags
  return w.nal();
}

}  // namespace

BOOST_AUTO_TEST_CASE(ffmpeg_720p_high) {
  const Bytes record = core::makeAvcDecoderConfig({kSps720High30}, {kPps720High30});
  BOOST_REQUIRE(!record.empty());
  BOOST_CHECK(Bytes(record.begin(), record.begin() + 6) ==
              (Bytes{0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1}));
  std::string error;
  auto info = core::parseAvcDecoderConfig(record, &error);
  BOOST_REQUIRE_MESSAGE(info, error);
  BOOST_CHECK_EQUAL(info->profile, 100);
  BOOST_CHECK_EQUAL(core::avcProfileName(info->profile), "High");
  BOOST_CHECK_EQUAL(info->level, 31);
  BOOST_CHECK_EQUAL(info->width, 1280);
  BOOST_CHECK_EQUAL(info->height, 720);
  BOOST_CHECK_CLOSE(info->fps, 30.0, 0.001);
  BOOST_CHECK_EQUAL(info->nalLengthSize, 4);
  BOOST_REQUIRE_EQUAL(info->sps.size(), 1u);
  BOOST_CHECK(info->sps[0] == kSps720High30);
  BOOST_REQUIRE_EQUAL(info->pps.size(), 1u);
  BOOST_CHECK(info->pps[0] == kPps720High30);
}

BOOST_AUTO_TEST_CASE(ffmpeg_1080p_is_cropped) {
  auto info = core::parseAvcDecoderConfig(
      core::makeAvcDecoderConfig({kSps1080High25}, {kPps1080High25}, 2));
  BOOST_REQUIRE(info);
  BOOST_CHECK_EQUAL(info->width, 1920);
  BOOST_CHECK_EQUAL(info->height, 1080);  // 1088 coded, 8 rows cropped
  BOOST_CHECK_EQUAL(info->level, 40);
  BOOST_CHECK_CLOSE(info->fps, 25.0, 0.001);
  BOOST_CHECK_EQUAL(info->nalLengthSize, 2);
}

BOOST_AUTO_TEST_CASE(ffmpeg_240p_baseline) {
  auto info = core::parseAvcDecoderConfig(
      core::makeAvcDecoderConfig({kSps240Baseline15}, {kPps240Baseline15}));
  BOOST_REQUIRE(info);
  BOOST_CHECK_EQUAL(info->profile, 66);
  BOOST_CHECK_EQUAL(core::avcProfileName(info->profile), "Baseline");
  BOOST_CHECK_EQUAL(info->level, 12);
  BOOST_CHECK_EQUAL(info->width, 320);
  BOOST_CHECK_EQUAL(info->height, 240);
  BOOST_CHECK_CLOSE(info->fps, 15.0, 0.001);
}

BOOST_AUTO_TEST_CASE(ffmpeg_high444_sps) {
  auto sps = core::parseAvcSps(kSps480High444);
  BOOST_REQUIRE(sps);
  BOOST_CHECK_EQUAL(sps->profile, 244);
  BOOST_CHECK_EQUAL(sps->chromaFormat, 3);
  BOOST_CHECK_EQUAL(sps->width, 854);
  BOOST_CHECK_EQUAL(sps->height, 480);
  BOOST_CHECK_CLOSE(sps->fps, 24000.0 / 1001.0, 0.001);
}

BOOST_AUTO_TEST_CASE(scaling_lists_and_poc_type_1_are_skipped_correctly) {
  for (auto [profile, chroma, progressive] :
       {std::tuple{100, 1, true}, std::tuple{244, 3, false}, std::tuple{122, 2, true}}) {
    const Bytes nal = syntheticSps(profile, chroma, progressive);
    std::string error;
    auto sps = core::parseAvcSps(nal, &error);
    BOOST_REQUIRE_MESSAGE(sps, error);
    BOOST_CHECK_EQUAL(sps->profile, profile);
    BOOST_CHECK_EQUAL(sps->chromaFormat, chroma);
    BOOST_CHECK_EQUAL(sps->width, 1920);
    // 4:2:2 crops in units of 1 row per bottom offset (SubHeightC = 1).
    BOOST_CHECK_EQUAL(sps->height, chroma == 2 ? 1084 : 1080);
    BOOST_CHECK_CLOSE(sps->fps, 60000.0 / 2002.0, 0.001);
  }
}

BOOST_AUTO_TEST_CASE(emulation_prevention_removed) {
  BOOST_CHECK(core::removeEmulationPrevention(Bytes{0, 0, 3, 1, 0, 0, 3, 0, 0, 3}) ==
              (Bytes{0, 0, 1, 0, 0, 0, 0}));
  BOOST_CHECK(core::removeEmulationPrevention(Bytes{0, 3, 0, 0, 0, 3}) == (Bytes{0, 3, 0, 0, 0}));
}

BOOST_AUTO_TEST_CASE(malformed_records_rejected) {
  const Bytes good = core::makeAvcDecoderConfig({kSps720High30}, {kPps720High30});
  for (size_t cut = 0; cut < good.size(); ++cut) {
    std::string error;
    auto info = core::parseAvcDecoderConfig(std::span(good.data(), cut), &error);
    BOOST_CHECK_MESSAGE(!info, "accepted a record cut at " << cut);
    BOOST_CHECK(!error.empty());
  }
  auto withError = [](Bytes record) {
    std::string error;
    BOOST_CHECK(!core::parseAvcDecoderConfig(record, &error));
    return error;
  };
  Bytes bad = good;
  bad[0] = 2;
  BOOST_CHECK_EQUAL(withError(bad), "avcC: configurationVersion 2");
  bad = good;
  bad[4] = 0xFE;  // NAL length size 3
  BOOST_CHECK_EQUAL(withError(bad), "avcC: NAL length size 3");
  bad = good;
  bad[5] = 0xE0;  // no SPS
  BOOST_CHECK_EQUAL(withError(bad), "avcC: no SPS");
  bad = good;
  bad[8] = 0x68;  // the "SPS" entry is a PPS
  BOOST_CHECK(!withError(bad).empty());
  bad = good;
  bad[6] = 0xFF;  // SPS length beyond the record
  BOOST_CHECK(!withError(bad).empty());
}

BOOST_AUTO_TEST_CASE(malformed_sps_rejected) {
  // Bytes 0..9 hold everything up to the frame cropping: any cut there is fatal.
  for (size_t cut = 0; cut < 10; ++cut) {
    BOOST_CHECK_MESSAGE(!core::parseAvcSps(std::span(kSps720High30.data(), cut)),
                        "accepted an SPS cut at " << cut);
  }
  // A cut inside the VUI keeps the size but loses the frame rate.
  for (size_t cut = 10; cut + 9 < kSps720High30.size(); ++cut) {
    auto partial = core::parseAvcSps(std::span(kSps720High30.data(), cut));
    BOOST_REQUIRE_MESSAGE(partial, "cut " << cut);
    BOOST_CHECK_EQUAL(partial->width, 1280);
    BOOST_CHECK_EQUAL(partial->height, 720);
    BOOST_CHECK_EQUAL(partial->fps, 0.0);
  }
  // 40 zero bits: an Exp-Golomb code longer than 32 bits.
  BOOST_CHECK(!core::parseAvcSps(Bytes{0x67, 0x42, 0, 0x1e, 0, 0, 0, 0, 0, 0x80}));
  BOOST_CHECK(!core::parseAvcSps(Bytes{0x68, 0x42, 0, 0x1e, 0xff}));  // not an SPS
  // chroma_format_idc 4 (ue 00101).
  BOOST_CHECK(!core::parseAvcSps(Bytes{0x67, 0x64, 0, 0x1f, 0x8a, 0xff}));
  // Random garbage must never crash.
  uint32_t seed = 1;
  for (int i = 0; i < 2000; ++i) {
    Bytes junk = {0x67};
    for (int j = 0; j < 30; ++j) {
      seed = seed * 1103515245 + 12345;
      junk.push_back(uint8_t(seed >> 16));
    }
    if (i % 2) junk[1] = 100;
    auto sps = core::parseAvcSps(junk);
    if (sps) BOOST_CHECK(sps->width > 0 && sps->height > 0);
  }
}

BOOST_AUTO_TEST_CASE(profile_names) {
  BOOST_CHECK_EQUAL(core::avcProfileName(77), "Main");
  BOOST_CHECK_EQUAL(core::avcProfileName(110), "High 10");
  BOOST_CHECK_EQUAL(core::avcProfileName(3), "Unknown");
}

BOOST_AUTO_TEST_CASE(nal_length_size_without_parsing_the_sps) {
  // What Stream needs per config: byte 4's lengthSizeMinusOne, even when the record
  // carries no SPS it could parse.
  BOOST_CHECK_EQUAL(core::avcNalLengthSize(Bytes{1, 0x64, 0, 0x1f, 0xff, 0xe1}), 4);
  BOOST_CHECK_EQUAL(core::avcNalLengthSize(Bytes{1, 0x64, 0, 0x1f, 0xfd}), 2);
  BOOST_CHECK_EQUAL(core::avcNalLengthSize(Bytes{1, 0x64, 0, 0x1f, 0xfc}), 1);
  BOOST_CHECK_EQUAL(core::avcNalLengthSize(Bytes{1, 0x64, 0, 0x1f, 0xfe}), 0);  // 3: invalid
  BOOST_CHECK_EQUAL(core::avcNalLengthSize(Bytes{0, 0x64, 0, 0x1f, 0xff}), 0);  // version 0
  BOOST_CHECK_EQUAL(core::avcNalLengthSize(Bytes{1, 0x64, 0, 0x1f}), 0);        // truncated
}
