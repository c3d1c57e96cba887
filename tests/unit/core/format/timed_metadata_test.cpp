#include "core/format/timed_metadata.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

using Bytes = std::vector<uint8_t>;
using core::Id3Frame;

namespace {

Bytes bytesOf(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

void append(Bytes& out, std::initializer_list<uint8_t> b) {
  out.insert(out.end(), b);
}
void append(Bytes& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

bool parsesId3(const Bytes& b, std::vector<Id3Frame>& frames, std::string& error) {
  return core::parseId3Tag(b, frames, error);
}

bool id3Accepts(const Bytes& b, std::string& error) {
  std::vector<Id3Frame> frames;
  return core::parseId3Tag(b, frames, error);
}

// Every strict prefix of a valid buffer must be rejected with a reason.
template <typename Parse>
void expectEveryPrefixFails(const Bytes& whole, Parse parse) {
  for (size_t n = 0; n < whole.size(); ++n) {
    Bytes prefix(whole.begin(), whole.begin() + n);  // own allocation: ASan sees overreads
    std::string error;
    BOOST_TEST_CONTEXT("prefix of " << n << " bytes") {
      BOOST_TEST(!parse(prefix, error));
      BOOST_TEST(!error.empty());
    }
  }
}

// Random byte flips must never crash or read out of bounds (run under ASan).
template <typename Parse>
void fuzzMutations(const Bytes& whole, Parse parse) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 3000; ++i) {
    Bytes b = whole;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    std::string error;
    parse(b, error);
  }
}

// True if the escaped NAL contains 00 00 00, 00 00 01 or 00 00 02 (H.264 7.4.1).
bool hasUnescapedSequence(const Bytes& nal) {
  for (size_t i = 2; i < nal.size(); ++i) {
    if (nal[i - 2] == 0 && nal[i - 1] == 0 && nal[i] <= 0x02) return true;
  }
  return false;
}

}  // namespace

// ---------------- ID3 ----------------

BOOST_AUTO_TEST_CASE(id3_small_tag_byte_for_byte) {
  const std::vector<std::string> values = {"hi"};
  const Bytes tag = core::buildId3Tag(values, "rc");
  const Bytes expected = {'I',  'D', '3', 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,  // size 16
                          'T',  'X', 'X', 'X',  0x00, 0x00, 0x00, 0x06, 0x00, 0x00,  // size 6
                          0x03, 'r', 'c', 0x00, 'h',  'i'};
  BOOST_TEST(tag == expected, boost::test_tools::per_element());
  BOOST_TEST(core::id3TagSize(values, "rc") == expected.size());
}

BOOST_AUTO_TEST_CASE(id3_syncsafe_sizes) {
  // 200-byte value, default description: frame 1+8+1+200 = 210 = 1*128+82, tag 220 = 1*128+92.
  const std::vector<std::string> v200 = {std::string(200, 'x')};
  const Bytes t200 = core::buildId3Tag(v200);
  BOOST_REQUIRE(t200.size() == 230u);
  BOOST_TEST((Bytes(t200.begin() + 6, t200.begin() + 10) == Bytes{0x00, 0x00, 0x01, 0x5C}));
  BOOST_TEST((Bytes(t200.begin() + 14, t200.begin() + 18) == Bytes{0x00, 0x00, 0x01, 0x52}));
  // 300-byte value, empty description: frame 302 = 2*128+46, tag 312 = 2*128+56.
  const std::vector<std::string> v300 = {std::string(300, 'y')};
  const Bytes t300 = core::buildId3Tag(v300, "");
  BOOST_REQUIRE(t300.size() == 322u);
  BOOST_TEST((Bytes(t300.begin() + 6, t300.begin() + 10) == Bytes{0x00, 0x00, 0x02, 0x38}));
  BOOST_TEST((Bytes(t300.begin() + 14, t300.begin() + 18) == Bytes{0x00, 0x00, 0x02, 0x2E}));
  // The 0x7F boundary: frame sizes 127 and 128.
  const std::vector<std::string> v125 = {std::string(125, 'z')};
  const std::vector<std::string> v126 = {std::string(126, 'z')};
  const Bytes t125 = core::buildId3Tag(v125, "");
  const Bytes t126 = core::buildId3Tag(v126, "");
  BOOST_TEST((Bytes(t125.begin() + 14, t125.begin() + 18) == Bytes{0x00, 0x00, 0x00, 0x7F}));
  BOOST_TEST((Bytes(t126.begin() + 14, t126.begin() + 18) == Bytes{0x00, 0x00, 0x01, 0x00}));
  for (const Bytes* t : {&t200, &t300, &t125, &t126}) {
    std::vector<Id3Frame> frames;
    std::string error;
    BOOST_TEST(parsesId3(*t, frames, error), error);
    BOOST_TEST(frames.size() == 1u);
  }
  std::vector<Id3Frame> frames;
  std::string error;
  BOOST_REQUIRE(parsesId3(t300, frames, error));
  BOOST_TEST(frames[0].value == v300[0]);
  BOOST_TEST(frames[0].description == "");
}

BOOST_AUTO_TEST_CASE(id3_round_trip_many_values) {
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) values.push_back("msg " + std::to_string(i) + " \xE5\xBC\xB9");
  values.push_back("");
  values.push_back(std::string(1000, 'q'));
  const Bytes tag = core::buildId3Tag(values, "danmaku");
  BOOST_TEST(tag.size() == core::id3TagSize(values, "danmaku"));
  std::vector<Id3Frame> frames;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parsesId3(tag, frames, error), error);
  BOOST_REQUIRE(frames.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    BOOST_TEST(frames[i].id == "TXXX");
    BOOST_TEST(frames[i].description == "danmaku");
    BOOST_TEST(frames[i].value == values[i]);
  }
}

BOOST_AUTO_TEST_CASE(id3_builder_refuses_misuse) {
  const std::vector<std::string> none;
  BOOST_TEST(core::buildId3Tag(none).empty());
  const std::vector<std::string> big = {std::string(core::kMaxId3TagBytes, 'a')};
  BOOST_TEST(core::id3TagSize(big) > core::kMaxId3TagBytes);
  BOOST_TEST(core::buildId3Tag(big).empty());
  const std::vector<std::string> justFits = {std::string(core::kMaxId3TagBytes - 30, 'a')};
  BOOST_TEST(core::id3TagSize(justFits) <= core::kMaxId3TagBytes);
  BOOST_TEST(core::buildId3Tag(justFits).size() == core::id3TagSize(justFits));
  const std::vector<std::string> one = {"v"};
  BOOST_TEST(core::buildId3Tag(one, std::string_view("a\0b", 3)).empty());
}

BOOST_AUTO_TEST_CASE(id3_v23_latin1_utf16_and_other_frames) {
  Bytes tag = {'I', 'D', '3', 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  // TXXX latin-1: "d" / "\xE9" (é). v2.3 sizes are plain 32-bit.
  append(tag, {'T', 'X', 'X', 'X', 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 'd', 0x00, 0xE9});
  // TXXX UTF-16 with BOM (little endian): "a" / "b" + terminator.
  append(tag, {'T',  'X', 'X',  'X',  0x00, 0x00, 0x00, 0x0D, 0x00, 0x00, 0x01, 0xFF,
               0xFE, 'a', 0x00, 0x00, 0x00, 0xFF, 0xFE, 'b',  0x00, 0x00, 0x00});
  // PRIV with a body of 0x80 bytes (0x80 would be invalid as a v2.4 syncsafe size byte).
  append(tag, {'P', 'R', 'I', 'V', 0x00, 0x00, 0x00, 0x80, 0x00, 0x00});
  tag.insert(tag.end(), 0x80, 0x5A);
  append(tag, {0x00, 0x00, 0x00, 0x00});  // padding
  const size_t size = tag.size() - 10;
  tag[8] = static_cast<uint8_t>(size >> 7);
  tag[9] = static_cast<uint8_t>(size & 0x7F);
  std::vector<Id3Frame> frames;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parsesId3(tag, frames, error), error);
  BOOST_REQUIRE(frames.size() == 3u);
  BOOST_TEST(frames[0].description == "d");
  BOOST_TEST(frames[0].value == "\xC3\xA9");
  BOOST_TEST(frames[1].description == "a");
  BOOST_TEST(frames[1].value == "b");
  BOOST_TEST(frames[2].id == "PRIV");
  BOOST_TEST(frames[2].value == std::string(0x80, 'Z'));
}

BOOST_AUTO_TEST_CASE(id3_hostile_inputs) {
  const std::vector<std::string> values = {"hello", std::string(300, 'w')};
  const Bytes tag = core::buildId3Tag(values);
  expectEveryPrefixFails(tag, id3Accepts);
  fuzzMutations(tag, id3Accepts);
  auto rejects = [](const Bytes& b, std::string_view needle) {
    std::vector<Id3Frame> frames;
    std::string error;
    const bool ok = parsesId3(b, frames, error);
    BOOST_TEST(!ok);
    BOOST_TEST(error.find(needle) != std::string::npos, error << " lacks " << needle);
  };
  Bytes badMagic = tag;
  badMagic[2] = '4';
  rejects(badMagic, "magic");
  Bytes badVersion = tag;
  badVersion[3] = 0x02;
  rejects(badVersion, "version");
  Bytes tagNotSyncsafe = tag;
  tagNotSyncsafe[9] |= 0x80;
  rejects(tagNotSyncsafe, "tag size is not syncsafe");
  Bytes frameNotSyncsafe = tag;
  frameNotSyncsafe[17] |= 0x80;
  rejects(frameNotSyncsafe, "size is not syncsafe");
  Bytes frameOverrun = tag;
  frameOverrun[16] = 0x7F;  // first frame grows far beyond the tag
  rejects(frameOverrun, "overruns tag");
  Bytes tagOverrun = tag;
  tagOverrun[7] = 0x01;
  rejects(tagOverrun, "overruns input");
  Bytes badEncoding = tag;
  badEncoding[20] = 0x07;
  rejects(badEncoding, "encoding");
  Bytes badId = tag;
  badId[10] = 't';
  rejects(badId, "frame id");
  Bytes unsync = tag;
  unsync[5] = 0x80;
  rejects(unsync, "unsynchronisation");
  // A TXXX without the description terminator.
  const Bytes noTerminator = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 14,  'T', 'X',
                              'X', 'X', 0,   0, 0, 4, 0, 0, 3, 'a', 'b', 'c'};
  rejects(noTerminator, "not terminated");
  // Trailing garbage shorter than a frame header.
  Bytes shortFrame = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 3, 'T', 'X', 'X'};
  rejects(shortFrame, "truncated frame header");
}

// ---------------- emsg ----------------

BOOST_AUTO_TEST_CASE(emsg_v1_layout_field_by_field) {
  const std::vector<std::string> values = {"x"};
  const Bytes id3 = core::buildId3Tag(values);
  const Bytes box = core::buildEmsgV1(90000, 0x0102030405060708ull, 0xFFFFFFFF, 7,
                                      core::kEmsgId3Scheme, "1", id3);
  Bytes expected = {0, 0, 0, 0, 'e', 'm', 's', 'g', 0x01, 0x00, 0x00, 0x00};
  append(expected, {0x00, 0x01, 0x5F, 0x90});                          // timescale 90000
  append(expected, {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});  // presentation_time
  append(expected, {0xFF, 0xFF, 0xFF, 0xFF});                          // event_duration
  append(expected, {0x00, 0x00, 0x00, 0x07});                          // id
  append(expected, "https://aomedia.org/emsg/ID3");
  append(expected, {0x00, '1', 0x00});
  expected.insert(expected.end(), id3.begin(), id3.end());
  expected[3] = static_cast<uint8_t>(expected.size());
  BOOST_REQUIRE(expected.size() < 256u);
  BOOST_TEST(box == expected, boost::test_tools::per_element());

  core::EmsgBox out;
  std::string error;
  BOOST_REQUIRE_MESSAGE(core::parseEmsg(box, out, error), error);
  BOOST_TEST(out.version == 1);
  BOOST_TEST(out.timescale == 90000u);
  BOOST_TEST(out.presentationTime == 0x0102030405060708ull);
  BOOST_TEST(out.eventDuration == 0xFFFFFFFFu);
  BOOST_TEST(out.id == 7u);
  BOOST_TEST(out.schemeIdUri == core::kEmsgId3Scheme);
  BOOST_TEST(out.value == "1");
  BOOST_TEST(out.messageData == id3, boost::test_tools::per_element());
  std::vector<Id3Frame> frames;
  BOOST_REQUIRE(core::parseId3Tag(out.messageData, frames, error));
  BOOST_TEST(frames.at(0).value == "x");
}

BOOST_AUTO_TEST_CASE(emsg_v0_and_largesize) {
  Bytes v0 = {0, 0, 0, 0, 'e', 'm', 's', 'g', 0x00, 0x00, 0x00, 0x00};
  append(v0, "urn:x");
  append(v0, {0x00, 0x00});                                      // value ""
  append(v0, {0x00, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x00, 0x05});  // timescale 1000, delta 5
  append(v0, {0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x09});  // duration 100, id 9
  append(v0, {0xAA, 0xBB});
  v0[3] = static_cast<uint8_t>(v0.size());
  core::EmsgBox out;
  std::string error;
  BOOST_REQUIRE_MESSAGE(core::parseEmsg(v0, out, error), error);
  BOOST_TEST(out.version == 0);
  BOOST_TEST(out.schemeIdUri == "urn:x");
  BOOST_TEST(out.value == "");
  BOOST_TEST(out.timescale == 1000u);
  BOOST_TEST(out.presentationTime == 5u);
  BOOST_TEST(out.eventDuration == 100u);
  BOOST_TEST(out.id == 9u);
  BOOST_TEST((out.messageData == Bytes{0xAA, 0xBB}));
  // The same box with a 64-bit largesize, followed by unrelated bytes.
  Bytes large = {0, 0, 0, 1, 'e', 'm', 's', 'g', 0, 0, 0, 0, 0, 0, 0, 0};
  large.insert(large.end(), v0.begin() + 8, v0.end());
  large[15] = static_cast<uint8_t>(large.size());
  append(large, {0x11, 0x22, 0x33});
  BOOST_REQUIRE_MESSAGE(core::parseEmsg(large, out, error), error);
  BOOST_TEST((out.messageData == Bytes{0xAA, 0xBB}));
}

BOOST_AUTO_TEST_CASE(emsg_hostile_inputs) {
  const Bytes data = {1, 2, 3};
  const Bytes box = core::buildEmsgV1(1000, 42, 0, 1, "urn:roomcast", "v", data);
  auto parse = [](const Bytes& b, std::string& error) {
    core::EmsgBox out;
    return core::parseEmsg(b, out, error);
  };
  expectEveryPrefixFails(box, parse);
  fuzzMutations(box, parse);
  auto rejects = [&](const Bytes& b, std::string_view needle) {
    std::string error;
    BOOST_TEST(!parse(b, error));
    BOOST_TEST(error.find(needle) != std::string::npos, error << " lacks " << needle);
  };
  // Missing NUL terminators: the box ends inside scheme_id_uri / value.
  Bytes noSchemeNul = {0, 0, 0, 0, 'e', 'm', 's', 'g', 1, 0, 0, 0};
  noSchemeNul.insert(noSchemeNul.end(), 20, 0x01);
  append(noSchemeNul, "urn:roomcast");
  noSchemeNul[3] = static_cast<uint8_t>(noSchemeNul.size());
  rejects(noSchemeNul, "scheme_id_uri is not NUL-terminated");
  Bytes noValueNul = noSchemeNul;
  append(noValueNul, {0x00, 'v', 'v'});
  noValueNul[3] = static_cast<uint8_t>(noValueNul.size());
  rejects(noValueNul, "value is not NUL-terminated");
  // v0 whose strings are fine but whose numbers are cut.
  Bytes v0Short = {0, 0, 0, 0, 'e', 'm', 's', 'g', 0, 0, 0, 0, 'u', 0, 0, 0, 0, 0};
  v0Short[3] = static_cast<uint8_t>(v0Short.size());
  rejects(v0Short, "truncated fields");
  Bytes wrongType = box;
  wrongType[4] = 'f';
  rejects(wrongType, "not 'emsg'");
  Bytes badVersion = box;
  badVersion[8] = 2;
  rejects(badVersion, "version 2");
  Bytes tooSmall = box;
  tooSmall[3] = 4;
  rejects(tooSmall, "smaller than its header");
  Bytes overrun = box;
  overrun[2] = 0x10;
  rejects(overrun, "overruns input");
  // Builder refuses strings that would break the NUL framing.
  BOOST_TEST(core::buildEmsgV1(1, 0, 0, 0, std::string_view("a\0b", 3), "", data).empty());
  BOOST_TEST(core::buildEmsgV1(1, 0, 0, 0, "urn:a", std::string_view("\0", 1), data).empty());
}

// ---------------- SEI ----------------

BOOST_AUTO_TEST_CASE(sei_emulation_prevention_exact_bytes) {
  const Bytes payload = {0, 0, 0, 0, 0, 1, 0, 0, 3, 0, 0, 2, 0, 0, 4};
  const Bytes nal = core::buildSeiUserDataUnregistered(core::kRoomcastSeiUuid, payload);
  Bytes expected = {0x06, 0x05, 0x1F};  // header, type 5, size 16 + 15
  expected.insert(expected.end(), core::kRoomcastSeiUuid.begin(), core::kRoomcastSeiUuid.end());
  // 00 00 [03] 00 00 [03] 00 01 00 00 [03] 03 00 00 [03] 02 00 00 04, then the stop bit
  append(expected, {0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00,
                    0x03, 0x03, 0x00, 0x00, 0x03, 0x02, 0x00, 0x00, 0x04, 0x80});
  BOOST_TEST(nal == expected, boost::test_tools::per_element());
  BOOST_TEST(!hasUnescapedSequence(nal));
  std::array<uint8_t, 16> uuid{};
  Bytes out;
  std::string error;
  BOOST_REQUIRE_MESSAGE(core::parseSeiUserDataUnregistered(nal, uuid, out, error), error);
  BOOST_TEST(uuid == core::kRoomcastSeiUuid);
  BOOST_TEST(out == payload, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sei_payload_size_coding) {
  struct Case {
    size_t userBytes;
    Bytes sizeCode;
  };
  // payloadSize = 16 + user bytes; each 0xFF adds 255.
  const std::vector<Case> cases = {
      {0, {0x10}},         {238, {0xFE}},       {239, {0xFF, 0x00}}, {240, {0xFF, 0x01}},
      {254, {0xFF, 0x0F}}, {255, {0xFF, 0x10}}, {256, {0xFF, 0x11}}, {600, {0xFF, 0xFF, 0x6A}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("user bytes " << c.userBytes) {
      const Bytes payload(c.userBytes, 0xAB);
      const Bytes nal = core::buildSeiUserDataUnregistered(core::kRoomcastSeiUuid, payload);
      BOOST_REQUIRE(nal.size() == 2 + c.sizeCode.size() + 16 + c.userBytes + 1);
      BOOST_TEST(nal[1] == 0x05);
      BOOST_TEST(Bytes(nal.begin() + 2, nal.begin() + 2 + c.sizeCode.size()) == c.sizeCode,
                 boost::test_tools::per_element());
      BOOST_TEST(nal.back() == 0x80);
      std::array<uint8_t, 16> uuid{};
      Bytes out;
      std::string error;
      BOOST_TEST(core::parseSeiUserDataUnregistered(nal, uuid, out, error), error);
      BOOST_TEST(out == payload);
    }
  }
}

BOOST_AUTO_TEST_CASE(sei_random_round_trips) {
  std::mt19937 rng(99);
  for (int i = 0; i < 300; ++i) {
    Bytes payload(rng() % 700);
    for (uint8_t& b : payload) b = rng() % 3 == 0 ? static_cast<uint8_t>(rng() % 4) : 0;
    std::array<uint8_t, 16> in{};
    for (uint8_t& b : in) b = static_cast<uint8_t>(rng() % 2 ? 0 : rng());
    const Bytes nal = core::buildSeiUserDataUnregistered(in, payload);
    BOOST_TEST(!hasUnescapedSequence(nal));
    std::array<uint8_t, 16> uuid{};
    Bytes out;
    std::string error;
    BOOST_REQUIRE_MESSAGE(core::parseSeiUserDataUnregistered(nal, uuid, out, error), error);
    BOOST_TEST(uuid == in);
    BOOST_TEST(out == payload);
  }
}

BOOST_AUTO_TEST_CASE(sei_finds_type5_after_other_messages) {
  Bytes nal = {0x06, 0x01, 0x03, 0xAA, 0xBB, 0xCC, 0x05, 0x12};  // pic_timing, then type 5
  nal.insert(nal.end(), core::kRoomcastSeiUuid.begin(), core::kRoomcastSeiUuid.end());
  append(nal, {'o', 'k', 0x80});
  std::array<uint8_t, 16> uuid{};
  Bytes out;
  std::string error;
  BOOST_REQUIRE_MESSAGE(core::parseSeiUserDataUnregistered(nal, uuid, out, error), error);
  BOOST_TEST(out == bytesOf("ok"));
}

BOOST_AUTO_TEST_CASE(sei_hostile_inputs) {
  const Bytes payload = {0, 0, 1, 0x42, 0, 0, 0, 0x80};
  const Bytes nal = core::buildSeiUserDataUnregistered(core::kRoomcastSeiUuid, payload);
  auto parse = [](const Bytes& b, std::string& error) {
    std::array<uint8_t, 16> uuid{};
    Bytes out;
    return core::parseSeiUserDataUnregistered(b, uuid, out, error);
  };
  expectEveryPrefixFails(nal, parse);
  fuzzMutations(nal, parse);
  auto rejects = [&](const Bytes& b, std::string_view needle) {
    std::string error;
    BOOST_TEST(!parse(b, error));
    BOOST_TEST(error.find(needle) != std::string::npos, error << " lacks " << needle);
  };
  Bytes idr = nal;
  idr[0] = 0x65;
  rejects(idr, "not SEI");
  Bytes forbidden = nal;
  forbidden[0] = 0x86;
  rejects(forbidden, "not SEI");
  rejects(Bytes{0x06, 0x01, 0x01, 0x00, 0x80}, "no user_data_unregistered");
  rejects(Bytes{0x06, 0x05, 0x02, 0x01, 0x02, 0x80}, "shorter than its 16-byte UUID");
  rejects(Bytes{0x06, 0x05, 0xFF, 0xFF, 0x01, 0x80}, "overruns NAL");
  rejects(Bytes{0x06, 0xFF, 0xFF}, "truncated payload type");
}

// ---------------- WebVTT ----------------

BOOST_AUTO_TEST_CASE(vtt_time_format) {
  BOOST_TEST(core::formatVttTime(0) == "00:00:00.000");
  BOOST_TEST(core::formatVttTime(1) == "00:00:00.001");
  BOOST_TEST(core::formatVttTime(999) == "00:00:00.999");
  BOOST_TEST(core::formatVttTime(61001) == "00:01:01.001");
  BOOST_TEST(core::formatVttTime(3600000) == "01:00:00.000");
  BOOST_TEST(core::formatVttTime(3723004) == "01:02:03.004");
  BOOST_TEST(core::formatVttTime(360000000) == "100:00:00.000");
  BOOST_TEST(core::formatVttTime(-5) == "00:00:00.000");
}

BOOST_AUTO_TEST_CASE(vtt_file_with_and_without_timestamp_map) {
  const std::vector<core::VttCue> cues = {{1000, 2500, "hello <b> & bye"}, {3000, 4000, "x"}};
  const std::string withMap = core::buildWebVtt(cues, 900000, 0);
  BOOST_TEST(withMap ==
             "WEBVTT\n"
             "X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n"
             "\n"
             "00:00:01.000 --> 00:00:02.500\n"
             "hello &lt;b&gt; &amp; bye\n"
             "\n"
             "00:00:03.000 --> 00:00:04.000\n"
             "x\n"
             "\n");
  const std::string noMap = core::buildWebVtt(cues, std::nullopt, 0);
  BOOST_TEST(noMap.find("X-TIMESTAMP-MAP") == std::string::npos);
  BOOST_TEST(noMap.rfind("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n", 0) == 0u);
  const std::vector<core::VttCue> none;
  BOOST_TEST(core::buildWebVtt(none, 123, 4000) ==
             "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:123,LOCAL:00:00:04.000\n\n");
}

BOOST_AUTO_TEST_CASE(vtt_cue_text_never_breaks_the_cue) {
  const std::vector<core::VttCue> cues = {
      {0, 1000, "\nfirst\n\nsecond\r\n\r\n  \nthird --> fourth\n"},
      {2000, 1000, "end before start"},
      {5000, 6000, "\n\n"},
  };
  const std::string vtt = core::buildWebVtt(cues, std::nullopt, 0);
  BOOST_TEST(vtt ==
             "WEBVTT\n\n"
             "00:00:00.000 --> 00:00:01.000\n"
             "first\nsecond\nthird --&gt; fourth\n\n"
             "00:00:02.000 --> 00:00:02.000\n"
             "end before start\n\n"
             "00:00:05.000 --> 00:00:06.000\n\n");
  // Structural check: after the header, blocks separated by one blank line each start
  // with a timing line, and "-->" appears only in timing lines.
  const std::string body = vtt.substr(std::string("WEBVTT\n\n").size());
  size_t start = 0;
  int blocks = 0;
  while (start < body.size()) {
    const size_t end = body.find("\n\n", start);
    BOOST_REQUIRE(end != std::string::npos);
    const std::string block = body.substr(start, end - start);
    const size_t firstNl = block.find('\n');
    const std::string timing = block.substr(0, firstNl);
    BOOST_TEST(timing.find(" --> ") != std::string::npos);
    if (firstNl != std::string::npos) {
      BOOST_TEST(block.substr(firstNl).find("-->") == std::string::npos);
    }
    ++blocks;
    start = end + 2;
  }
  BOOST_TEST(blocks == 3);
}
