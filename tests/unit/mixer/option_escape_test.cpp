#include "mixer/option_escape.hpp"

#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <random>
#include <string>

#include "mixer/overlay_set.hpp"

extern "C" {
#include <libavutil/log.h>
#include <libavutil/opt.h>
}

using mixer::escapeOptionValue;
using mixer::joinOptions;

// The round trip runs through libavutil's own parser: av_set_options_string(ctx, arg,
// "=", ":") is how FFmpeg 5.1's drawtext reads a "reinit" argument, on an object
// with drawtext's option names.
namespace {

struct FakeDrawtext {
  const AVClass* avClass = nullptr;
  char* text = nullptr;
  char* textfile = nullptr;
  char* fontfile = nullptr;
  char* x = nullptr;
  char* y = nullptr;
  char* fontsize = nullptr;
  char* fontcolor = nullptr;
  char* alpha = nullptr;
  char* box = nullptr;
  char* boxcolor = nullptr;
  char* boxborderw = nullptr;
};

#define FAKE_STRING_OPTION(name)                                                          \
  AVOption {                                                                              \
#name, nullptr, static_cast < int>(offsetof(FakeDrawtext, name)), AV_OPT_TYPE_STRING, \
        {.str = nullptr }, 0, 0, AV_OPT_FLAG_FILTERING_PARAM, nullptr                     \
  }

const AVOption kFakeOptions[] = {
    FAKE_STRING_OPTION(text),      FAKE_STRING_OPTION(textfile),   FAKE_STRING_OPTION(fontfile),
    FAKE_STRING_OPTION(x),         FAKE_STRING_OPTION(y),          FAKE_STRING_OPTION(fontsize),
    FAKE_STRING_OPTION(fontcolor), FAKE_STRING_OPTION(alpha),      FAKE_STRING_OPTION(box),
    FAKE_STRING_OPTION(boxcolor),  FAKE_STRING_OPTION(boxborderw), AVOption{}};

const AVClass* fakeClass() {
  static const AVClass c = [] {
    AVClass k{};
    k.class_name = "fake_drawtext";
    k.item_name = av_default_item_name;
    k.option = kFakeOptions;
    k.version = LIBAVUTIL_VERSION_INT;
    return k;
  }();
  return &c;
}

struct Parsed {
  int count = 0;  // pairs set, or a negative AVERROR
  std::string text;
  bool textfileSet = false;
  bool fontfileSet = false;
  std::string x;
  std::string y;
  std::string fontcolor;
};

Parsed parseOptions(const std::string& arg) {
  av_log_set_level(AV_LOG_QUIET);
  FakeDrawtext obj;
  obj.avClass = fakeClass();
  av_opt_set_defaults(&obj);
  Parsed p;
  p.count = av_set_options_string(&obj, arg.c_str(), "=", ":");
  if (obj.text) p.text = obj.text;
  p.textfileSet = obj.textfile != nullptr;
  p.fontfileSet = obj.fontfile != nullptr;
  if (obj.x) p.x = obj.x;
  if (obj.y) p.y = obj.y;
  if (obj.fontcolor) p.fontcolor = obj.fontcolor;
  av_opt_free(&obj);
  return p;
}

// "text=<escaped>:x=10" read back: exactly two options, the text as given.
void checkRoundTrip(const std::string& value) {
  Parsed p = parseOptions("text=" + escapeOptionValue(value) + ":x=10");
  BOOST_TEST_CONTEXT("value [" << value << "] escaped [" << escapeOptionValue(value) << "]") {
    BOOST_TEST(p.count == 2);
    BOOST_TEST(p.text == value);
    BOOST_TEST(p.x == "10");
    BOOST_TEST(!p.textfileSet);
    BOOST_TEST(!p.fontfileSet);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_special_character_round_trips_through_libavutil) {
  for (const char* v : {":",     "'",          "\\",           "=",          ",",         ";",
                        "[",     "]",          "a:b",          "it's",       "C:\\dir\\", "x=1",
                        "a,b;c", "[in][out]",  "%{localtime}", "%{pts:hms}", "''",        "'a'",
                        "\\'",   "trailing\\", "\\\\:",        "100%"}) {
    checkRoundTrip(v);
  }
}

BOOST_AUTO_TEST_CASE(newlines_and_edge_whitespace_are_kept) {
  for (const char* v :
       {"line one\nline two", "\nstarts with a newline", "ends with one\n",
        "  two spaces both sides  ", " ", "\t tab \t", "\r\n", "a \n b", "  %{localtime} \n"}) {
    checkRoundTrip(v);
  }
}

BOOST_AUTO_TEST_CASE(hostile_text_cannot_set_another_option) {
  const std::string hostile = "a:textfile=/etc/passwd";
  checkRoundTrip(hostile);
  checkRoundTrip("x:fontfile=/etc/shadow:textfile=/etc/passwd");
  checkRoundTrip("'\\':textfile='/etc/passwd");
  // The same text unescaped does set textfile: the check above can fail.
  Parsed raw = parseOptions("text=" + hostile);
  BOOST_TEST(raw.textfileSet);
  BOOST_TEST(raw.text == "a");
}

BOOST_AUTO_TEST_CASE(utf8_and_empty_values_round_trip) {
  checkRoundTrip("ライブ配信中");
  checkRoundTrip("直播：第1场 'live'");
  checkRoundTrip("");
}

BOOST_AUTO_TEST_CASE(escaping_is_minimal_and_predictable) {
  BOOST_TEST(escapeOptionValue("plain text") == "plain text");
  BOOST_TEST(escapeOptionValue("a:b") == "a\\:b");
  BOOST_TEST(escapeOptionValue("it's") == "it\\'s");
  BOOST_TEST(escapeOptionValue(" x ") == "\\ x\\ ");
  BOOST_TEST(escapeOptionValue("a\nb") == "a\nb");
}

BOOST_AUTO_TEST_CASE(nul_bytes_are_left_out_not_truncating) {
  std::string withNul("ab\0:textfile=/etc/passwd", 24);
  std::string escaped = escapeOptionValue(withNul);
  BOOST_TEST(escaped.find('\0') == std::string::npos);
  Parsed p = parseOptions("text=" + escaped + ":x=10");
  BOOST_TEST(p.count == 2);
  BOOST_TEST(p.text == "ab:textfile=/etc/passwd");
  BOOST_TEST(!p.textfileSet);
}

BOOST_AUTO_TEST_CASE(random_strings_of_special_characters_round_trip) {
  const std::string alphabet = ":'\\=,;[] \n\t\ra%{}";
  std::mt19937 rng(16);
  std::uniform_int_distribution<size_t> len(0, 12), pick(0, alphabet.size() - 1);
  for (int i = 0; i < 3000; ++i) {
    std::string v;
    for (size_t n = len(rng); n > 0; --n) v.push_back(alphabet[pick(rng)]);
    checkRoundTrip(v);
  }
}

BOOST_AUTO_TEST_CASE(join_escapes_values_and_refuses_odd_keys) {
  std::string joined =
      joinOptions({{"text", "a:textfile=/etc/passwd"}, {"x", "w-tw-24"}, {"textfile=/x:y", "z"}});
  BOOST_TEST(joined == "text=a\\:textfile\\=/etc/passwd:x=w-tw-24");
  Parsed p = parseOptions(joined);
  BOOST_TEST(p.count == 2);
  BOOST_TEST(p.text == "a:textfile=/etc/passwd");
  BOOST_TEST(p.x == "w-tw-24");
  BOOST_TEST(!p.textfileSet);
}

BOOST_AUTO_TEST_CASE(an_overlay_reinit_argument_sets_the_text_literally) {
  mixer::OverlaySpec t;
  t.id = "title";
  t.type = mixer::OverlayType::Text;
  t.text = "old";
  mixer::OverlaySet set({1280, 720}, {t});
  const std::string hostile = " 'a':textfile=/etc/passwd:x=0\\ %{localtime}\nnext line ";
  t.text = hostile;
  t.color = "#FF000080";
  t.box = mixer::TextBox{"#000000", 4};
  t.anchor = mixer::Anchor::BottomRight;
  auto change = set.update({t});
  BOOST_REQUIRE(change.commands.size() == 1u);
  BOOST_TEST(change.commands[0].command == "reinit");
  Parsed p = parseOptions(change.commands[0].argument);
  BOOST_TEST(p.count == 9);  // text fontsize fontcolor alpha box boxcolor boxborderw x y
  BOOST_TEST(p.text == hostile);
  BOOST_TEST(!p.textfileSet);
  BOOST_TEST(!p.fontfileSet);
  BOOST_TEST(p.fontcolor == "0xFF000080");
  BOOST_TEST(p.x == "w-tw-0");
  BOOST_TEST(p.y == "h-th-0");
}
