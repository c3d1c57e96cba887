#include "core/format/amf0.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using core::Amf0Decoder;
using core::Amf0Property;
using core::Amf0Type;
using core::Amf0Value;
using core::ByteReader;
using core::ByteWriter;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes encode(const Amf0Value& v) {
  ByteWriter w;
  core::encodeAmf0(v, w);
  return w.take();
}

Amf0Value roundTrip(const Amf0Value& v) {
  const Bytes bytes = encode(v);
  auto result = Amf0Decoder::decodeAll(bytes);
  BOOST_REQUIRE_MESSAGE(result.ok(), result.error);
  BOOST_REQUIRE_EQUAL(result.values.size(), 1u);
  return result.values[0];
}

void append(Bytes& out, std::initializer_list<uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void appendText(Bytes& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

// A hand-written AMF0 short string body (u16 length + bytes), no marker.
void appendUtf8(Bytes& out, std::string_view text) {
  append(out, {uint8_t(text.size() >> 8), uint8_t(text.size())});
  appendText(out, text);
}

Amf0Value nestedSample() {
  Amf0Value inner = Amf0Value::object({{"codec", "avc1"}, {"width", 1280}, {"ok", true}});
  Amf0Value array = Amf0Value::strictArray(
      {1, "two", inner, Amf0Value::null(), Amf0Value::strictArray({Amf0Value::undefined()})});
  return Amf0Value::object({{"list", array},
                            {"meta", Amf0Value::ecmaArray({{"duration", 0.0}, {"inner", inner}})},
                            {"when", Amf0Value::date(1700000000123.0, -120)},
                            {"doc", Amf0Value::xml("<a b=\"1\"/>")},
                            {"typed", Amf0Value::typedObject("flash.Foo", {{"x", 1.5}})}});
}

}  // namespace

BOOST_AUTO_TEST_CASE(scalars_round_trip) {
  for (double n : {0.0, 1.0, -1.5, 1e300, 3.141592653589793, -0.0}) {
    Amf0Value back = roundTrip(n);
    BOOST_CHECK(back.isNumber());
    BOOST_CHECK_EQUAL(back.asNumber(), n);
  }
  BOOST_CHECK(roundTrip(true).asBool() == true);
  BOOST_CHECK(roundTrip(false).isBool());
  BOOST_CHECK(roundTrip(Amf0Value::null()).isNull());
  BOOST_CHECK(roundTrip(Amf0Value::undefined()).isUndefined());
  BOOST_CHECK_EQUAL(roundTrip("").asString("x"), "");
  const std::string utf8 = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\xA5";
  BOOST_CHECK_EQUAL(roundTrip(utf8).asString(), utf8);
}

BOOST_AUTO_TEST_CASE(exact_encodings) {
  BOOST_CHECK(encode(1.0) == (Bytes{0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0}));
  BOOST_CHECK(encode(true) == (Bytes{0x01, 0x01}));
  BOOST_CHECK(encode("ab") == (Bytes{0x02, 0x00, 0x02, 'a', 'b'}));
  BOOST_CHECK(encode(Amf0Value::null()) == (Bytes{0x05}));
  BOOST_CHECK(encode(Amf0Value::object({{"a", Amf0Value::null()}})) ==
              (Bytes{0x03, 0x00, 0x01, 'a', 0x05, 0x00, 0x00, 0x09}));
  BOOST_CHECK(encode(Amf0Value::ecmaArray({})) == (Bytes{0x08, 0, 0, 0, 0, 0x00, 0x00, 0x09}));
  BOOST_CHECK(encode(Amf0Value::strictArray({true})) == (Bytes{0x0A, 0, 0, 0, 1, 0x01, 0x01}));
  BOOST_CHECK(encode(Amf0Value::date(0, -60)) == (Bytes{0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xC4}));
}

BOOST_AUTO_TEST_CASE(nested_structures_round_trip) {
  const Amf0Value sample = nestedSample();
  const Amf0Value back = roundTrip(sample);
  BOOST_CHECK_MESSAGE(back == sample, back.describe());
  const Amf0Value* list = back.find("list");
  BOOST_REQUIRE(list);
  BOOST_REQUIRE_EQUAL(list->items().size(), 5u);
  BOOST_CHECK_EQUAL(list->items()[2].find("codec")->asString(), "avc1");
  BOOST_CHECK_EQUAL(list->items()[2].find("width")->asNumber(), 1280);
  BOOST_CHECK(back.find("meta")->type() == Amf0Type::EcmaArray);
  BOOST_CHECK_EQUAL(back.find("meta")->find("inner")->find("ok")->asBool(), true);
  BOOST_CHECK_EQUAL(back.find("when")->asNumber(), 1700000000123.0);
  BOOST_CHECK_EQUAL(back.find("when")->timezone(), -120);
  BOOST_CHECK(back.find("doc")->type() == Amf0Type::Xml);
  BOOST_CHECK_EQUAL(back.find("typed")->className(), "flash.Foo");
  BOOST_CHECK_EQUAL(back.find("typed")->find("x")->asNumber(), 1.5);
  BOOST_CHECK(back.find("absent") == nullptr);
}

BOOST_AUTO_TEST_CASE(long_string_uses_long_marker) {
  const std::string big(70000, 'z');
  const Bytes bytes = encode(big);
  BOOST_CHECK_EQUAL(bytes[0], 0x0C);
  BOOST_CHECK_EQUAL(bytes.size(), 1u + 4u + big.size());
  BOOST_CHECK_EQUAL(bytes[1] << 24 | bytes[2] << 16 | bytes[3] << 8 | bytes[4], 70000);
  BOOST_CHECK_EQUAL(roundTrip(big).asString(), big);
  // Exactly 65535 still fits a short string.
  BOOST_CHECK_EQUAL(encode(std::string(65535, 'a'))[0], 0x02);
}

BOOST_AUTO_TEST_CASE(helpers_and_fallbacks) {
  Amf0Value status = Amf0Value::object({{"level", "status"}, {"code", "NetStream.Publish.Start"}});
  BOOST_CHECK_EQUAL(status.find("code")->asString(), "NetStream.Publish.Start");
  BOOST_CHECK_EQUAL(status.find("level")->asNumber(7), 7);
  BOOST_CHECK_EQUAL(Amf0Value(2.0).asString("fb"), "fb");
  BOOST_CHECK_EQUAL(Amf0Value(2.0).asBool(), true);
  BOOST_CHECK_EQUAL(Amf0Value("x").asBool(true), true);
  BOOST_CHECK(Amf0Value(3).find("k") == nullptr);
  status.set("code", "changed");
  status.set("extra", 5);
  BOOST_CHECK_EQUAL(status.find("code")->asString(), "changed");
  BOOST_CHECK_EQUAL(status.properties().size(), 3u);
  BOOST_CHECK_EQUAL(status.properties()[2].key, "extra");
  Amf0Value fresh;
  fresh.set("a", 1);
  BOOST_CHECK(fresh.type() == Amf0Type::Object);
  BOOST_CHECK_EQUAL(Amf0Value::object({{"a", 1}, {"b", "c"}}).describe(), R"({"a":1,"b":"c"})");
}

BOOST_AUTO_TEST_CASE(ffmpeg_connect_command_decodes) {
  Bytes msg;
  append(msg, {0x02});
  appendUtf8(msg, "connect");
  append(msg, {0x00, 0x3F, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});  // 1.0
  append(msg, {0x03});
  appendUtf8(msg, "app");
  append(msg, {0x02});
  appendUtf8(msg, "live");
  appendUtf8(msg, "type");
  append(msg, {0x02});
  appendUtf8(msg, "nonprivate");
  appendUtf8(msg, "flashVer");
  append(msg, {0x02});
  appendUtf8(msg, "FMLE/3.0 (compatible; Lavf59.27.100)");
  appendUtf8(msg, "tcUrl");
  append(msg, {0x02});
  appendUtf8(msg, "rtmp://127.0.0.1:1935/live");
  append(msg, {0x00, 0x00, 0x09});

  auto result = Amf0Decoder::decodeAll(msg);
  BOOST_REQUIRE_MESSAGE(result.ok(), result.error);
  BOOST_REQUIRE_EQUAL(result.values.size(), 3u);
  BOOST_CHECK_EQUAL(result.values[0].asString(), "connect");
  BOOST_CHECK_EQUAL(result.values[1].asNumber(), 1.0);
  const Amf0Value& obj = result.values[2];
  BOOST_CHECK(obj.type() == Amf0Type::Object);
  BOOST_CHECK_EQUAL(obj.properties().size(), 4u);
  BOOST_CHECK_EQUAL(obj.find("app")->asString(), "live");
  BOOST_CHECK_EQUAL(obj.find("type")->asString(), "nonprivate");
  BOOST_CHECK_EQUAL(obj.find("flashVer")->asString(), "FMLE/3.0 (compatible; Lavf59.27.100)");
  BOOST_CHECK_EQUAL(obj.find("tcUrl")->asString(), "rtmp://127.0.0.1:1935/live");
  // Our encoder produces the same bytes.
  BOOST_CHECK(core::encodeAmf0All(result.values) == msg);
}

BOOST_AUTO_TEST_CASE(ecma_array_count_is_only_a_hint) {
  for (uint8_t count : {0, 1, 2, 200}) {
    Bytes msg;
    append(msg, {0x08, 0, 0, 0, count});
    appendUtf8(msg, "duration");
    append(msg, {0x00, 0x40, 0x24, 0, 0, 0, 0, 0, 0});  // 10.0
    appendUtf8(msg, "encoder");
    append(msg, {0x02});
    appendUtf8(msg, "Lavf");
    append(msg, {0x00, 0x00, 0x09});
    auto result = Amf0Decoder::decodeAll(msg);
    BOOST_REQUIRE_MESSAGE(result.ok(), result.error);
    BOOST_REQUIRE_EQUAL(result.values.size(), 1u);
    BOOST_CHECK(result.values[0].type() == Amf0Type::EcmaArray);
    BOOST_CHECK_EQUAL(result.values[0].properties().size(), 2u);
    BOOST_CHECK_EQUAL(result.values[0].find("duration")->asNumber(), 10.0);
  }
}

BOOST_AUTO_TEST_CASE(reference_and_unsupported_markers) {
  auto result = Amf0Decoder::decodeAll(Bytes{0x07, 0x00, 0x03, 0x0D});
  BOOST_REQUIRE_MESSAGE(result.ok(), result.error);
  BOOST_CHECK_EQUAL(result.values[0].asNumber(), 3.0);
  BOOST_CHECK(result.values[1].isUndefined());
}

BOOST_AUTO_TEST_CASE(truncation_at_every_offset_is_rejected) {
  std::vector<Amf0Value> samples = {nestedSample(), Amf0Value("hello"), Amf0Value(4.0),
                                    Amf0Value(std::string(70000, 'q')), true};
  for (const auto& sample : samples) {
    const Bytes bytes = encode(sample);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      ByteReader reader(std::span<const uint8_t>(bytes.data(), cut));
      Amf0Value out;
      std::string error;
      const bool ok = core::decodeAmf0(reader, out, &error);
      BOOST_REQUIRE_MESSAGE(!ok, "accepted a cut at " << cut << " of " << bytes.size());
      BOOST_REQUIRE(!error.empty());
      BOOST_REQUIRE(reader.position() <= cut);
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_name_the_problem) {
  auto bad = Amf0Decoder::decodeAll(Bytes{0x02, 0x00, 0x05, 'a', 'b'});
  BOOST_CHECK(!bad.ok());
  BOOST_CHECK(bad.values.empty());
  BOOST_CHECK_MESSAGE(bad.error.find("truncated string") != std::string::npos, bad.error);

  auto marker = Amf0Decoder::decodeAll(Bytes{0x05, 0x42});
  BOOST_CHECK_MESSAGE(marker.error.find("unknown marker 0x42") != std::string::npos, marker.error);
  BOOST_CHECK(!Amf0Decoder::decodeAll(Bytes{0x11, 0x02}).ok());  // AMF3 switch
  BOOST_CHECK(!Amf0Decoder::decodeAll(Bytes{0x04}).ok());        // MovieClip reserved
  BOOST_CHECK(!Amf0Decoder::decodeAll(Bytes{0x09}).ok());        // stray object-end
  // Empty key not followed by object-end.
  BOOST_CHECK(!Amf0Decoder::decodeAll(Bytes{0x03, 0x00, 0x00, 0x05}).ok());
  // Strict array claiming far more items than bytes.
  auto lie = Amf0Decoder::decodeAll(Bytes{0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x05});
  BOOST_CHECK_MESSAGE(lie.error.find("strict array count") != std::string::npos, lie.error);
  // Long string claiming 4 GiB.
  BOOST_CHECK(!Amf0Decoder::decodeAll(Bytes{0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}).ok());
  BOOST_CHECK(Amf0Decoder::decodeAll(Bytes{}).ok());  // an empty message has no values
}

BOOST_AUTO_TEST_CASE(depth_bomb_is_rejected) {
  // 100000 nested strict arrays of one element each, then a null.
  Bytes bomb;
  for (int i = 0; i < 100000; ++i) append(bomb, {0x0A, 0, 0, 0, 1});
  bomb.push_back(0x05);
  auto result = Amf0Decoder::decodeAll(bomb);
  BOOST_CHECK_MESSAGE(result.error.find("nesting deeper than 64") != std::string::npos,
                      result.error);
  // Objects nest the same way.
  Bytes objects;
  for (int i = 0; i < 1000; ++i) {
    append(objects, {0x03});
    appendUtf8(objects, "k");
  }
  objects.push_back(0x05);
  BOOST_CHECK(!Amf0Decoder::decodeAll(objects).ok());
  // Exactly at the limit is fine.
  Amf0Value deep = Amf0Value::null();
  for (int i = 0; i < 64; ++i) deep = Amf0Value::strictArray({deep});
  BOOST_CHECK(Amf0Decoder::decodeAll(encode(deep)).ok());
  deep = Amf0Value::strictArray({deep});
  BOOST_CHECK(!Amf0Decoder::decodeAll(encode(deep)).ok());
}

BOOST_AUTO_TEST_CASE(value_count_limit) {
  Amf0Value wide = Amf0Value::strictArray(std::vector<Amf0Value>(1000, Amf0Value::null()));
  core::Amf0Limits limits;
  limits.maxValues = 500;
  auto result = Amf0Decoder::decodeAll(encode(wide), limits);
  BOOST_CHECK_MESSAGE(result.error.find("more than 500 values") != std::string::npos, result.error);
  BOOST_CHECK(Amf0Decoder::decodeAll(encode(wide)).ok());
}

BOOST_AUTO_TEST_CASE(mutated_input_never_crashes) {
  // Every byte of a rich encoding replaced by a few interesting values: the decoder
  // must either succeed or report an error, and a success must re-encode cleanly.
  const Bytes good = encode(nestedSample());
  size_t rejected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t replacement : {0x00, 0x03, 0x09, 0x0A, 0x7F, 0xFF}) {
      Bytes bad = good;
      bad[i] = replacement;
      auto result = Amf0Decoder::decodeAll(bad);
      if (!result.ok()) {
        ++rejected;
        BOOST_REQUIRE(result.values.empty());
      } else {
        BOOST_REQUIRE(!result.values.empty());
      }
    }
  }
  BOOST_CHECK_GT(rejected, good.size());
}
