#include "core/format/json_text.hpp"

#include <boost/test/unit_test.hpp>

using nlohmann::json;

namespace {

const std::vector<json> kObjects = {
    json::object(),
    json::parse(R"({"event":"message","room":"live/demo","seq":1,"time":5,"priority":"High",)"
                R"("from":{"id":"a","nick":"a"},"body":{"text":"}{][\",:\\ \"room\":1 弾幕 🎉"}})"),
    json{{"we\"ird\\key", {{"room", 1}}}, {std::string("ctl\x01"), 0}, {"é", nullptr}},
    json{{"bad", std::string("\xff\xfe")}, {std::string("k\xe3\x81"), 1.5}, {"list", {1, "a", {}}}},
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_indexed_dump_is_the_dump_and_finds_each_member) {
  for (const json& object : kObjects) {
    BOOST_TEST_CONTEXT(core::dumpJson(object)) {
      core::JsonMemberIndex index;
      const std::string text = core::dumpJsonIndexed(object, index);
      BOOST_TEST(text == core::dumpJson(object));
      BOOST_REQUIRE(index.count == object.size());
      size_t i = 0;
      for (auto it = object.begin(); it != object.end(); ++it, ++i) {
        const auto& span = index.spans[i];
        const std::string member =
            core::dumpJson(json(it.key())) + ":" + core::dumpJson(it.value());
        BOOST_TEST(text.substr(span.begin, span.end - span.begin) == member);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(no_index_for_too_many_members_or_no_object) {
  json wide = json::object();
  for (size_t i = 0; i <= core::JsonMemberIndex::kMax; ++i) wide["k" + std::to_string(i)] = i;
  core::JsonMemberIndex index;
  index.count = 3;
  BOOST_TEST(core::dumpJsonIndexed(wide, index) == core::dumpJson(wide));
  BOOST_TEST(index.count == 0u);
  index.count = 3;
  BOOST_TEST(core::dumpJsonIndexed(json::array({1, 2}), index) == "[1,2]");
  BOOST_TEST(index.count == 0u);
}

BOOST_AUTO_TEST_CASE(verbatim_is_what_the_dump_leaves_as_it_is) {
  for (const std::string& text :
       {std::string("plain ascii ~\x7f"), std::string("弾幕 ¡olé! 𝄞 \xef\xbf\xbf"), std::string(""),
        std::string("q\""), std::string("b\\"), std::string("c\x1f"), std::string("\xc0\x80"),
        std::string("\xc1\xbf"), std::string("\xe0\x9f\xbf"), std::string("\xed\xa0\x80"),
        std::string("\xed\x9f\xbf"), std::string("\xf0\x8f\xbf\xbf"),
        std::string("\xf4\x90\x80\x80"), std::string("\xf4\x8f\xbf\xbf"),
        std::string("\xf5\x80\x80\x80"), std::string("a\x80"), std::string("\xe3\x81"),
        std::string("\xe3\x81\x41"), std::string("\xf0\x9d\x84\x41")}) {
    const bool unchanged = core::dumpJson(json(text)) == "\"" + text + "\"";
    BOOST_TEST(core::jsonVerbatim(text) == unchanged, core::dumpJson(json(text)));
  }
}

namespace {

std::string nested(size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

}  // namespace

BOOST_AUTO_TEST_CASE(nesting_counts_arrays_and_objects_outside_strings) {
  BOOST_TEST(core::jsonNesting("") == 0u);
  BOOST_TEST(core::jsonNesting("17") == 0u);
  BOOST_TEST(core::jsonNesting("[]") == 1u);
  BOOST_TEST(core::jsonNesting(R"({"a":[1,{"b":[]}],"c":{}})") == 4u);
  BOOST_TEST(core::jsonNesting(R"(["[[[[", "\"[[[", "\\", {"}}}": "{{{"}])") == 2u);
  BOOST_TEST(core::jsonNesting(R"(["unterminated [[[[)") == 1u);
  BOOST_TEST(core::jsonNesting(R"(["ends in a backslash \)") == 1u);
  BOOST_TEST(core::jsonNesting("]]]][[") == 2u);  // malformed: some number, no underflow
}

BOOST_AUTO_TEST_CASE(nesting_stops_counting_past_the_limit) {
  BOOST_TEST(core::jsonNesting(nested(64)) == 64u);
  BOOST_TEST(core::jsonNesting(nested(65)) == 65u);
  BOOST_TEST(core::jsonNesting(nested(1000000), 10) == 11u);
}

BOOST_AUTO_TEST_CASE(read_json_bounds_depth_and_size_before_parsing) {
  // The issue's document: 65,000 levels. Copying or dumping its value would
  // overflow the stack; it is refused before it becomes one.
  auto deep = core::readJson(nested(65000), 1 << 20);
  BOOST_TEST(!deep.ok());
  BOOST_TEST((deep.status == core::JsonRead::Status::TooDeep));
  BOOST_TEST(deep.error == "nested deeper than 64 levels");
  BOOST_TEST(deep.value.is_discarded());
  auto objects = core::readJson(R"({"x":)" + nested(100, '{', '}') + "}", 1 << 20);
  BOOST_TEST((objects.status == core::JsonRead::Status::TooDeep));

  auto large = core::readJson(R"({"text":")" + std::string(100, 'x') + R"("})", 64);
  BOOST_TEST((large.status == core::JsonRead::Status::TooLarge));
  BOOST_TEST(large.error == "larger than 64 bytes");

  auto bad = core::readJson("{\"a\":", 1 << 20);
  BOOST_TEST((bad.status == core::JsonRead::Status::Malformed));
  BOOST_TEST(!bad.error.empty());
  BOOST_TEST((core::readJson("\"\xff\"", 64).status == core::JsonRead::Status::Malformed));

  // At the limit: read, and safe to copy and dump.
  auto edge = core::readJson(nested(core::kMaxJsonDepth), 1 << 20);
  BOOST_REQUIRE(edge.ok());
  const json copy = edge.value;
  BOOST_TEST(core::dumpJson(copy) == nested(core::kMaxJsonDepth));
  auto custom = core::readJson(nested(3), 64, 2);
  BOOST_TEST((custom.status == core::JsonRead::Status::TooDeep));
  BOOST_TEST(custom.error == "nested deeper than 2 levels");
}
