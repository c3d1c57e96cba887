// Tests of the fMP4 writer: byte-level box structure, and an end-to-end check that
// ffprobe/ffmpeg read init + fragments built from a real H.264/AAC FLV (generated at
// run time with ffmpeg into a temp dir) with the same timestamps and key flags.
#include "core/format/fmp4_writer.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/buffer/byte_io.hpp"
#include "core/format/aac_config.hpp"
#include "core/format/flv_tag.hpp"
#include "core/format/timed_metadata.hpp"

using core::Codec;
using core::Fmp4Fragment;
using core::Fmp4Sample;
using core::Fmp4Track;
using core::MediaKind;
using core::SharedBuffer;

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;
using Samples = std::vector<Fmp4Sample>;

Bytes fromHex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// The avcC and ASC ffmpeg's libx264/aac write for testsrc2 320x240 / 48 kHz stereo.
const Bytes kAvcConfig = fromHex(
    "0164000dffe100196764000dacd94141fb0110000003001000000303c0f142996001000668ebe3cb22c0fd"
    "f8f800");
const Bytes kAsc48k = {0x11, 0x90};

Fmp4Track videoTrack(const Bytes& config = kAvcConfig) {
  return {MediaKind::Video, Codec::H264, SharedBuffer::copyOf(config)};
}
Fmp4Track audioTrack(const Bytes& config = kAsc48k) {
  return {MediaKind::Audio, Codec::AAC, SharedBuffer::copyOf(config)};
}

Fmp4Sample makeSample(int64_t dts, int64_t pts, int64_t duration, bool key, Bytes data) {
  return {dts, pts, duration, key, SharedBuffer::adopt(std::move(data))};
}

uint32_t u32At(const Bytes& b, size_t pos) {
  BOOST_REQUIRE_LE(pos + 4, b.size());
  return uint32_t(b[pos]) << 24 | uint32_t(b[pos + 1]) << 16 | uint32_t(b[pos + 2]) << 8 |
         b[pos + 3];
}
uint64_t u64At(const Bytes& b, size_t pos) {
  return uint64_t(u32At(b, pos)) << 32 | u32At(b, pos + 4);
}

struct Box {
  std::string type;
  size_t start = 0;  // of the header
  size_t size = 0;
  size_t body() const { return start + 8; }
  size_t end() const { return start + size; }
};

// The boxes in [begin, end): their sizes must tile the range exactly.
std::vector<Box> boxesIn(const Bytes& b, size_t begin, size_t end) {
  std::vector<Box> out;
  size_t pos = begin;
  while (pos < end) {
    BOOST_REQUIRE_LE(pos + 8, end);
    Box box{std::string(b.begin() + pos + 4, b.begin() + pos + 8), pos, u32At(b, pos)};
    BOOST_REQUIRE_GE(box.size, 8u);
    BOOST_REQUIRE_LE(box.end(), end);
    out.push_back(box);
    pos = box.end();
  }
  BOOST_REQUIRE_EQUAL(pos, end);
  return out;
}

std::string typesOf(const std::vector<Box>& boxes) {
  std::string s;
  for (const auto& box : boxes) s += (s.empty() ? "" : ",") + box.type;
  return s;
}

// Children of a container box; `skip` bytes of fields come before them.
std::vector<Box> childrenOf(const Bytes& b, const Box& box, size_t skip = 0) {
  return boxesIn(b, box.body() + skip, box.end());
}

Box only(const std::vector<Box>& boxes, const std::string& type, size_t nth = 0) {
  for (const auto& box : boxes) {
    if (box.type == type && nth-- == 0) return box;
  }
  BOOST_FAIL("no box " + type + " in " + typesOf(boxes));
  return {};
}

struct TrunEntry {
  uint32_t duration, size, flags;
  int32_t offset;
};
struct Trun {
  uint8_t version = 0;
  uint32_t flags = 0;
  int32_t dataOffset = 0;
  std::vector<TrunEntry> entries;
};

Trun parseTrun(const Bytes& b, const Box& box) {
  Trun t;
  t.version = b[box.body()];
  t.flags = u32At(b, box.body()) & 0xFFFFFF;
  BOOST_REQUIRE_EQUAL(t.flags, 0xF01u);
  const uint32_t count = u32At(b, box.body() + 4);
  t.dataOffset = static_cast<int32_t>(u32At(b, box.body() + 8));
  BOOST_REQUIRE_EQUAL(box.size, 8 + 12 + 16 * size_t(count));
  for (uint32_t i = 0; i < count; ++i) {
    const size_t p = box.body() + 12 + 16 * i;
    t.entries.push_back(
        {u32At(b, p), u32At(b, p + 4), u32At(b, p + 8), static_cast<int32_t>(u32At(b, p + 12))});
  }
  return t;
}

// The traf parts of one track: track id, tfdt, trun.
struct Traf {
  uint32_t trackId = 0, tfhdFlags = 0;
  uint64_t baseTime = 0;
  Trun trun;
};

Traf parseTraf(const Bytes& b, const Box& traf) {
  const auto kids = childrenOf(b, traf);
  BOOST_REQUIRE_EQUAL(typesOf(kids), "tfhd,tfdt,trun");
  Traf t;
  t.tfhdFlags = u32At(b, kids[0].body());
  t.trackId = u32At(b, kids[0].body() + 4);
  BOOST_REQUIRE_EQUAL(kids[1].size, 20u);
  BOOST_REQUIRE_EQUAL(b[kids[1].body()], 1);  // tfdt version 1
  t.baseTime = u64At(b, kids[1].body() + 4);
  t.trun = parseTrun(b, kids[2]);
  return t;
}

// ---- run-time media: ffmpeg -> FLV in a temp dir -> packets --------------------------

fs::path tempDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("fmp4_writer_test_" + std::to_string(getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

struct CleanTempDir {
  ~CleanTempDir() {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("fmp4_writer_test_" + std::to_string(getpid())),
                   ec);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(CleanTempDir);

Bytes readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
std::string readText(const fs::path& path) {
  const Bytes b = readFile(path);
  return std::string(b.begin(), b.end());
}

// Runs a shell command with stdout/stderr captured to files; returns its exit status.
int run(const std::string& command, const fs::path& out, const fs::path& err) {
  return std::system((command + " >" + out.string() + " 2>" + err.string()).c_str());
}

struct Input {
  SharedBuffer avcConfig, asc;
  std::vector<core::MediaPacket> video, audio;
};

const Input& input() {
  static const Input parsed = [] {
    Input in;
    const fs::path flv = tempDir() / "in.flv";
    const int rc =
        run("ffmpeg -nostdin -y -v error -f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i "
            "sine=sample_rate=48000 -ac 2 -c:v libx264 -bf 2 -g 30 -pix_fmt yuv420p -c:a aac -t 2 "
            "-f flv " +
                flv.string(),
            tempDir() / "ffmpeg.out", tempDir() / "ffmpeg.err");
    BOOST_REQUIRE_MESSAGE(rc == 0, "ffmpeg failed: " + readText(tempDir() / "ffmpeg.err"));
    const SharedBuffer file = SharedBuffer::adopt(readFile(flv));
    size_t pos = core::kFlvFileHeaderSize + core::kFlvPreviousTagSizeBytes;
    while (pos + core::kFlvTagHeaderSize <= file.size()) {
      auto header = core::parseFlvTagHeader(file.span().subspan(pos));
      BOOST_REQUIRE(header);
      const size_t bodyAt = pos + core::kFlvTagHeaderSize;
      BOOST_REQUIRE_LE(bodyAt + header->dataSize, file.size());
      const SharedBuffer body = file.slice(bodyAt, header->dataSize);
      pos = bodyAt + header->dataSize + core::kFlvPreviousTagSizeBytes;
      if (header->tagType != core::kFlvTagVideo && header->tagType != core::kFlvTagAudio) continue;
      auto tag = header->tagType == core::kFlvTagVideo
                     ? core::parseFlvVideo(header->timestampMs, body)
                     : core::parseFlvAudio(header->timestampMs, body);
      if (!tag.isPacket()) continue;
      auto& p = tag.packet;
      if (p.config) {
        (p.isVideo() ? in.avcConfig : in.asc) = p.payload;
      } else {
        (p.isVideo() ? in.video : in.audio).push_back(p);
      }
    }
    return in;
  }();
  return parsed;
}

// Samples of `packets` with lo <= dts < hi; durations run to the next packet.
std::vector<Fmp4Sample> samplesBetween(const std::vector<core::MediaPacket>& packets, int64_t lo,
                                       int64_t hi, int64_t lastDuration) {
  std::vector<Fmp4Sample> out;
  for (size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    if (p.dts < lo || p.dts >= hi) continue;
    const int64_t duration = i + 1 < packets.size() ? packets[i + 1].dts - p.dts : lastDuration;
    out.push_back({p.dts, p.pts, duration, p.keyframe, p.payload});
  }
  return out;
}

using Fields = std::map<std::string, std::string>;

// ffprobe "compact" output: one line per section, key=value separated by '|'.
std::vector<Fields> parseCompact(const std::string& text) {
  std::vector<Fields> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    Fields row;
    std::istringstream parts(line);
    for (std::string kv; std::getline(parts, kv, '|');) {
      const auto eq = kv.find('=');
      if (eq != std::string::npos) row[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

BOOST_AUTO_TEST_CASE(init_segment_structure) {
  const std::vector<Fmp4Track> tracks = {videoTrack(), audioTrack()};
  std::string error;
  auto init = core::buildFmp4Init(tracks, &error);
  BOOST_REQUIRE_MESSAGE(init, error);
  const Bytes& b = *init;
  const auto top = boxesIn(b, 0, b.size());
  BOOST_REQUIRE_EQUAL(typesOf(top), "ftyp,moov");
  BOOST_CHECK_EQUAL(top[0].size, 32u);
  BOOST_CHECK_EQUAL(std::string(b.begin() + 8, b.begin() + 32),
                    std::string("iso6\0\0\0\0iso6cmfcmp41dash", 24));

  const auto moov = childrenOf(b, top[1]);
  BOOST_REQUIRE_EQUAL(typesOf(moov), "mvhd,trak,trak,mvex");
  BOOST_CHECK_EQUAL(u32At(b, moov[0].body() + 12), 1000u);  // mvhd timescale
  BOOST_CHECK_EQUAL(u32At(b, moov[0].end() - 4), 3u);       // next_track_ID

  const uint32_t timescales[] = {90000, 48000};
  const char* handlers[] = {"vide", "soun"};
  const char* mediaHeaders[] = {"vmhd", "smhd"};
  for (uint32_t t = 0; t < 2; ++t) {
    const auto trak = childrenOf(b, moov[1 + t]);
    BOOST_REQUIRE_EQUAL(typesOf(trak), "tkhd,mdia");
    BOOST_CHECK_EQUAL(u32At(b, trak[0].body() + 12), t + 1);  // track_ID
    const auto mdia = childrenOf(b, trak[1]);
    BOOST_REQUIRE_EQUAL(typesOf(mdia), "mdhd,hdlr,minf");
    BOOST_CHECK_EQUAL(u32At(b, mdia[0].body() + 12), timescales[t]);
    BOOST_CHECK_EQUAL(std::string(b.begin() + mdia[1].body() + 8, b.begin() + mdia[1].body() + 12),
                      handlers[t]);
    const auto minf = childrenOf(b, mdia[2]);
    BOOST_REQUIRE_EQUAL(typesOf(minf), std::string(mediaHeaders[t]) + ",dinf,stbl");
    BOOST_CHECK_EQUAL(typesOf(childrenOf(b, minf[1])), "dref");
    BOOST_CHECK_EQUAL(typesOf(childrenOf(b, only(childrenOf(b, minf[1]), "dref"), 8)), "url ");
    const auto stbl = childrenOf(b, minf[2]);
    BOOST_REQUIRE_EQUAL(typesOf(stbl), "stsd,stts,stsc,stsz,stco");
    for (size_t i = 1; i < stbl.size(); ++i) BOOST_CHECK_EQUAL(u32At(b, stbl[i].end() - 4), 0u);
    const auto entries = childrenOf(b, stbl[0], 8);
    BOOST_REQUIRE_EQUAL(entries.size(), 1u);
    if (t == 0) {
      // tkhd width/height 16.16 at the end of the box.
      BOOST_CHECK_EQUAL(u32At(b, trak[0].end() - 8), 320u << 16);
      BOOST_CHECK_EQUAL(u32At(b, trak[0].end() - 4), 240u << 16);
      const Box avc1 = entries[0];
      BOOST_REQUIRE_EQUAL(avc1.type, "avc1");
      BOOST_CHECK_EQUAL(u32At(b, avc1.body() + 24), (320u << 16) | 240u);
      const auto avcC = only(childrenOf(b, avc1, 78), "avcC");
      BOOST_CHECK(Bytes(b.begin() + avcC.body(), b.begin() + avcC.end()) == kAvcConfig);
    } else {
      const Box mp4a = entries[0];
      BOOST_REQUIRE_EQUAL(mp4a.type, "mp4a");
      BOOST_CHECK_EQUAL(u32At(b, mp4a.body() + 16) >> 16, 2u);  // channelcount
      BOOST_CHECK_EQUAL(u32At(b, mp4a.body() + 24), 48000u << 16);
      const auto esds = only(childrenOf(b, mp4a, 28), "esds");
      const Bytes expected = {0,    0,  0, 0,  // version + flags
                              0x03, 25, 0, 0, 0, 0x04, 17,   0x40, 0x15, 0,    0,    0, 0,   0,
                              0,    0,  0, 0, 0, 0,    0x05, 2,    0x11, 0x90, 0x06, 1, 0x02};
      BOOST_CHECK(Bytes(b.begin() + esds.body(), b.begin() + esds.end()) == expected);
    }
  }
  const auto mvex = childrenOf(b, moov[3]);
  BOOST_REQUIRE_EQUAL(typesOf(mvex), "trex,trex");
  BOOST_CHECK_EQUAL(u32At(b, mvex[0].body() + 4), 1u);
  BOOST_CHECK_EQUAL(u32At(b, mvex[1].body() + 4), 2u);
  BOOST_CHECK_EQUAL(u32At(b, mvex[1].body() + 8), 1u);  // default sample description
  BOOST_CHECK_EQUAL(core::fmp4Timescale(tracks[0]), 90000u);
  BOOST_CHECK_EQUAL(core::fmp4Timescale(tracks[1]), 48000u);
}

BOOST_AUTO_TEST_CASE(fragment_box_layout_and_data_offsets) {
  const std::vector<Fmp4Track> tracks = {videoTrack(), audioTrack()};
  Fmp4Fragment fragment;
  fragment.sequenceNumber = 7;
  const Bytes v0(10, 0xA0), v1(7, 0xA1), v2(5, 0xA2), a0(6, 0xB0), a1(4, 0xB1);
  fragment.samplesPerTrack = {
      Samples{makeSample(1000, 1066, 33, true, v0), makeSample(1033, 1133, 34, false, v1),
              makeSample(1067, 1100, 33, false, v2)},
      Samples{makeSample(1000, 1000, 21, false, a0), makeSample(1021, 1021, 21, false, a1)}};
  const Bytes emsg = core::buildEmsgV1(1000, 1000, 0, 1, "urn:x", "", {});
  fragment.leadingBoxes = {emsg};
  std::string error;
  const Bytes b = core::buildFmp4Fragment(tracks, fragment, &error);
  BOOST_REQUIRE_MESSAGE(!b.empty(), error);

  const auto top = boxesIn(b, 0, b.size());
  BOOST_REQUIRE_EQUAL(typesOf(top), "emsg,moof,mdat");
  BOOST_CHECK(Bytes(b.begin(), b.begin() + top[0].size) == emsg);
  const Box moof = top[1], mdat = top[2];
  const auto kids = childrenOf(b, moof);
  BOOST_REQUIRE_EQUAL(typesOf(kids), "mfhd,traf,traf");
  BOOST_CHECK_EQUAL(u32At(b, kids[0].body() + 4), 7u);

  const Traf video = parseTraf(b, kids[1]), audio = parseTraf(b, kids[2]);
  BOOST_CHECK_EQUAL(video.trackId, 1u);
  BOOST_CHECK_EQUAL(audio.trackId, 2u);
  BOOST_CHECK_EQUAL(video.tfhdFlags, 0x020000u);
  BOOST_CHECK_EQUAL(audio.tfhdFlags, 0x020000u);
  BOOST_CHECK_EQUAL(video.baseTime, 90000u);
  BOOST_CHECK_EQUAL(audio.baseTime, 48000u);
  BOOST_CHECK_EQUAL(video.trun.version, 1);

  // Data offsets are relative to the moof start and land on each track's first sample.
  BOOST_CHECK_EQUAL(video.trun.dataOffset, int32_t(moof.size + 8));
  BOOST_CHECK_EQUAL(audio.trun.dataOffset, int32_t(moof.size + 8 + 22));
  BOOST_CHECK(Bytes(b.begin() + moof.start + video.trun.dataOffset,
                    b.begin() + moof.start + video.trun.dataOffset + 10) == v0);
  BOOST_CHECK(Bytes(b.begin() + moof.start + audio.trun.dataOffset,
                    b.begin() + moof.start + audio.trun.dataOffset + 6) == a0);
  Bytes payload;
  for (const Bytes* part : {&v0, &v1, &v2, &a0, &a1}) {
    payload.insert(payload.end(), part->begin(), part->end());
  }
  BOOST_CHECK(Bytes(b.begin() + mdat.body(), b.end()) == payload);

  const std::vector<uint32_t> vDur = {33 * 90, 34 * 90, 33 * 90}, vSize = {10, 7, 5};
  const std::vector<uint32_t> vFlags = {0x02000000, 0x01010000, 0x01010000};
  const std::vector<int32_t> vCto = {66 * 90, 100 * 90, 33 * 90};
  BOOST_REQUIRE_EQUAL(video.trun.entries.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    BOOST_CHECK_EQUAL(video.trun.entries[i].duration, vDur[i]);
    BOOST_CHECK_EQUAL(video.trun.entries[i].size, vSize[i]);
    BOOST_CHECK_EQUAL(video.trun.entries[i].flags, vFlags[i]);
    BOOST_CHECK_EQUAL(video.trun.entries[i].offset, vCto[i]);
  }
  BOOST_REQUIRE_EQUAL(audio.trun.entries.size(), 2u);
  for (const auto& e : audio.trun.entries) {
    BOOST_CHECK_EQUAL(e.duration, 21u * 48);
    BOOST_CHECK_EQUAL(e.flags, 0x02000000u);  // audio: always sync, keyframe ignored
    BOOST_CHECK_EQUAL(e.offset, 0);
  }
}

BOOST_AUTO_TEST_CASE(negative_composition_offsets) {
  // dts shifted past pts (as after a B-frame delay correction): signed trun v1 offsets.
  const std::vector<Fmp4Track> tracks = {videoTrack()};
  Fmp4Fragment fragment;
  fragment.samplesPerTrack = {Samples{makeSample(100, 67, 33, true, {1}),
                                      makeSample(133, 200, 33, false, {2}),
                                      makeSample(167, 133, 33, false, {3})}};
  const Bytes b = core::buildFmp4Fragment(tracks, fragment);
  BOOST_REQUIRE(!b.empty());
  const auto top = boxesIn(b, 0, b.size());
  const Traf traf = parseTraf(b, only(childrenOf(b, top[0]), "traf"));
  BOOST_CHECK_EQUAL(traf.trun.version, 1);
  BOOST_CHECK_EQUAL(traf.trun.entries[0].offset, -33 * 90);
  BOOST_CHECK_EQUAL(traf.trun.entries[1].offset, 67 * 90);
  BOOST_CHECK_EQUAL(traf.trun.entries[2].offset, -34 * 90);
  BOOST_CHECK_EQUAL(b[top[0].start + traf.trun.dataOffset], 1);
}

BOOST_AUTO_TEST_CASE(audio_only_fragment_and_empty_track) {
  const std::vector<Fmp4Track> tracks = {videoTrack(), audioTrack()};
  Fmp4Fragment fragment;
  fragment.sequenceNumber = 3;
  fragment.samplesPerTrack = {Samples{}, Samples{makeSample(2000, 2000, 21, false, {9, 8, 7})}};
  std::string error;
  const Bytes b = core::buildFmp4Fragment(tracks, fragment, &error);
  BOOST_REQUIRE_MESSAGE(!b.empty(), error);
  const auto top = boxesIn(b, 0, b.size());
  BOOST_REQUIRE_EQUAL(typesOf(top), "moof,mdat");
  const auto kids = childrenOf(b, top[0]);
  BOOST_REQUIRE_EQUAL(typesOf(kids), "mfhd,traf");
  const Traf traf = parseTraf(b, kids[1]);
  BOOST_CHECK_EQUAL(traf.trackId, 2u);
  BOOST_CHECK_EQUAL(traf.baseTime, 96000u);
  BOOST_CHECK_EQUAL(traf.trun.dataOffset, int32_t(top[0].size + 8));
  BOOST_CHECK_EQUAL(top[1].size, 8u + 3);
  BOOST_CHECK_EQUAL(b[traf.trun.dataOffset], 9);

  // Only video, audio empty: one traf with track id 1.
  fragment.samplesPerTrack = {Samples{makeSample(0, 0, 33, true, {1, 2})}, Samples{}};
  const Bytes v = core::buildFmp4Fragment(tracks, fragment);
  BOOST_REQUIRE(!v.empty());
  const auto vTop = boxesIn(v, 0, v.size());
  BOOST_REQUIRE_EQUAL(typesOf(childrenOf(v, vTop[0])), "mfhd,traf");
  BOOST_CHECK_EQUAL(parseTraf(v, childrenOf(v, vTop[0])[1]).trackId, 1u);
}

BOOST_AUTO_TEST_CASE(durations_do_not_drift) {
  // 44.1 kHz AAC: 1024-sample frames are 23.22 ms, so the ms clock alternates 23/24.
  const Bytes asc = core::makeAudioSpecificConfig(2, 44100, 2);
  const std::vector<Fmp4Track> tracks = {audioTrack(asc)};
  std::vector<int64_t> dts;
  for (int k = 0; k <= 200; ++k) dts.push_back((k * 1024 * 1000 + 22050) / 44100);
  // One sample per fragment (the LL-HLS worst case): each tfdt must equal the
  // previous tfdt plus the previous duration, and the rounded dts itself.
  uint64_t expectedBase = 0;
  for (int k = 0; k < 200; ++k) {
    Fmp4Fragment fragment;
    fragment.sequenceNumber = static_cast<uint32_t>(k + 1);
    fragment.samplesPerTrack = {
        Samples{makeSample(dts[k], dts[k], dts[k + 1] - dts[k], true, {1})}};
    const Bytes b = core::buildFmp4Fragment(tracks, fragment);
    BOOST_REQUIRE(!b.empty());
    const Traf traf = parseTraf(b, childrenOf(b, boxesIn(b, 0, b.size())[0])[1]);
    BOOST_CHECK_EQUAL(traf.baseTime, expectedBase);
    BOOST_CHECK_EQUAL(traf.baseTime, uint64_t((dts[k] * 44100 + 500) / 1000));
    expectedBase = traf.baseTime + traf.trun.entries[0].duration;
  }
  BOOST_CHECK_EQUAL(expectedBase, uint64_t((dts[200] * 44100 + 500) / 1000));

  // The same samples in one fragment: a sample's duration runs to the next dts (the
  // bogus 99 ms given is ignored), only the last one's durationMs is used; the sum
  // reaches the same end point.
  Fmp4Fragment all;
  all.samplesPerTrack.resize(1);
  for (int k = 0; k < 200; ++k)
    all.samplesPerTrack[0].push_back(makeSample(dts[k], dts[k], 99, true, {1}));
  all.samplesPerTrack[0].back().durationMs = dts[200] - dts[199];
  const Bytes b = core::buildFmp4Fragment(tracks, all);
  BOOST_REQUIRE(!b.empty());
  const Traf traf = parseTraf(b, childrenOf(b, boxesIn(b, 0, b.size())[0])[1]);
  uint64_t sum = 0;
  for (const auto& e : traf.trun.entries) sum += e.duration;
  BOOST_CHECK_EQUAL(sum, expectedBase);
}

BOOST_AUTO_TEST_CASE(init_rejects_unsupported_or_broken_tracks) {
  const Bytes truncatedAvc(kAvcConfig.begin(), kAvcConfig.begin() + 10);
  const std::vector<std::vector<Fmp4Track>> bad = {
      {},
      {{MediaKind::Video, Codec::H265, SharedBuffer::copyOf(kAvcConfig)}},
      {{MediaKind::Audio, Codec::Opus, SharedBuffer::copyOf(kAsc48k)}},
      {{MediaKind::Audio, Codec::Mp3, SharedBuffer::copyOf(kAsc48k)}},
      {{MediaKind::Video, Codec::Unknown, SharedBuffer::copyOf(kAvcConfig)}},
      {{MediaKind::Video, Codec::AAC, SharedBuffer::copyOf(kAsc48k)}},  // kind mismatch
      {{MediaKind::Data, Codec::Amf0, SharedBuffer::copyOf(kAsc48k)}},
      {videoTrack(truncatedAvc)},
      {videoTrack({})},
      {videoTrack(), audioTrack({})},
      {videoTrack(), audioTrack({0x10})},  // ASC cut inside its first 16 bits
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    std::string error;
    BOOST_TEST_CONTEXT("case " << i) {
      BOOST_CHECK(!core::buildFmp4Init(bad[i], &error));
      BOOST_CHECK(!error.empty());
      if (!bad[i].empty()) BOOST_CHECK_EQUAL(core::fmp4Timescale(bad[i].back()), 0u);
    }
  }
  std::string error;
  core::buildFmp4Init(bad[1], &error);
  BOOST_CHECK_NE(error.find("unsupported codec"), std::string::npos);
  BOOST_CHECK(!core::buildFmp4Init(bad[1]));  // no error pointer: still no crash
}

BOOST_AUTO_TEST_CASE(fragment_rejects_bad_input) {
  const std::vector<Fmp4Track> tracks = {videoTrack(), audioTrack()};
  auto expectError = [&](const Fmp4Fragment& f, const std::string& what) {
    std::string error;
    BOOST_TEST_CONTEXT(what) {
      BOOST_CHECK(core::buildFmp4Fragment(tracks, f, &error).empty());
      BOOST_CHECK_MESSAGE(error.find(what) != std::string::npos, error);
    }
  };
  Fmp4Fragment f;
  f.samplesPerTrack = {Samples{makeSample(0, 0, 33, true, {1})}};
  expectError(f, "1 sample lists for 2 tracks");
  f.samplesPerTrack = {Samples{}, Samples{}};
  expectError(f, "no samples");
  f.samplesPerTrack = {Samples{makeSample(-1, 0, 33, true, {1})}, Samples{}};
  expectError(f, "out-of-range");
  f.samplesPerTrack = {Samples{makeSample(0, 0, -5, true, {1})}, Samples{}};
  expectError(f, "out-of-range");
  f.samplesPerTrack = {Samples{makeSample(int64_t(1) << 60, 0, 33, true, {1})}, Samples{}};
  expectError(f, "out-of-range");
  f.samplesPerTrack = {
      Samples{makeSample(100, 100, 33, true, {1}), makeSample(50, 50, 33, false, {1})}, Samples{}};
  expectError(f, "dts decreases");
  f.samplesPerTrack = {Samples{makeSample(0, 100'000'000, 33, true, {1})},
                       Samples{}};  // 9e12 ticks offset
  expectError(f, "too large");
  const std::vector<Fmp4Track> opus = {
      {MediaKind::Audio, Codec::Opus, SharedBuffer::copyOf(kAsc48k)}};
  std::string error;
  Fmp4Fragment o;
  o.samplesPerTrack = {Samples{makeSample(0, 0, 20, true, {1})}};
  BOOST_CHECK(core::buildFmp4Fragment(opus, o, &error).empty());
  BOOST_CHECK_NE(error.find("unsupported codec"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(ffprobe_reads_init_and_three_fragments) {
  const Input& in = input();
  BOOST_REQUIRE(!in.avcConfig.empty());
  BOOST_REQUIRE(!in.asc.empty());
  BOOST_REQUIRE_GE(in.video.size(), 55u);
  BOOST_REQUIRE_GE(in.audio.size(), 90u);
  const std::vector<Fmp4Track> tracks = {{MediaKind::Video, Codec::H264, in.avcConfig},
                                         {MediaKind::Audio, Codec::AAC, in.asc}};
  std::string error;
  auto init = core::buildFmp4Init(tracks, &error);
  BOOST_REQUIRE_MESSAGE(init, error);
  Bytes file = *init;
  // 1: first GOP + audio < 1 s; 2: second GOP + audio < 1.6 s; 3: the rest of the audio
  // only (the video track is empty there).
  const int64_t bounds[][4] = {
      {0, 1000, 0, 1000}, {1000, INT64_MAX, 1000, 1600}, {INT64_MAX, INT64_MAX, 1600, INT64_MAX}};
  for (uint32_t i = 0; i < 3; ++i) {
    Fmp4Fragment fragment;
    fragment.sequenceNumber = i + 1;
    fragment.samplesPerTrack = {samplesBetween(in.video, bounds[i][0], bounds[i][1], 33),
                                samplesBetween(in.audio, bounds[i][2], bounds[i][3], 21)};
    const Bytes bytes = core::buildFmp4Fragment(tracks, fragment, &error);
    BOOST_REQUIRE_MESSAGE(!bytes.empty(), error);
    file.insert(file.end(), bytes.begin(), bytes.end());
  }
  boxesIn(file, 0, file.size());  // the whole file tiles into boxes
  const fs::path mp4 = tempDir() / "out.mp4";
  std::ofstream(mp4, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));

  const fs::path out = tempDir() / "probe.out", err = tempDir() / "probe.err";
  BOOST_REQUIRE_EQUAL(run("ffprobe -v error -show_entries "
                          "stream=index,codec_name,width,height,sample_rate,channels "
                          "-of compact=p=0 " +
                              mp4.string(),
                          out, err),
                      0);
  BOOST_CHECK_EQUAL(readText(err), "");
  const auto streams = parseCompact(readText(out));
  BOOST_REQUIRE_EQUAL(streams.size(), 2u);
  BOOST_CHECK_EQUAL(streams[0].at("codec_name"), "h264");
  BOOST_CHECK_EQUAL(streams[0].at("width"), "320");
  BOOST_CHECK_EQUAL(streams[0].at("height"), "240");
  BOOST_CHECK_EQUAL(streams[1].at("codec_name"), "aac");
  BOOST_CHECK_EQUAL(streams[1].at("sample_rate"), "48000");
  BOOST_CHECK_EQUAL(streams[1].at("channels"), "2");

  BOOST_REQUIRE_EQUAL(run("ffprobe -v error -show_entries packet=stream_index,pts,dts,flags "
                          "-of compact=p=0 " +
                              mp4.string(),
                          out, err),
                      0);
  BOOST_CHECK_EQUAL(readText(err), "");
  std::vector<Fields> perStream[2];
  for (auto& row : parseCompact(readText(out)))
    perStream[std::stoi(row.at("stream_index"))].push_back(row);
  const std::vector<core::MediaPacket>* inputs[2] = {&in.video, &in.audio};
  const double timescales[2] = {90000, 48000};
  for (int s = 0; s < 2; ++s) {
    BOOST_TEST_CONTEXT("stream " << s) {
      BOOST_REQUIRE_EQUAL(perStream[s].size(), inputs[s]->size());
      for (size_t i = 0; i < perStream[s].size(); ++i) {
        const auto& row = perStream[s][i];
        const auto& p = (*inputs[s])[i];
        BOOST_TEST_CONTEXT("packet " << i) {
          BOOST_CHECK_LE(std::abs(std::stod(row.at("pts")) * 1000 / timescales[s] - p.pts), 1.0);
          BOOST_CHECK_LE(std::abs(std::stod(row.at("dts")) * 1000 / timescales[s] - p.dts), 1.0);
          const bool key = row.at("flags").find('K') != std::string::npos;
          BOOST_CHECK_EQUAL(key, s == 1 || p.keyframe);
        }
      }
    }
  }
  const fs::path decodeOut = tempDir() / "decode.out", decodeErr = tempDir() / "decode.err";
  BOOST_CHECK_EQUAL(
      run("ffmpeg -nostdin -v error -i " + mp4.string() + " -f null -", decodeOut, decodeErr), 0);
  BOOST_CHECK_EQUAL(readText(decodeErr), "");
  BOOST_CHECK_EQUAL(readText(decodeOut), "");
}
