#include "core/media/room_event_gate.hpp"

#include <boost/test/unit_test.hpp>

using namespace core;

namespace {

MediaPacket packet(MediaKind kind, int64_t dts, bool config = false) {
  MediaPacket p;
  p.kind = kind;
  p.codec = kind == MediaKind::Video   ? Codec::H264
            : kind == MediaKind::Audio ? Codec::AAC
                                       : Codec::RoomEvent;
  p.dts = p.pts = dts;
  p.config = config;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(events_pass_once_the_media_ran_the_hold_off_past_its_first_packet) {
  RoomEventGate gate;
  // Headers and the room's status at the start: held (no media yet).
  BOOST_TEST(!gate.pass(packet(MediaKind::Data, 5000, true)));
  BOOST_TEST(!gate.pass(packet(MediaKind::Video, 5000, true)));
  BOOST_TEST(!gate.pass(packet(MediaKind::Data, 5000)));
  // The first media packet starts the count, a mid-show viewer's GOP at 5000.
  BOOST_TEST(!gate.pass(packet(MediaKind::Video, 5000)));
  BOOST_TEST(!gate.pass(packet(MediaKind::Audio, 5010)));
  BOOST_TEST(!gate.pass(packet(MediaKind::Data, 6500)));
  BOOST_TEST(!gate.pass(packet(MediaKind::Video, 5000 + RoomEventGate::kHoldOffMs - 1)));
  BOOST_TEST(gate.pass(packet(MediaKind::Audio, 5000 + RoomEventGate::kHoldOffMs)));
  // Open for good, whatever comes next.
  BOOST_TEST(gate.pass(packet(MediaKind::Data, 7100)));
  BOOST_TEST(gate.pass(packet(MediaKind::Video, 7100, true)));
}

BOOST_AUTO_TEST_CASE(a_room_event_alone_never_opens_the_gate) {
  RoomEventGate gate;
  BOOST_TEST(!gate.pass(packet(MediaKind::Audio, 0)));
  for (int64_t t = 0; t < 10000; t += 500) BOOST_TEST(!gate.pass(packet(MediaKind::Data, t)));
  BOOST_TEST(gate.pass(packet(MediaKind::Audio, 10000)));
}
