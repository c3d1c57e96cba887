#include "mixer/mix_bus.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

using mixer::MixBus;

namespace {

void writeConst(MixBus& bus, size_t input, float value, size_t n) {
  std::vector<float> l(n, value), r(n, -value);
  bus.write(input, l.data(), r.data(), n);
}

}  // namespace

BOOST_AUTO_TEST_CASE(inputs_are_heard_once_primed_and_summed_with_gain) {
  MixBus bus(2, /*prime=*/8, /*max=*/64);
  std::vector<float> l(4), r(4);
  writeConst(bus, 0, 0.25f, 4);  // not primed yet: silence
  BOOST_TEST(bus.mix(l.data(), r.data(), 4, {1.0f, 1.0f}) == 0u);
  BOOST_TEST(l[0] == 0.0f);
  writeConst(bus, 0, 0.25f, 4);  // 8 queued: primed
  writeConst(bus, 1, 0.5f, 8);
  BOOST_TEST(bus.mix(l.data(), r.data(), 4, {1.0f, 0.5f}) == 2u);
  BOOST_TEST(l[0] == 0.5f);  // 0.25 + 0.5 * 0.5
  BOOST_TEST(r[3] == -0.5f);
  BOOST_TEST(bus.stats(0).queued == 4u);
}

BOOST_AUTO_TEST_CASE(mute_clip_underrun_and_cap) {
  MixBus bus(2, 4, 16);
  std::vector<float> l(8), r(8);
  writeConst(bus, 0, 0.9f, 8);
  writeConst(bus, 1, 0.9f, 8);
  bus.mix(l.data(), r.data(), 4, {1.0f, 0.0f});  // input 1 muted
  BOOST_TEST(l[0] == 0.9f);
  bus.mix(l.data(), r.data(), 4, {1.0f, 1.0f});  // 1.8 clipped
  BOOST_TEST(l[0] == 1.0f);
  BOOST_TEST(r[0] == -1.0f);
  // Input 0 has nothing left: it runs dry (silence) and waits to be primed again.
  writeConst(bus, 0, 0.1f, 2);
  bus.mix(l.data(), r.data(), 4, {1.0f, 1.0f});
  BOOST_TEST(l[0] == 0.1f);
  BOOST_TEST(l[2] == 0.0f);
  BOOST_TEST(bus.stats(0).underruns == 1u);
  BOOST_TEST(!bus.stats(0).heard);
  // A burst past the cap: the oldest samples go.
  std::vector<float> ramp(40), zero(40);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i) / 100;
  bus.write(0, ramp.data(), zero.data(), ramp.size());
  BOOST_TEST(bus.stats(0).queued == 16u);
  BOOST_TEST(bus.stats(0).dropped == 24u);
  bus.mix(l.data(), r.data(), 1, {1.0f, 0.0f});
  BOOST_TEST(l[0] == 0.24f);
  bus.clear(0);
  BOOST_TEST(bus.stats(0).queued == 0u);
}
