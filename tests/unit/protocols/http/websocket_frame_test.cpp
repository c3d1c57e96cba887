#include "protocols/http/websocket_frame.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using http::checkWsUpgrade;
using http::encodeWsFrame;
using http::HttpRequest;
using http::WsOpcode;

namespace {

HttpRequest upgradeRequest() {
  HttpRequest r;
  r.method = "GET";
  r.path = "/ws";
  r.headers["upgrade"] = "websocket";
  r.headers["connection"] = "Upgrade";
  r.headers["sec-websocket-version"] = "13";
  r.headers["sec-websocket-key"] = "dGhlIHNhbXBsZSBub25jZQ==";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(encodes_every_length_form) {
  struct Case {
    size_t len;
    size_t header;
  };
  for (const Case c : {Case{0, 2}, Case{125, 2}, Case{126, 4}, Case{65535, 4}, Case{65536, 10}}) {
    const std::string payload(c.len, 'x');
    const auto f = encodeWsFrame(WsOpcode::Binary, payload);
    BOOST_TEST_REQUIRE(f.size() == c.header + c.len);
    BOOST_TEST(f[0] == 0x82);        // FIN + binary
    BOOST_TEST((f[1] & 0x80) == 0);  // never masked
    if (c.len < 126) {
      BOOST_TEST(f[1] == c.len);
    } else if (c.len <= 0xFFFF) {
      BOOST_TEST(f[1] == 126);
      BOOST_TEST(((f[2] << 8) | f[3]) == c.len);
    } else {
      BOOST_TEST(f[1] == 127);
      uint64_t n = 0;
      for (int i = 2; i < 10; ++i) n = (n << 8) | f[i];
      BOOST_TEST(n == c.len);
    }
    BOOST_TEST(f.view().substr(c.header) == payload);
  }
}

BOOST_AUTO_TEST_CASE(encodes_exact_bytes_of_small_frames) {
  const auto text = encodeWsFrame(WsOpcode::Text, "Hello");
  BOOST_TEST(text.view() == std::string("\x81\x05Hello"));
  const auto close = encodeWsFrame(WsOpcode::Close, std::string("\x03\xe8", 2));
  BOOST_TEST(close.view() == std::string("\x88\x02\x03\xe8", 4));
  const auto ping = encodeWsFrame(WsOpcode::Ping, "");
  BOOST_TEST(ping.view() == std::string("\x89\x00", 2));
  // 256 bytes: 126 + 0x0100.
  const auto mid = encodeWsFrame(WsOpcode::Text, std::string(256, 'a'));
  BOOST_TEST(mid[1] == 126);
  BOOST_TEST(mid[2] == 0x01);
  BOOST_TEST(mid[3] == 0x00);
}

BOOST_AUTO_TEST_CASE(accept_key_matches_rfc6455_example) {
  BOOST_TEST(http::wsAcceptKey("dGhlIHNhbXBsZSBub25jZQ==") ==
             "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 1.3
  BOOST_TEST(http::wsAcceptKey(" dGhlIHNhbXBsZSBub25jZQ== ") ==
             "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 1.3
  BOOST_TEST(http::wsAcceptKey("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

BOOST_AUTO_TEST_CASE(accepts_a_well_formed_upgrade) {
  int status = -1;
  BOOST_TEST(checkWsUpgrade(upgradeRequest(), &status) == "");
  BOOST_TEST(status == 0);
  // Token lists and case do not matter.
  auto r = upgradeRequest();
  r.headers["connection"] = "keep-alive, UPGRADE";
  r.headers["upgrade"] = "WebSocket";
  BOOST_TEST(checkWsUpgrade(r, &status) == "");
}

BOOST_AUTO_TEST_CASE(rejects_bad_upgrades_with_reason_and_status) {
  struct Case {
    std::string field;  // header to change ("" = method)
    std::string value;  // "<erase>" removes it
    int status;
    std::string inReason;
  };
  const Case cases[] = {
      {"", "POST", 400, "GET"},
      {"upgrade", "<erase>", 400, "Upgrade"},
      {"upgrade", "h2c", 400, "Upgrade"},
      {"connection", "<erase>", 400, "Connection"},
      {"connection", "keep-alive", 400, "Connection"},
      {"connection", "upgraded", 400, "Connection"},
      {"sec-websocket-version", "<erase>", 400, "Version"},
      {"sec-websocket-version", "8", 426, "13"},
      {"sec-websocket-key", "<erase>", 400, "Key"},
      {"sec-websocket-key", "", 400, "Key"},
      {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ", 400, "Key"},    // no padding
      {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQo=", 400, "Key"},  // 17 bytes
      {"sec-websocket-key", "dGhlIHNhbXBsZSBub25j!Q==", 400, "Key"},  // bad char
      {"sec-websocket-key", std::string(5000, 'A'), 400, "Key"},      // oversized
  };
  for (const auto& c : cases) {
    auto r = upgradeRequest();
    if (c.field.empty()) {
      r.method = c.value;
    } else if (c.value == "<erase>") {
      r.headers.erase(c.field);
    } else {
      r.headers[c.field] = c.value;
    }
    int status = 0;
    const std::string reason = checkWsUpgrade(r, &status);
    BOOST_TEST_CONTEXT(c.field << "=" << c.value.substr(0, 40)) {
      BOOST_TEST(!reason.empty());
      BOOST_TEST(status == c.status);
      BOOST_TEST(reason.find(c.inReason) != std::string::npos, reason);
    }
  }
  auto old = upgradeRequest();
  old.http11 = false;
  int status = 0;
  BOOST_TEST(checkWsUpgrade(old, &status).find("HTTP/1.1") != std::string::npos);
  BOOST_TEST(status == 400);
}

BOOST_AUTO_TEST_CASE(truncates_close_reasons_on_utf8_boundaries) {
  BOOST_TEST(http::truncateUtf8("abc", 123) == "abc");
  BOOST_TEST(http::truncateUtf8("abcdef", 3) == "abc");
  // "é" is 2 bytes (C3 A9): cutting at 2 would split it.
  BOOST_TEST(http::truncateUtf8("a\xC3\xA9z", 2) == "a");
  BOOST_TEST(http::truncateUtf8("a\xC3\xA9z", 3) == "a\xC3\xA9");
}
