#include "protocols/webrtc/sdp_session.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <random>
#include <sstream>

using webrtc::SdpSession;

namespace {

std::string readOffer(const std::string& name) {
  std::ifstream in(std::string(ROOMCAST_SOURCE_DIR) + "tests/unit/protocols/webrtc/sdp/" + name,
                   std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* const kMinimal =
    "v=0\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "a=group:BUNDLE 0 1\n"
    "a=extmap-allow-mixed\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\n"
    "c=IN IP4 0.0.0.0\n"
    "a=mid:0\n"
    "a=rtcp-mux\n"
    "a=rtpmap:111 opus/48000/2\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 96\n"
    "a=mid:1\n"
    "a=bundle-only\n"
    "a=rtpmap:96 H264/90000\n";

// The text with line `n` (1-based) replaced.
std::string withLine(std::string text, int n, const std::string& line) {
  size_t start = 0;
  for (int i = 1; i < n; ++i) start = text.find('\n', start) + 1;
  const size_t end = text.find('\n', start);
  return text.replace(start, end - start, line);
}

std::string errorOf(const std::string& text) {
  std::string error;
  auto s = SdpSession::parse(text, error);
  BOOST_CHECK_MESSAGE(!s, "parsed: " << text);
  BOOST_CHECK(!error.empty());
  return error;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parses_sections_with_their_attributes_in_order) {
  std::string error;
  auto s = SdpSession::parse(kMinimal, error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_CHECK_EQUAL(s->origin, "- 4611731400430051336 2 IN IP4 127.0.0.1");
  BOOST_REQUIRE_EQUAL(s->attributes.size(), 2u);
  BOOST_CHECK_EQUAL(s->attributes[0].first, "group");
  BOOST_CHECK_EQUAL(s->attributes[0].second, "BUNDLE 0 1");
  BOOST_CHECK(s->has("extmap-allow-mixed"));
  BOOST_REQUIRE_EQUAL(s->media.size(), 2u);
  const auto& a = s->media[0];
  BOOST_CHECK_EQUAL(a.kind, "audio");
  BOOST_CHECK_EQUAL(a.port, 9);
  BOOST_CHECK_EQUAL(a.proto, "UDP/TLS/RTP/SAVPF");
  BOOST_CHECK((a.formats == std::vector<std::string>{"111", "63"}));
  BOOST_CHECK_EQUAL(a.connection, "IN IP4 0.0.0.0");
  BOOST_CHECK_EQUAL(a.line, 7);
  BOOST_REQUIRE_EQUAL(a.attributes.size(), 4u);
  BOOST_CHECK_EQUAL(a.attributes[0].first, "mid");
  BOOST_CHECK_EQUAL(a.attributes[1].first, "rtcp-mux");
  BOOST_CHECK_EQUAL(a.attributes[1].second, "");
  BOOST_CHECK_EQUAL(a.attributes[3].second, "111 minptime=10;useinbandfec=1");
  BOOST_CHECK_EQUAL(a.mid(), "0");
  const auto& v = s->media[1];
  BOOST_CHECK_EQUAL(v.port, 0);
  BOOST_CHECK(v.has("bundle-only"));
  BOOST_CHECK_EQUAL(v.mid(), "1");
  BOOST_CHECK(!v.has("rtcp-mux"));
}

BOOST_AUTO_TEST_CASE(crlf_and_lf_give_the_same_description_and_serialize_round_trips) {
  std::string crlf;
  for (const char* p = kMinimal; *p; ++p)
    crlf += (*p == '\n') ? std::string("\r\n") : std::string(1, *p);
  std::string e1, e2, e3;
  auto lf = SdpSession::parse(kMinimal, e1);
  auto cr = SdpSession::parse(crlf, e2);
  BOOST_REQUIRE(lf && cr);
  BOOST_CHECK_EQUAL(lf->serialize(), cr->serialize());
  BOOST_CHECK_EQUAL(lf->serialize(), crlf);  // CRLF out, same lines, same order
  auto again = SdpSession::parse(lf->serialize(), e3);
  BOOST_REQUIRE(again);
  BOOST_CHECK_EQUAL(again->serialize(), lf->serialize());
}

BOOST_AUTO_TEST_CASE(real_offers_parse_and_round_trip) {
  for (const char* name : {"chromium_whip_offer.sdp", "chromium_whep_offer.sdp",
                           "gstreamer_whip_offer.sdp", "libdatachannel_whip_offer.sdp"}) {
    BOOST_TEST_CONTEXT(name) {
      std::string error;
      auto s = SdpSession::parse(readOffer(name), error);
      BOOST_REQUIRE_MESSAGE(s, error);
      BOOST_CHECK_GE(s->media.size(), 2u);
      auto again = SdpSession::parse(s->serialize(), error);
      BOOST_REQUIRE_MESSAGE(again, error);
      BOOST_CHECK_EQUAL(again->serialize(), s->serialize());
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_name_the_line) {
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 1, "v=1")), "line 1: expected v=0 first");
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 5, "garbage")), "line 5: expected <type>=<value>");
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 5, "A=x")),
                    "line 5: type must be a lower-case letter");
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 5, "q=x")), "line 5: unknown type 'q='");
  BOOST_CHECK(errorOf(withLine(kMinimal, 7, "m=audio 70000 UDP/TLS/RTP/SAVPF 111"))
                  .starts_with("line 7: m=: port '70000'"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 7, "m=audio 9 UDP/TLS/RTP/SAVPF"))
                  .starts_with("line 7: m=: expected"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 11, "a=rtpmap:300 opus/48000/2"))
                  .starts_with("line 11: a=rtpmap: payload type '300'"));
  BOOST_CHECK(
      errorOf(withLine(kMinimal, 11, "a=rtpmap:111 opus")).starts_with("line 11: a=rtpmap"));
  BOOST_CHECK(
      errorOf(withLine(kMinimal, 11, "a=rtpmap:111 opus/x/2")).starts_with("line 11: a=rtpmap"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 12, "a=fmtp:")).starts_with("line 12: a=fmtp"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 12, "a=rtcp-fb:111")).starts_with("line 12: a=rtcp-fb"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 12, "a=extmap:0 urn:x")).starts_with("line 12: a=extmap"));
  BOOST_CHECK(
      errorOf(withLine(kMinimal, 12, "a=ssrc:4294967296 cname:x")).starts_with("line 12: a=ssrc"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 12, "a=fingerprint:sha-256 AB:CD:E"))
                  .starts_with("line 12: a=fingerprint"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 12, "a=fingerprint:sha-256 AB;CD"))
                  .starts_with("line 12: a=fingerprint"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 12, "a=setup:both")).starts_with("line 12: a=setup"));
  BOOST_CHECK(errorOf(withLine(kMinimal, 12, "a=ice-pwd:short")).starts_with("line 12: a=ice-pwd"));
  BOOST_CHECK(
      errorOf(withLine(kMinimal, 12, "a=ice-ufrag:ab\"c")).starts_with("line 12: a=ice-ufrag"));
  BOOST_CHECK(
      errorOf(withLine(kMinimal, 12, "a=sctp-port:65536")).starts_with("line 12: a=sctp-port"));
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 14, "a=mid:0")), "line 14: a=mid:0 appears twice");
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 8, "o=- 1 2 IN IP4 127.0.0.1")),
                    "line 8: o= is not allowed in an m= section");
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 9, std::string("a=mid:0\x01"))),
                    "line 9: control character in the line");
  BOOST_CHECK_EQUAL(errorOf(withLine(kMinimal, 4, "a=x")),
                    "line 7: m= before the session's o=, s= and t= lines");
  BOOST_CHECK_EQUAL(errorOf(""), "line 0: missing v= line");
  BOOST_CHECK_EQUAL(errorOf("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"),
                    "line 3: missing t= line");
}

BOOST_AUTO_TEST_CASE(limits_are_enforced) {
  std::string big = kMinimal;
  big += "a=x-pad:" + std::string(webrtc::kSdpMaxBytes, 'x') + "\n";
  BOOST_CHECK(errorOf(big).find("limit 65536") != std::string::npos);

  std::string many = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n";
  for (int i = 0; i < 17; ++i) many += "m=video 9 UDP/TLS/RTP/SAVPF 96\n";
  BOOST_CHECK_EQUAL(errorOf(many), "line 21: more than 16 m= sections");

  std::string attrs = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n";
  for (int i = 0; i < 1025; ++i) attrs += "a=x\n";
  BOOST_CHECK_EQUAL(errorOf(attrs), "line 1029: more than 1024 attributes");

  std::string lines = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n";
  for (int i = 0; i < 2100; ++i) lines += "b=AS:1\n";
  BOOST_CHECK_EQUAL(errorOf(lines), "line 2049: more than 2048 lines");

  std::string formats = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=video 9 RTP/AVP";
  for (int i = 0; i < 129; ++i) formats += " 96";
  BOOST_CHECK_EQUAL(errorOf(formats), "line 5: m=: more than 128 formats");
}

BOOST_AUTO_TEST_CASE(truncations_and_random_text_never_crash) {
  std::mt19937 rng(17);
  for (const char* name : {"chromium_whip_offer.sdp", "gstreamer_whip_offer.sdp"}) {
    const std::string offer = readOffer(name);
    size_t parsed = 0;
    for (size_t n = 0; n <= offer.size(); ++n) {
      std::string error;
      if (SdpSession::parse(std::string_view(offer).substr(0, n), error))
        ++parsed;
      else
        BOOST_CHECK(error.starts_with("line "));
    }
    BOOST_CHECK_GT(parsed, 0u);  // cuts after the t= line parse
    for (int round = 0; round < 2000; ++round) {
      std::string mutated = offer;
      for (int k = 0; k < 4; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng() % 256);
      std::string error;
      auto s = SdpSession::parse(mutated, error);
      if (s) BOOST_CHECK(SdpSession::parse(s->serialize(), error).has_value());
    }
  }
  for (int round = 0; round < 2000; ++round) {
    std::string junk(rng() % 300, '\0');
    for (char& c : junk) c = static_cast<char>(rng() % 256);
    std::string error;
    BOOST_CHECK(!SdpSession::parse("v=0\n" + junk, error) || error.empty());
  }
}
