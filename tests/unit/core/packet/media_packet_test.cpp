#include "core/packet/media_packet.hpp"

#include <boost/test/unit_test.hpp>
#include <string_view>

using namespace core;

BOOST_AUTO_TEST_CASE(wire_parts_are_built_once_and_shared) {
  MediaPacket p;
  p.kind = MediaKind::Video;
  p.payload = SharedBuffer::copyOf(std::string_view("abcdef"));
  int builds = 0;
  auto split = [&builds](const MediaPacket& q) {
    ++builds;
    return std::vector<SharedBuffer>{q.payload.slice(0, 3), q.payload.slice(3)};
  };
  const auto first = p.wireParts(WireFormat::RtpVideo, split);
  BOOST_REQUIRE(first.size() == 2u);
  BOOST_TEST(first[0].view() == "abc");
  BOOST_TEST(first[1].view() == "def");
  // A copy of the packet (another viewer, the GOP cache) shares the parts.
  const MediaPacket copy = p;
  const auto again = copy.wireParts(WireFormat::RtpVideo, split);
  BOOST_TEST(builds == 1);
  BOOST_TEST(again.data() == first.data());
  // Each datagram format has its own parts; an empty list is built once too.
  int audioBuilds = 0;
  auto none = [&audioBuilds](const MediaPacket&) {
    ++audioBuilds;
    return std::vector<SharedBuffer>{};
  };
  BOOST_TEST(p.wireParts(WireFormat::RtpAudio, none).empty());
  BOOST_TEST(copy.wireParts(WireFormat::RtpAudio, none).empty());
  BOOST_TEST(audioBuilds == 1);
  // The stream formats are untouched.
  BOOST_TEST(p.wire->forms[static_cast<size_t>(WireFormat::FlvTag)].empty());
}
