#include "core/media/stream_registry.hpp"

#include <boost/test/unit_test.hpp>

#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"

using namespace core;

namespace {

StreamOptions registryOptions(bool takeover = false) {
  StreamOptions o;
  o.reconnectGraceMs = 200;
  o.publisherTakeover = takeover;
  return o;
}

PublishSpec rung(const std::string& name, uint32_t kbps) {
  return PublishSpec{.app = "live",
                     .name = name,
                     .peer = "mixer",
                     .origin = StreamOrigin::Mixer,
                     .group = "live/x",
                     .label = name.substr(name.find('_') + 1),
                     .nominalKbps = kbps};
}

}  // namespace

BOOST_AUTO_TEST_CASE(renditions_join_their_sources_group_after_the_source) {
  EventLoop loop;
  StreamRegistry registry(loop, registryOptions());
  std::string error;
  auto low = registry.publish(rung("x_360p", 700), nullptr, error);
  auto source = registry.publish("live", "x", "peer", nullptr, error);
  auto high = registry.publish(rung("x_720p", 2500), nullptr, error);
  auto other = registry.publish("live", "y", "peer", nullptr, error);
  BOOST_REQUIRE(low && source && high && other);
  const auto group = registry.group("live/x");
  BOOST_REQUIRE_EQUAL(group.size(), 3u);
  BOOST_TEST(group[0]->key() == "live/x");
  BOOST_TEST(group[1]->key() == "live/x_720p");  // same height (unknown): higher rate first
  BOOST_TEST(group[2]->key() == "live/x_360p");
  BOOST_TEST(group[1]->derived());
  BOOST_TEST(group[1]->groupKey() == "live/x");
  BOOST_TEST(group[1]->label() == "720p");
  BOOST_TEST(!group[0]->derived());
  BOOST_TEST(group[0]->groupKey() == "live/x");
  BOOST_TEST(registry.group("live/y").size() == 1u);
  BOOST_TEST(registry.group("live/none").empty());
}

BOOST_AUTO_TEST_CASE(a_client_cannot_take_over_a_derived_stream_nor_the_mixer_a_clients) {
  EventLoop loop;
  StreamRegistry registry(loop, registryOptions(/*takeover=*/true));
  std::string error;
  auto derived = registry.publish(rung("x_720p", 2500), nullptr, error);
  BOOST_REQUIRE(derived);
  auto client = registry.publish("live", "x_720p", "1.2.3.4:5", nullptr, error);
  BOOST_TEST(!client);
  BOOST_TEST(error == "stream live/x_720p is a rendition of live/x made by the server");
  // Not even while the rung waits for its source (grace period).
  derived.reset();
  BOOST_TEST(!registry.publish("live", "x_720p", "1.2.3.4:5", nullptr, error));

  auto pushed = registry.publish("live", "z_480p", "1.2.3.4:6", nullptr, error);
  BOOST_REQUIRE(pushed);
  BOOST_TEST(!registry.publish(rung("z_480p", 1200), nullptr, error));
  BOOST_TEST(error == "stream live/z_480p belongs to the client 1.2.3.4:6");
  // Takeover between clients still works.
  BOOST_TEST(bool(registry.publish("live", "z_480p", "1.2.3.4:7", nullptr, error)));
}

BOOST_AUTO_TEST_CASE(keyframe_requests_are_counted_and_forwarded_at_most_every_500_ms) {
  EventLoop loop;
  StreamRegistry registry(loop, registryOptions());
  std::string error;
  auto pushed = registry.publish("live", "p", "peer", nullptr, error);
  // A publisher without a handler (RTMP): only counted.
  BOOST_TEST(registry.requestKeyframe("live/p", "test"));
  BOOST_TEST(registry.find("live/p")->keyframeRequests().received == 1u);
  BOOST_TEST(registry.find("live/p")->keyframeRequests().forwarded == 0u);
  BOOST_TEST(!registry.requestKeyframe("live/none", "test"));

  auto lease = registry.publish(rung("x_360p", 700), nullptr, error);
  int asked = 0;
  lease->onKeyframeRequest([&] { ++asked; });
  registry.requestKeyframe("live/x_360p", "a");
  registry.requestKeyframe("live/x_360p", "b");  // within 500 ms: merged
  BOOST_TEST(asked == 1);
  Timer later(loop, [&] {
    registry.requestKeyframe("live/x_360p", "c");
    loop.stop();
  });
  later.start(Stream::kKeyframeRequestGapMs + 20);
  loop.run();
  BOOST_TEST(asked == 2);
  const auto counts = registry.find("live/x_360p")->keyframeRequests();
  BOOST_TEST(counts.received == 3u);
  BOOST_TEST(counts.forwarded == 2u);
}
