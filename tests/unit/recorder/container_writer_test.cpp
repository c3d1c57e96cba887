#include "recorder/container_writer.hpp"

#include <boost/test/unit_test.hpp>

#include "core/format/amf0.hpp"
#include "core/format/timed_metadata.hpp"
#include "core/media/room_event_packet.hpp"
#include "recorder/recording.hpp"
#include "tests/unit/media_samples.hpp"

using core::MediaKind;
using core::MediaPacket;
using core::SharedBuffer;

namespace {

using media_samples::config;
using media_samples::frame;

recorder::Headers headers() {
  recorder::Headers h;
  h.videoConfig = config(MediaKind::Video);
  h.audioConfig = config(MediaKind::Audio);
  return h;
}

uint32_t u32(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         b[at + 3];
}

// Top-level box types of `bytes`.
std::vector<std::string> boxes(const std::vector<uint8_t>& bytes) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos + 8 <= bytes.size();) {
    const uint32_t size = u32(bytes, pos);
    out.emplace_back(reinterpret_cast<const char*>(&bytes[pos + 4]), 4);
    if (size < 8) break;
    pos += size;
  }
  return out;
}

std::vector<uint8_t> join(const std::vector<SharedBuffer>& parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.data(), p.data() + p.size());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fmp4_cuts_fragments_at_keyframes_and_at_most_every_2_s) {
  auto w = recorder::makeContainerWriter("fmp4", 1000);
  BOOST_REQUIRE(w);
  BOOST_TEST(std::string(w->extension()) == "mp4");
  std::string error;
  std::vector<uint8_t> file = join(w->begin(headers(), 10000, error));
  BOOST_REQUIRE_MESSAGE(!file.empty(), error);
  BOOST_TEST((boxes(file) == std::vector<std::string>{"ftyp", "moov"}));
  // 30 fps video, a keyframe every 4 s (longer than a fragment may be).
  for (int i = 0; i < 200; ++i) {
    const int64_t dts = 10000 + i * 100 / 3;
    auto out = w->write(frame(MediaKind::Video, dts, i % 120 == 0));
    auto more = w->write(frame(MediaKind::Audio, dts + 5));
    auto bytes = join(out);
    file.insert(file.end(), bytes.begin(), bytes.end());
    bytes = join(more);
    file.insert(file.end(), bytes.begin(), bytes.end());
  }
  auto tail = join(w->finish(10000 + 200 * 100 / 3));
  file.insert(file.end(), tail.begin(), tail.end());
  const auto& frags = w->fragments();
  BOOST_REQUIRE(frags.size() >= 3u);
  BOOST_TEST(frags[0].startMs == 0);  // rebased: the file starts at 0
  BOOST_TEST(frags[0].independent);
  uint64_t offset = frags[0].offset;
  for (size_t i = 0; i < frags.size(); ++i) {
    BOOST_TEST(frags[i].offset == offset);
    offset += frags[i].size;
    BOOST_TEST(frags[i].durationMs <= 2000 + 34, "fragment " << i);
    if (i + 1 < frags.size())
      BOOST_TEST(frags[i + 1].startMs == frags[i].startMs + frags[i].durationMs);
  }
  BOOST_TEST(offset == file.size());
  // The fragment at 4 s starts with the keyframe there.
  bool keyFragment = false;
  for (const auto& f : frags) keyFragment |= f.startMs == 4000 && f.independent;
  BOOST_TEST(keyFragment);
}

BOOST_AUTO_TEST_CASE(fmp4_puts_room_events_before_the_fragment_covering_them) {
  auto w = recorder::makeContainerWriter("fmp4", 1000);
  std::string error;
  BOOST_REQUIRE_MESSAGE(!w->begin(headers(), 5000, error).empty(), error);
  w->write(frame(MediaKind::Video, 5000, true));
  w->write(*core::makeRoomEventPacket(R"({"event":"message","n":1})", 5400));
  w->write(*core::makeRoomEventPacket(R"({"event":"message","n":2})", 6500));  // next fragment
  for (int64_t dts = 5033; dts < 6000; dts += 33) w->write(frame(MediaKind::Video, dts));
  auto first = join(w->write(frame(MediaKind::Video, 6000, true)));  // cuts [0, 1000)
  BOOST_TEST((boxes(first) == std::vector<std::string>{"emsg", "moof", "mdat"}));
  core::EmsgBox emsg;
  BOOST_REQUIRE(core::parseEmsg(first, emsg, error));
  BOOST_TEST(emsg.presentationTime == 400u);  // on the file's timeline
  BOOST_TEST(emsg.timescale == 1000u);
  BOOST_TEST(emsg.schemeIdUri == std::string(core::kEmsgId3Scheme));
  std::vector<core::Id3Frame> frames;
  BOOST_REQUIRE(core::parseId3Tag(emsg.messageData, frames, error));
  BOOST_TEST(frames.at(0).value == R"({"event":"message","n":1})");
  auto last = join(w->finish(7000));
  BOOST_TEST((boxes(last) == std::vector<std::string>{"emsg", "moof", "mdat"}));
}

BOOST_AUTO_TEST_CASE(flv_rebases_tags_and_keeps_room_events_as_script_data) {
  auto w = recorder::makeContainerWriter("flv", 0);
  BOOST_TEST(std::string(w->extension()) == "flv");
  std::string error;
  auto head = join(w->begin(headers(), 20000, error));
  BOOST_TEST(std::string(head.begin(), head.begin() + 3) == "FLV");
  BOOST_TEST(head[4] == 0x05);  // audio + video
  auto tag = join(w->write(frame(MediaKind::Video, 20500, true)));
  BOOST_REQUIRE(tag.size() > 11u);
  BOOST_TEST(tag[0] == 9);
  BOOST_TEST(((tag[4] << 16) | (tag[5] << 8) | tag[6]) == 500);
  auto event = join(w->write(*core::makeRoomEventPacket(R"({"event":"message"})", 20600)));
  BOOST_TEST(event[0] == 18);
  BOOST_TEST(((event[4] << 16) | (event[5] << 8) | event[6]) == 600);
  BOOST_TEST(w->finish(21000).empty());
}

// FLV tags as (type, timestamp) in `bytes` from `pos` (whole tags only).
std::vector<std::pair<int, uint32_t>> flvTags(const std::vector<uint8_t>& bytes, size_t pos,
                                              size_t end) {
  std::vector<std::pair<int, uint32_t>> out;
  while (pos + 11 <= end) {
    const uint32_t size = (uint32_t{bytes[pos + 1]} << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3];
    const uint32_t ts = (uint32_t{bytes[pos + 7]} << 24) | (uint32_t{bytes[pos + 4]} << 16) |
                        (bytes[pos + 5] << 8) | bytes[pos + 6];
    out.emplace_back(bytes[pos], ts);
    pos += 11 + size + 4;
  }
  BOOST_TEST(pos == end, "a fragment ends on a tag boundary");
  return out;
}

BOOST_AUTO_TEST_CASE(flv_indexes_tag_ranges_from_keyframe_to_keyframe_for_replay) {
  auto w = recorder::makeContainerWriter("flv", 1000);
  std::string error;
  std::vector<uint8_t> file = join(w->begin(headers(), 10000, error));
  const size_t head = file.size();
  auto add = [&](const MediaPacket& p) {
    auto bytes = join(w->write(p));
    file.insert(file.end(), bytes.begin(), bytes.end());
  };
  // 30 fps video with a keyframe every 1.5 s, then none for 3 s (a long GOP);
  // audio beside it; one room event just before the keyframe at 1.5 s and a new
  // video config (a resolution change) just before the keyframe at 3 s.
  for (int i = 0; i < 180; ++i) {
    const int64_t dts = 10000 + i * 100 / 3;
    if (i == 45) add(*core::makeRoomEventPacket(R"({"event":"message"})", dts - 5));
    if (i == 90) add(config(MediaKind::Video, dts));
    add(frame(MediaKind::Video, dts, i == 0 || i == 45 || i == 90));
    add(frame(MediaKind::Audio, dts + 5));
  }
  BOOST_TEST(w->finish(16000).empty());
  const auto& frags = w->fragments();
  BOOST_REQUIRE(frags.size() == 4u);
  BOOST_TEST(frags[0].offset == head);  // after the header, metadata and configs
  uint64_t offset = head;
  for (const auto& f : frags) {
    BOOST_TEST(f.offset == offset);
    offset += f.size;
  }
  BOOST_TEST(offset == file.size());
  // Cut before the keyframes at 1.5 s and 3 s, and at 2 s into the long GOP
  // (a fragment that does not start at a keyframe).
  BOOST_TEST(frags[0].startMs == 0);
  BOOST_TEST(frags[1].startMs == 1500);
  BOOST_TEST(frags[2].startMs == 3000);
  BOOST_TEST(frags[3].startMs == 5000);
  BOOST_TEST(frags[0].independent);
  BOOST_TEST(frags[1].independent);
  BOOST_TEST(frags[2].independent);
  BOOST_TEST(!frags[3].independent);
  BOOST_TEST(frags[0].durationMs == 1500);
  BOOST_TEST(frags[3].durationMs == 1000);  // to finish()'s end
  // The event and the config written before a keyframe open its fragment.
  auto second = flvTags(file, frags[1].offset, frags[1].offset + frags[1].size);
  BOOST_TEST(second.at(0).first == 18);
  BOOST_TEST(second.at(0).second == 1495u);
  BOOST_TEST(second.at(1).first == 9);
  BOOST_TEST(second.at(1).second == 1500u);
  auto third = flvTags(file, frags[2].offset, frags[2].offset + frags[2].size);
  BOOST_TEST(third.at(0).first == 9);
  BOOST_TEST(third.at(0).second == 3000u);  // the config (at the frame's dts)
  BOOST_TEST(third.at(1).second == 3000u);
  flvTags(file, frags[3].offset, frags[3].offset + frags[3].size);
}

BOOST_AUTO_TEST_CASE(unknown_formats_and_path_templates) {
  BOOST_TEST(!recorder::makeContainerWriter("mkv", 1000));
  std::string error;
  // 2026-11-26T17:20:00.123Z
  const int64_t t = 1795713600123;
  BOOST_TEST(recorder::expandPathTemplate("{app}/{name}-{start}.{ext}", "live", "demo", t, "mp4",
                                          error) == "live/demo-20261126-172000.mp4");
  BOOST_TEST(recorder::expandPathTemplate("x/{nope}", "a", "b", t, "mp4", error).empty());
  BOOST_TEST(error.find("unknown placeholder") != std::string::npos);
  BOOST_TEST(recorder::expandPathTemplate("/abs/{start}", "a", "b", t, "mp4", error).empty());
  BOOST_TEST(recorder::expandPathTemplate("../{start}", "a", "b", t, "mp4", error).empty());
  BOOST_TEST(error.find("leaves the recording directory") != std::string::npos);
  BOOST_TEST(recorder::expandPathTemplate("{app}/{name}", "..", "b", t, "mp4", error).empty());
}

BOOST_AUTO_TEST_CASE(a_file_description_round_trips_and_bad_ones_are_refused) {
  recorder::RecordingFile f;
  f.id = "live-demo-20261126-172000-123";
  f.stream = "live/demo";
  f.format = "fmp4";
  f.path = "/rec/live/demo-20261126-172000.mp4";
  f.eventsPath = f.path + ".events.jsonl";
  f.startWallMs = 1795713600123;
  f.startStreamMs = 42000;
  f.durationMs = 6040;
  f.bytes = 2502910;
  f.events = 4;
  f.endReason = "stream ended";
  f.open = false;
  f.fragments = {{1115, 768635, 0, 2000, true}, {769750, 793643, 2000, 2000, false}};
  auto back = recorder::RecordingFile::fromJson(f.toJson(true));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->toJson(true) == f.toJson(true));
  auto j = f.toJson(true);
  j["bytes"] = "many";
  BOOST_TEST(!recorder::RecordingFile::fromJson(j));
  j = f.toJson(true);
  j["fragments"][0] = nlohmann::json::array({1, 2, 3});
  BOOST_TEST(!recorder::RecordingFile::fromJson(j));
  BOOST_TEST(!recorder::RecordingFile::fromJson(nlohmann::json::array()));
}
