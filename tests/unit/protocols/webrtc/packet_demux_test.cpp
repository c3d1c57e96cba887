#include "protocols/webrtc/packet_demux.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "protocols/webrtc/stun_message.hpp"

using webrtc::classifyDatagram;
using webrtc::DatagramKind;

namespace {

const char* name(DatagramKind k) {
  switch (k) {
    case DatagramKind::Stun:
      return "Stun";
    case DatagramKind::Dtls:
      return "Dtls";
    case DatagramKind::Rtp:
      return "Rtp";
    case DatagramKind::Rtcp:
      return "Rtcp";
    case DatagramKind::Unknown:
      return "Unknown";
  }
  return "?";
}

std::string kindOf(std::vector<uint8_t> bytes) {
  return name(classifyDatagram(bytes));
}

}  // namespace

BOOST_AUTO_TEST_CASE(first_byte_ranges_of_rfc7983) {
  struct Case {
    uint8_t first;
    const char* kind;
  };
  // Edges of every range, with a second byte that would make 128-191 RTP (PT 96).
  for (const Case c :
       {Case{0, "Stun"}, Case{1, "Stun"}, Case{3, "Stun"}, Case{4, "Unknown"}, Case{15, "Unknown"},
        Case{16, "Unknown"} /*ZRTP*/, Case{19, "Unknown"}, Case{20, "Dtls"}, Case{22, "Dtls"},
        Case{63, "Dtls"}, Case{64, "Unknown"} /*TURN channel*/, Case{79, "Unknown"},
        Case{80, "Unknown"}, Case{127, "Unknown"}, Case{128, "Rtp"}, Case{0x90, "Rtp"},
        Case{191, "Rtp"}, Case{192, "Unknown"}, Case{255, "Unknown"}}) {
    BOOST_TEST(kindOf({c.first, 96, 0, 0}) == c.kind, "first byte " << int(c.first));
  }
}

BOOST_AUTO_TEST_CASE(every_first_byte_against_the_table) {
  for (int b = 0; b < 256; ++b) {
    const char* want = b <= 3                 ? "Stun"
                       : b >= 20 && b <= 63   ? "Dtls"
                       : b >= 128 && b <= 191 ? "Rtp"
                                              : "Unknown";
    BOOST_TEST(kindOf({static_cast<uint8_t>(b), 0x60}) == want, "first byte " << b);
  }
}

BOOST_AUTO_TEST_CASE(rtcp_by_the_second_byte_of_rfc5761) {
  // RTCP packet types 192-223 (SR 200, RR 201, SDES 202, BYE 203, RTPFB 205, PSFB 206).
  for (const int pt : {192, 195, 200, 201, 202, 203, 204, 205, 206, 207, 223}) {
    BOOST_TEST(kindOf({0x80, static_cast<uint8_t>(pt), 0, 1}) == "Rtcp", "pt " << pt);
    BOOST_TEST(kindOf({0x81, static_cast<uint8_t>(pt), 0, 7}) == "Rtcp", "pt " << pt);
  }
  // RTP: payload types 0-127 with the marker bit clear, and with it set outside 64-95.
  for (const int second :
       {0, 96, 111, 127, 128 | 0, 128 | 63, 128 | 96, 128 | 111, 191, 224, 255}) {
    BOOST_TEST(kindOf({0x80, static_cast<uint8_t>(second), 0, 1}) == "Rtp", "second " << second);
  }
}

BOOST_AUTO_TEST_CASE(short_datagrams) {
  BOOST_TEST(kindOf({}) == "Unknown");
  BOOST_TEST(kindOf({0x80}) == "Unknown");  // RTP/RTCP needs the second byte
  BOOST_TEST(kindOf({0x00}) == "Stun");     // the STUN parser refuses it with a reason
  BOOST_TEST(kindOf({0x16}) == "Dtls");
}

BOOST_AUTO_TEST_CASE(real_messages) {
  const std::array<uint8_t, 12> tid{};
  BOOST_TEST(kindOf(webrtc::stunBindingRequest(tid, "a:b", "pwd", 1, true, 2)) == "Stun");
  // A DTLS 1.2 ClientHello record header: content type 22, version 0xfefd.
  BOOST_TEST(kindOf({22, 0xfe, 0xfd, 0, 0}) == "Dtls");
  // An RTCP receiver report (V=2, RC=1, PT=201) and an H.264 RTP packet with the marker.
  BOOST_TEST(kindOf({0x81, 201, 0, 7}) == "Rtcp");
  BOOST_TEST(kindOf({0x80, 0x80 | 102, 0x12, 0x34}) == "Rtp");
}
