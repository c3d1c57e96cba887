// HlsServer over a real HttpServer and StreamRegistry on 127.0.0.1: a source and a
// rendition the mixer derives from it (one group) each list the other in their
// LL-HLS playlist as EXT-X-RENDITION-REPORT; a stream outside the group does not.
#include "protocols/hls/hls_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <regex>
#include <thread>

#include "av/av_libraries.hpp"
#include "core/loop/event_loop.hpp"
#include "tests/unit/media_samples.hpp"
#include "tests/unit/run_loop.hpp"

using core::MediaKind;

namespace {

// A blocking HTTP/1.1 GET (its own thread: the loop answers meanwhile); the whole
// response, head and body, or "" on a socket error.
std::string blockingGet(uint16_t port, const std::string& target) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, size_t(n));
    }
  }
  close(fd);
  return out;
}

struct Fixture {
  core::EventLoop loop;
  av::Libraries libs;
  http::HttpServer http{loop, "127.0.0.1", 0, http::HttpOptions{}};
  core::StreamRegistry registry{loop, core::StreamOptions{}};
  std::optional<core::UrlSigner> signer;
  std::unique_ptr<hls::HlsServer> server;
  std::vector<std::unique_ptr<core::PublishLease>> leases;
  int64_t fed = 0;  // media pushed so far, ms

  void start(bool signedPlay) {
    if (signedPlay) signer.emplace("0123456789abcdef0123456789abcdef");
    server = std::make_unique<hls::HlsServer>(loop, libs, http, registry, hls::HlsOptions{},
                                              hls::LlHlsOptions{}, signer ? &*signer : nullptr);
    publish({.app = "live", .name = "demo", .peer = "test"});
    publish({.app = "live",
             .name = "demo_720p",
             .peer = "mixer",
             .origin = core::StreamOrigin::Mixer,
             .group = "live/demo",
             .label = "720p"});
    publish({.app = "live", .name = "other", .peer = "test"});
  }
  void publish(const core::PublishSpec& spec) {
    std::string error;
    leases.push_back(registry.publish(spec, nullptr, error));
    BOOST_TEST_REQUIRE(leases.back() != nullptr, error);
    leases.back()->push(media_samples::config(MediaKind::Video, 0));
  }
  // The same 25 fps video, a keyframe a second, into every stream.
  void feed(int64_t untilMs) {
    for (; fed < untilMs; fed += 40)
      for (auto& lease : leases)
        lease->push(media_samples::frame(MediaKind::Video, fed, fed % 1000 == 0));
  }
  std::string get(const std::string& target) {
    std::atomic<bool> done = false;
    std::string response;
    std::thread client([&] {
      response = blockingGet(http.port(), target);
      done = true;
    });
    testing_loop::runUntil(
        loop, [&] { return done.load(); }, 8000);
    client.join();
    return response;
  }
};

// (msn, part) of the newest EXT-X-PART of an LL-HLS playlist.
std::pair<uint64_t, uint64_t> newestPart(const std::string& playlist) {
  static const std::regex part(R"re(#EXT-X-PART:[^\n]*URI="ll/(\d+)\.(\d+)\.m4s")re");
  std::pair<uint64_t, uint64_t> out{0, 0};
  for (std::sregex_iterator it(playlist.begin(), playlist.end(), part), end; it != end; ++it)
    out = {std::stoull((*it)[1]), std::stoull((*it)[2])};
  return out;
}

std::string report(const std::string& uri, std::pair<uint64_t, uint64_t> last) {
  return "#EXT-X-RENDITION-REPORT:URI=\"" + uri + "\",LAST-MSN=" + std::to_string(last.first) +
         ",LAST-PART=" + std::to_string(last.second) + "\n";
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(ll_playlists_report_their_group_siblings, Fixture) {
  start(false);
  feed(4000);
  const std::string source = get("/live/demo/ll.m3u8");
  const std::string rung = get("/live/demo_720p/ll.m3u8");
  const std::string other = get("/live/other/ll.m3u8");
  BOOST_TEST_REQUIRE(source.starts_with("HTTP/1.1 200"), source);
  BOOST_TEST_REQUIRE(rung.starts_with("HTTP/1.1 200"), rung);
  BOOST_TEST(source.find(report("../demo_720p/ll.m3u8", newestPart(rung))) != std::string::npos,
             source);
  BOOST_TEST(rung.find(report("../demo/ll.m3u8", newestPart(source))) != std::string::npos, rung);
  // One report each (no stream reports itself), none for a stream of no group.
  BOOST_TEST(count(source, "#EXT-X-RENDITION-REPORT:") == 1u);
  BOOST_TEST(count(rung, "#EXT-X-RENDITION-REPORT:") == 1u);
  BOOST_TEST(count(other, "#EXT-X-RENDITION-REPORT:") == 0u, other);
}

BOOST_FIXTURE_TEST_CASE(signed_play_signs_each_reported_uri_also_for_a_held_reload, Fixture) {
  start(true);
  feed(4000);
  const int64_t expire = 4102444800;  // 2100-01-01
  const std::string query =
      "expire=" + std::to_string(expire) + "&sign=" + signer->sign("live", "demo", expire);
  const std::string signedRung = "../demo_720p/ll.m3u8?expire=" + std::to_string(expire) +
                                 "&sign=" + signer->sign("live", "demo_720p", expire);
  const std::string now = get("/live/demo/ll.m3u8?" + query);
  BOOST_TEST_REQUIRE(now.starts_with("HTTP/1.1 200"), now);
  BOOST_TEST(now.find("URI=\"" + signedRung + "\"") != std::string::npos, now);

  // A blocking reload for the next part: held, then answered with the reports.
  auto [msn, part] = newestPart(now);
  std::atomic<bool> done = false;
  std::string held;
  std::thread client([&] {
    held = blockingGet(http.port(), "/live/demo/ll.m3u8?_HLS_msn=" + std::to_string(msn) +
                                        "&_HLS_part=" + std::to_string(part + 1) + "&" + query);
    done = true;
  });
  testing_loop::runFor(loop, 200);
  BOOST_TEST(!done.load());
  feed(fed + 1000);
  testing_loop::runUntil(
      loop, [&] { return done.load(); }, 8000);
  client.join();
  BOOST_TEST_REQUIRE(held.starts_with("HTTP/1.1 200"), held);
  BOOST_TEST(held.find("URI=\"" + signedRung + "\"") != std::string::npos, held);
}
