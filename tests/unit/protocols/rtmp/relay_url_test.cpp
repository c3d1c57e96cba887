#include "protocols/rtmp/relay_url.hpp"

#include <boost/test/unit_test.hpp>

using rtmp::parseRelayUrl;

BOOST_AUTO_TEST_CASE(relay_url_rtmp_with_default_and_given_ports) {
  std::string error;
  auto u = parseRelayUrl("rtmp://a.rtmp.youtube.com/live2/abcd-efgh", error);
  BOOST_REQUIRE_MESSAGE(u, error);
  BOOST_TEST(!u->tls);
  BOOST_TEST(u->host == "a.rtmp.youtube.com");
  BOOST_TEST(u->port == 1935);
  BOOST_TEST(u->app == "live2");
  BOOST_TEST(u->name == "abcd-efgh");
  BOOST_TEST(u->tcUrl() == "rtmp://a.rtmp.youtube.com/live2");
  BOOST_TEST(u->publishName() == "abcd-efgh");

  u = parseRelayUrl("rtmp://127.0.0.1:19350/live/out?token=s3cret&x=1", error);
  BOOST_REQUIRE_MESSAGE(u, error);
  BOOST_TEST(u->port == 19350);
  BOOST_TEST(u->host == "127.0.0.1");
  BOOST_TEST(u->query == "token=s3cret&x=1");
  BOOST_TEST(u->publishName() == "out?token=s3cret&x=1");
  BOOST_TEST(u->tcUrl() == "rtmp://127.0.0.1:19350/live");
  BOOST_TEST(u->redacted() ==
             "rtmp://127.0.0.1:19350/live/out?...");  // the secret stays out of logs
}

BOOST_AUTO_TEST_CASE(relay_url_rtmps_defaults_to_443) {
  std::string error;
  auto u = parseRelayUrl("rtmps://live-api-s.facebook.com/rtmp/FB-123", error);
  BOOST_REQUIRE_MESSAGE(u, error);
  BOOST_TEST(u->tls);
  BOOST_TEST(u->port == 443);
  BOOST_TEST(u->app == "rtmp");
  BOOST_TEST(u->tcUrl() == "rtmps://live-api-s.facebook.com/rtmp");
  u = parseRelayUrl("rtmps://[::1]:8443/app/k", error);
  BOOST_REQUIRE_MESSAGE(u, error);
  BOOST_TEST(u->host == "::1");
  BOOST_TEST(u->port == 8443);
  BOOST_TEST(u->tcUrl() == "rtmps://[::1]:8443/app");
}

BOOST_AUTO_TEST_CASE(relay_url_app_with_slashes_keeps_all_but_the_last_segment) {
  std::string error;
  auto u = parseRelayUrl("rtmp://host/live/sub/inst/key/", error);
  BOOST_REQUIRE_MESSAGE(u, error);
  BOOST_TEST(u->app == "live/sub/inst");
  BOOST_TEST(u->name == "key");
  BOOST_TEST(u->tcUrl() == "rtmp://host/live/sub/inst");
}

BOOST_AUTO_TEST_CASE(relay_url_refuses_what_is_not_a_target) {
  const std::pair<const char*, const char*> bad[] = {
      {"http://host/live/x", "must start with rtmp://"},
      {"rtmp://host", "no app and stream name"},
      {"rtmp://host/live", "needs an app and a stream name"},
      {"rtmp://host//x", "needs an app and a stream name"},
      {"rtmp://host:0/live/x", "port"},
      {"rtmp://host:70000/live/x", "port"},
      {"rtmp://host:12a/live/x", "port"},
      {"rtmp://host:/live/x", "port"},
      {"rtmp:///live/x", "no valid host"},
      {"rtmp://user:pw@host/live/x", "not supported"},
      {"rtmp://ho st/live/x", "spaces"},
      {"rtmp://::1/live/x", "IPv6"},
      {"rtmp://[::1/live/x", "unclosed"},
      {"rtmp://host/a//b/x", "empty segment"},
  };
  for (const auto& [text, why] : bad) {
    std::string error;
    BOOST_TEST(!parseRelayUrl(text, error), text);
    BOOST_TEST(error.find(why) != std::string::npos, text << ": " << error);
  }
  std::string error;
  BOOST_TEST(!parseRelayUrl("rtmp://h/a/" + std::string(3000, 'x'), error));
}
