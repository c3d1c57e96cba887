#include "protocols/hls/replay_server.hpp"

#include <boost/test/unit_test.hpp>

#include "av/av_libraries.hpp"
#include "core/format/flv_tag.hpp"
#include "core/format/timed_metadata.hpp"
#include "core/media/room_event_packet.hpp"
#include "tests/unit/media_samples.hpp"

using core::MediaKind;
using core::MediaPacket;
using core::SharedBuffer;

namespace {

MediaPacket packet(MediaKind kind, int64_t dts, bool config, bool key = false) {
  return config ? media_samples::config(kind, dts) : media_samples::frame(kind, dts, key);
}

void append(std::vector<uint8_t>& out, const MediaPacket& p) {
  auto tag = core::flvTagOf(p);
  out.insert(out.end(), tag.data(), tag.data() + tag.size());
}

// The head of an FLV file: header and both configs.
SharedBuffer head() {
  auto out = core::flvFileHeader(true, true);
  append(out, packet(MediaKind::Video, 0, true));
  append(out, packet(MediaKind::Audio, 0, true));
  return SharedBuffer::adopt(std::move(out));
}

// One segment's tags: 1 s of 25 fps video and audio from `start`, a room event at
// `start` + 420 ms.
SharedBuffer segment(int64_t start, const std::string& event) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 25; ++i) {
    const int64_t dts = start + i * 40;
    if (dts >= start + 420 && dts - 40 < start + 420)
      append(out, *core::makeRoomEventPacket(event, start + 420));
    append(out, packet(MediaKind::Video, dts, false, i == 0));
    append(out, packet(MediaKind::Audio, dts + 3, false));
  }
  return SharedBuffer::adopt(std::move(out));
}

// (stream_id, PTS in 90 kHz, payload) of the PES packets on `pid`.
struct Pes {
  int streamId;
  int64_t pts;
  std::vector<uint8_t> payload;
};
std::vector<Pes> pesOn(const std::vector<uint8_t>& ts, int pid) {
  std::vector<std::vector<uint8_t>> units;
  for (size_t off = 0; off + 188 <= ts.size(); off += 188) {
    const uint8_t* p = &ts[off];
    if (((p[1] & 0x1F) << 8 | p[2]) != pid || !(p[3] & 0x10)) continue;
    size_t pos = 4 + ((p[3] & 0x20) ? 1 + p[4] : 0);
    if (p[1] & 0x40) units.emplace_back();
    if (!units.empty()) units.back().insert(units.back().end(), p + pos, p + 188);
  }
  std::vector<Pes> out;
  for (const auto& u : units) {
    if (u.size() < 14 || u[0] != 0 || u[1] != 0 || u[2] != 1) continue;
    const size_t length = (size_t{u[4]} << 8) | u[5];
    const uint8_t* b = &u[9];
    const int64_t pts = (int64_t{(b[0] >> 1) & 7} << 30) | (int64_t{b[1]} << 22) |
                        (int64_t{b[2] >> 1} << 15) | (int64_t{b[3]} << 7) | (b[4] >> 1);
    const size_t start = 9 + u[8];
    const size_t end = length ? std::min(u.size(), 6 + length) : u.size();
    out.push_back({u[3], pts, std::vector<uint8_t>(u.begin() + start, u.begin() + end)});
  }
  return out;
}

// The PID of the stream with `streamType` in the PMT.
int pidOf(const std::vector<uint8_t>& ts, int streamType) {
  for (size_t off = 0; off + 188 <= ts.size(); off += 188) {
    const uint8_t* p = &ts[off];
    const int pid = (p[1] & 0x1F) << 8 | p[2];
    if (pid != 0x1000 || !(p[1] & 0x40)) continue;  // libavformat's PMT PID
    const uint8_t* s = p + 5 + p[4];                // after the pointer field
    const size_t sectionEnd = 3 + (((s[1] & 0x0F) << 8) | s[2]) - 4;
    size_t pos = 12 + (((s[10] & 0x0F) << 8) | s[11]);
    while (pos + 5 <= sectionEnd) {
      const int esPid = (s[pos + 1] & 0x1F) << 8 | s[pos + 2];
      if (s[pos] == streamType) return esPid;
      pos += 5 + (((s[pos + 3] & 0x0F) << 8) | s[pos + 4]);
    }
  }
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_flv_segment_becomes_ts_with_each_room_event_a_timed_id3_tag) {
  av::Libraries libs;
  std::string error;
  const std::string event = R"({"event":"message","body":{"text":"hi"},"streamTime":6420})";
  auto ts = hls::replayTsSegment(libs, head(), segment(6000, event), error);
  BOOST_REQUIRE_MESSAGE(ts, error);
  BOOST_REQUIRE(!ts->empty());
  BOOST_TEST(ts->size() % 188 == 0u);
  for (size_t off = 0; off < ts->size(); off += 188) BOOST_REQUIRE((*ts)[off] == 0x47);
  // Video (0x1B) at the file's times; the event on the timed ID3 stream (0x15) in
  // a private_stream_1 PES at its own time, one TXXX "roomcast" frame.
  const auto video = pesOn(*ts, pidOf(*ts, 0x1B));
  BOOST_REQUIRE(video.size() == 25u);
  BOOST_TEST(video.front().pts == 6000 * 90);
  BOOST_TEST(video.back().pts == (6000 + 24 * 40) * 90);
  BOOST_TEST(pesOn(*ts, pidOf(*ts, 0x0F)).size() >= 1u);  // ADTS audio
  const auto id3 = pesOn(*ts, pidOf(*ts, 0x15));
  BOOST_REQUIRE(id3.size() == 1u);
  BOOST_TEST(id3[0].streamId == 0xBD);
  BOOST_TEST(id3[0].pts == 6420 * 90);
  std::vector<core::Id3Frame> frames;
  BOOST_REQUIRE_MESSAGE(core::parseId3Tag(id3[0].payload, frames, error), error);
  BOOST_REQUIRE(frames.size() == 1u);
  BOOST_TEST(frames[0].description == "roomcast");
  BOOST_TEST(frames[0].value == event);
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_whole_flv_tags_are_refused_with_the_reason) {
  av::Libraries libs;
  std::string error;
  const auto tags = segment(0, R"({"event":"message"})");
  // not an FLV head
  BOOST_TEST(!hls::replayTsSegment(libs, SharedBuffer::copyOf(std::string_view("RIFF....WAVE")),
                                   tags, error));
  BOOST_TEST(error == "not an FLV file");
  // a segment cut in the middle of a tag
  error.clear();
  BOOST_TEST(!hls::replayTsSegment(libs, head(), tags.slice(0, tags.size() - 5), error));
  BOOST_TEST(error.find("cut at byte") != std::string::npos, error);
  // a PreviousTagSize that does not match its tag
  std::vector<uint8_t> broken(tags.data(), tags.data() + tags.size());
  const size_t firstSize = 11 + ((broken[1] << 16) | (broken[2] << 8) | broken[3]);
  broken[firstSize + 3] ^= 0x01;
  error.clear();
  BOOST_TEST(!hls::replayTsSegment(libs, head(), SharedBuffer::adopt(std::move(broken)), error));
  BOOST_TEST(error.find("wrong PreviousTagSize") != std::string::npos, error);
  // no audio or video at all
  std::vector<uint8_t> only;
  append(only, *core::makeRoomEventPacket(R"({"event":"like"})", 10));
  error.clear();
  BOOST_TEST(!hls::replayTsSegment(libs, head(), SharedBuffer::adopt(std::move(only)), error));
  BOOST_TEST(error == "no audio or video in the segment");
}
