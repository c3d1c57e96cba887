#include "core/loop/udp_socket.hpp"

#include <arpa/inet.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "tests/unit/run_loop.hpp"

using namespace core;

namespace {

struct Received {
  std::vector<std::string> datagrams;
  std::vector<sockaddr_storage> from;
};

std::unique_ptr<UdpSocket> bindAny(EventLoop& loop, Received& into) {
  std::string error;
  auto s = UdpSocket::bind(
      loop, "127.0.0.1", 0,
      [&into](std::span<const uint8_t> d, const sockaddr_storage& from) {
        into.datagrams.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
        into.from.push_back(from);
      },
      error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_REQUIRE(s->port() != 0);
  return s;
}

sockaddr_storage loopback(uint16_t port) {
  sockaddr_storage a{};
  auto& in = reinterpret_cast<sockaddr_in&>(a);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(datagrams_arrive_whole_with_their_source) {
  EventLoop loop;
  Received a, b;
  auto sa = bindAny(loop, a);
  auto sb = bindAny(loop, b);
  BOOST_TEST(sa->send(bytes("hello"), loopback(sb->port())));
  const std::string big(60000, 'x');  // one datagram, not a stream: it stays whole
  BOOST_TEST(sa->send(bytes(big), loopback(sb->port())));
  // Parts gathered into one datagram.
  const std::string h = "head|", t = "tail";
  const std::span<const uint8_t> parts[] = {bytes(h), bytes(t)};
  BOOST_TEST(sa->send(parts, loopback(sb->port())));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return b.datagrams.size() == 3; }));
  BOOST_TEST(b.datagrams[0] == "hello");
  BOOST_TEST(b.datagrams[1] == big);
  BOOST_TEST(b.datagrams[2] == "head|tail");
  BOOST_TEST(sameAddress(b.from[0], loopback(sa->port())));
  BOOST_TEST(formatAddress(b.from[0]) == "127.0.0.1:" + std::to_string(sa->port()));
  BOOST_TEST(sb->stats().received == 3u);
  BOOST_TEST(sa->stats().sent == 3u);
  // And back to where it came from.
  BOOST_TEST(sb->send(bytes("pong"), b.from[0]));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return a.datagrams.size() == 1; }));
  BOOST_TEST(a.datagrams[0] == "pong");
}

BOOST_AUTO_TEST_CASE(binding_a_taken_port_names_the_address_and_the_reason) {
  EventLoop loop;
  Received a;
  auto sa = bindAny(loop, a);
  std::string error;
  auto again = UdpSocket::bind(
      loop, "127.0.0.1", sa->port(), [](auto, const auto&) {}, error);
  BOOST_TEST(!again);
  BOOST_TEST(error.find("127.0.0.1:" + std::to_string(sa->port())) != std::string::npos, error);
  BOOST_TEST(error.find("in use") != std::string::npos, error);
  BOOST_TEST(!UdpSocket::bind(
      loop, "not-an-ip", 0, [](auto, const auto&) {}, error));
  BOOST_TEST(error.find("not an IPv4 or IPv6 address") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(addresses_compare_by_family_ip_and_port) {
  BOOST_TEST(sameAddress(loopback(5), loopback(5)));
  BOOST_TEST(!sameAddress(loopback(5), loopback(6)));
  sockaddr_storage v6{};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(v6);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(5);
  in6.sin6_addr = in6addr_loopback;
  BOOST_TEST(!sameAddress(loopback(5), v6));
  BOOST_TEST(sameAddress(v6, v6));
  BOOST_TEST(formatAddress(v6) == "[::1]:5");
  // The map key agrees with sameAddress.
  BOOST_TEST((addressKey(loopback(5)) == addressKey(loopback(5))));
  BOOST_TEST((addressKey(loopback(5)) != addressKey(loopback(6))));
  BOOST_TEST((addressKey(loopback(5)) != addressKey(v6)));
}

BOOST_AUTO_TEST_CASE(addresses_from_text_and_between_ipv4_and_mapped_ipv6) {
  auto v4 = socketAddress("127.0.0.1", 5000);
  BOOST_REQUIRE(v4.has_value());
  BOOST_TEST(formatAddress(*v4) == "127.0.0.1:5000");
  BOOST_TEST(formatAddress(*socketAddress("localhost", 1)) == "127.0.0.1:1");
  BOOST_TEST(formatAddress(*socketAddress("::", 8000)) == "[::]:8000");
  BOOST_TEST(!socketAddress("[::1]", 1).has_value());
  BOOST_TEST(!socketAddress("example.com", 1).has_value());
  BOOST_TEST(hostPort("::1", 9) == "[::1]:9");
  BOOST_TEST(hostPort("10.0.0.1", 9) == "10.0.0.1:9");
  const sockaddr_storage mapped = mapIpv4(*v4);
  BOOST_TEST(formatAddress(mapped) == "[::ffff:127.0.0.1]:5000");
  BOOST_TEST(sameAddress(unmapIpv4(mapped), *v4));
  const auto v6 = *socketAddress("2001:db8::1", 7);
  BOOST_TEST(sameAddress(unmapIpv4(v6), v6));  // a real IPv6 address stays
  BOOST_TEST(sameAddress(mapIpv4(v6), v6));
}

BOOST_AUTO_TEST_CASE(ipv6_datagrams_over_the_ipv6_loopback) {
  EventLoop loop;
  Received a, b;
  std::string error;
  auto handler = [](Received& into) {
    return [&into](std::span<const uint8_t> d, const sockaddr_storage& from) {
      into.datagrams.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
      into.from.push_back(from);
    };
  };
  auto sa = UdpSocket::bind(loop, "::1", 0, handler(a), error);
  if (!sa) {
    // NOTE: a machine without IPv6 (a container with it disabled) cannot bind ::1.
    BOOST_TEST_MESSAGE("skipped: no IPv6 loopback here: " << error);
    return;
  }
  auto sb = UdpSocket::bind(loop, "::1", 0, handler(b), error);
  BOOST_REQUIRE_MESSAGE(sb, error);
  BOOST_TEST(sa->ipv6());
  BOOST_TEST(sa->send(bytes("over v6"), *socketAddress("::1", sb->port())));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !b.datagrams.empty(); }));
  BOOST_REQUIRE_EQUAL(b.datagrams.size(), 1u);
  BOOST_TEST(b.datagrams[0] == "over v6");
  BOOST_TEST(formatAddress(b.from[0]) == "[::1]:" + std::to_string(sa->port()));
  // The reply goes back to the address the handler was given.
  BOOST_TEST(sb->send(bytes("back"), b.from[0]));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return !a.datagrams.empty(); }));
  BOOST_TEST(a.datagrams.at(0) == "back");
}

namespace {

std::string udpDatagram(char tag, int i, size_t size) {
  std::string d = std::string(1, tag) + std::to_string(i) + ":";
  d.resize(size, static_cast<char>('a' + i % 26));
  return d;
}

// Stands in for ::sendmmsg as a kernel whose buffer is full from the first datagram
// that starts with 'F' on: sends those before it for real, then refuses (EAGAIN).
int udpFullAtF(int fd, mmsghdr* messages, unsigned count, int flags) {
  unsigned n = 0;
  while (n < count && *static_cast<const char*>(messages[n].msg_hdr.msg_iov[0].iov_base) != 'F')
    ++n;
  if (n == 0) {
    errno = EAGAIN;
    return -1;
  }
  return ::sendmmsg(fd, messages, n, flags);
}

}  // namespace

BOOST_AUTO_TEST_CASE(queued_datagrams_to_two_addresses_leave_in_one_call_whole_and_in_order) {
  EventLoop loop;
  Received a, b, s;
  auto sa = bindAny(loop, a);
  auto sb = bindAny(loop, b);
  auto sender = bindAny(loop, s);
  std::vector<std::string> toA, toB;
  for (int i = 0; i < 20; ++i) {
    toA.push_back(udpDatagram('A', i, 100 + static_cast<size_t>(i) * 70));  // up to 1430
    toB.push_back(udpDatagram('B', i, 1500 - static_cast<size_t>(i)));
    BOOST_TEST(sender->queue(bytes(toA.back()), loopback(sa->port())));
    BOOST_TEST(sender->queue(bytes(toB.back()), loopback(sb->port())));
  }
  BOOST_TEST(sender->stats().sent == 0u);  // nothing until the loop turns
  // Bigger than a slot: the queued ones go first, then it (at once).
  toB.push_back(udpDatagram('B', 99, UdpSocket::kBatchSlotBytes + 1));
  BOOST_TEST(sender->queue(bytes(toB.back()), loopback(sb->port())));
  BOOST_TEST(sender->stats().sent == 41u);
  // Then more, flushed by the loop before it waits.
  toA.push_back(udpDatagram('A', 100, 10));
  BOOST_TEST(sender->queue(bytes(toA.back()), loopback(sa->port())));
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return a.datagrams.size() == toA.size() && b.datagrams.size() == toB.size(); }));
  BOOST_TEST(a.datagrams == toA, boost::test_tools::per_element());
  BOOST_TEST(b.datagrams == toB, boost::test_tools::per_element());
  BOOST_TEST(sameAddress(a.from[0], loopback(sender->port())));
  BOOST_TEST(sender->stats().queued == 41u);
  BOOST_TEST(sender->stats().sent == 42u);
  BOOST_TEST(sender->stats().dropped == 0u);
  BOOST_TEST(sender->stats().batchCalls == 2u);  // 40 in one call, the last one in another
}

BOOST_AUTO_TEST_CASE(a_full_batch_leaves_at_once) {
  EventLoop loop;
  Received a, s;
  auto sa = bindAny(loop, a);
  auto sender = bindAny(loop, s);
  std::vector<std::string> sent;
  for (int i = 0; i < 150; ++i) {
    sent.push_back(udpDatagram('A', i, 20));
    sender->queue(bytes(sent.back()), loopback(sa->port()));
  }
  BOOST_TEST(sender->stats().sent == 128u);  // two full batches, without the loop
  BOOST_TEST(sender->stats().batchCalls == 2u);
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return a.datagrams.size() == sent.size(); }));
  BOOST_TEST(a.datagrams == sent, boost::test_tools::per_element());
  BOOST_TEST(sender->stats().batchCalls == 3u);
}

BOOST_AUTO_TEST_CASE(a_full_kernel_buffer_drops_and_counts_the_rest_without_waiting) {
  EventLoop loop;
  Received a, s;
  auto sa = bindAny(loop, a);
  auto sender = bindAny(loop, s);
  sender->setSendMmsgForTest(udpFullAtF);
  for (int i = 0; i < 3; ++i) sender->queue(bytes(udpDatagram('A', i, 50)), loopback(sa->port()));
  sender->queue(bytes(udpDatagram('F', 3, 50)), loopback(sa->port()));
  for (int i = 4; i < 10; ++i) sender->queue(bytes(udpDatagram('A', i, 50)), loopback(sa->port()));
  sender->flush();
  BOOST_TEST(sender->stats().sent == 3u);
  BOOST_TEST(sender->stats().dropped == 7u);     // the refused one and all after it
  BOOST_TEST(sender->stats().batchCalls == 2u);  // 3 sent, then EAGAIN: no retry
  // Room again: the socket goes on.
  sender->queue(bytes(udpDatagram('A', 10, 50)), loopback(sa->port()));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return a.datagrams.size() == 4; }));
  BOOST_TEST(a.datagrams[0] == udpDatagram('A', 0, 50));
  BOOST_TEST(a.datagrams[2] == udpDatagram('A', 2, 50));
  BOOST_TEST(a.datagrams[3] == udpDatagram('A', 10, 50));
  BOOST_TEST(sender->stats().dropped == 7u);
}

BOOST_AUTO_TEST_CASE(a_datagram_the_kernel_refuses_alone_is_dropped_the_others_go) {
  EventLoop loop;
  Received a, s;
  auto sa = bindAny(loop, a);
  auto sender = bindAny(loop, s);
  sockaddr_storage v6{};  // an IPv6 destination from an IPv4 socket: EAFNOSUPPORT
  auto& in6 = reinterpret_cast<sockaddr_in6&>(v6);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(9);
  in6.sin6_addr = in6addr_loopback;
  sender->queue(bytes("one"), loopback(sa->port()));
  sender->queue(bytes("lost"), v6);
  sender->queue(bytes("two"), loopback(sa->port()));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return a.datagrams.size() == 2; }));
  BOOST_TEST(a.datagrams[0] == "one");
  BOOST_TEST(a.datagrams[1] == "two");
  BOOST_TEST(sender->stats().sent == 2u);
  BOOST_TEST(sender->stats().dropped == 1u);
}
