#include "core/auth/query_string.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using core::QueryString;

BOOST_AUTO_TEST_CASE(splits_and_decodes) {
  auto q = QueryString::parse("a=1&b=x%20y&c=p+q&d=%2F%3d%C3%A9");
  BOOST_TEST_REQUIRE(q.ok());
  BOOST_TEST(q.params().size() == 4u);
  BOOST_TEST(*q.find("a") == "1");
  BOOST_TEST(*q.find("b") == "x y");
  BOOST_TEST(*q.find("c") == "p q");
  BOOST_TEST(*q.find("d") == "/=\xC3\xA9");
  BOOST_TEST(q.find("e") == nullptr);
}

BOOST_AUTO_TEST_CASE(leading_question_mark_empty_pairs_and_bare_names) {
  auto q = QueryString::parse("?&a&&b=&c==x&");
  BOOST_TEST_REQUIRE(q.ok());
  BOOST_TEST(q.params().size() == 3u);
  BOOST_TEST(*q.find("a") == "");
  BOOST_TEST(*q.find("b") == "");
  BOOST_TEST(*q.find("c") == "=x");  // only the first '=' splits
}

BOOST_AUTO_TEST_CASE(empty_input_is_ok_and_empty) {
  for (const char* s : {"", "?", "&&&"}) {
    auto q = QueryString::parse(s);
    BOOST_TEST(q.ok());
    BOOST_TEST(q.params().empty());
  }
}

BOOST_AUTO_TEST_CASE(duplicates_keep_order_and_count) {
  auto q = QueryString::parse("k=1&x=2&k=3");
  BOOST_TEST_REQUIRE(q.ok());
  BOOST_TEST(*q.find("k") == "1");
  BOOST_TEST(q.count("k") == 2u);
  BOOST_TEST(q.count("x") == 1u);
  BOOST_TEST(q.count("none") == 0u);
  BOOST_TEST(q.params()[2].second == "3");
}

BOOST_AUTO_TEST_CASE(decoded_name_matches) {
  auto q = QueryString::parse("my%20key=v");
  BOOST_TEST_REQUIRE(q.ok());
  BOOST_TEST(*q.find("my key") == "v");
}

BOOST_AUTO_TEST_CASE(rejects_bad_escapes) {
  for (const char* s : {"a=%", "a=%4", "a=%zz", "a=%4g", "a=1&b=x%", "%=1", "a%2=1", "a=%00"}) {
    auto q = QueryString::parse(s);
    BOOST_TEST(!q.ok(), s);
    BOOST_TEST(!q.error().empty());
    BOOST_TEST(q.params().empty());  // nothing half-parsed leaks out
  }
  BOOST_TEST(QueryString::parse("a=%4").error().find("'a'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_empty_name) {
  auto q = QueryString::parse("=x");
  BOOST_TEST(!q.ok());
  BOOST_TEST(q.error().find("empty name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bounded_length) {
  std::string atLimit = "a=" + std::string(QueryString::kMaxLength - 2, 'x');
  BOOST_TEST(QueryString::parse(atLimit).ok());
  auto q = QueryString::parse(atLimit + "x");
  BOOST_TEST(!q.ok());
  BOOST_TEST(q.error().find("too long") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bounded_param_count) {
  std::string s;
  for (size_t i = 0; i < QueryString::kMaxParams; ++i) s += "p" + std::to_string(i) + "=1&";
  BOOST_TEST(QueryString::parse(s).ok());
  BOOST_TEST(QueryString::parse(s).params().size() == QueryString::kMaxParams);
  auto q = QueryString::parse(s + "one=more");
  BOOST_TEST(!q.ok());
  BOOST_TEST(q.error().find("too many") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(binary_bytes_pass_through) {
  std::string raw = "a=\xff\x01";
  auto q = QueryString::parse(raw);
  BOOST_TEST_REQUIRE(q.ok());
  BOOST_TEST(*q.find("a") == "\xff\x01");
}

BOOST_AUTO_TEST_CASE(percent_decode_without_plus) {
  std::string out;
  BOOST_TEST(core::percentDecode("a+b%2B", out, false));
  BOOST_TEST(out == "a+b+");
  BOOST_TEST(core::percentDecode("a+b%2B", out, true));
  BOOST_TEST(out == "a b+");
  BOOST_TEST(!core::percentDecode("%%", out));
}
