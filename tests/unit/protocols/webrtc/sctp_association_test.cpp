// Two SctpAssociations in one process, wired back to back through a queue the test
// drains (a's packets -> b.onPacket and back), with usrsctp's timers on a fake clock.
#include "protocols/webrtc/sctp_association.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <deque>
#include <random>
#include <set>

#include "protocols/webrtc/sctp_stack.hpp"

using namespace webrtc;

namespace {

using Bytes = std::vector<uint8_t>;

struct Peer {
  std::unique_ptr<SctpAssociation> sctp;
  bool connected = false;
  struct Opened {
    uint16_t stream;
    std::string label, protocol;
  };
  std::vector<Opened> opened;
  struct Message {
    uint16_t stream;
    bool text;
    Bytes bytes;
  };
  std::vector<Message> messages;
  std::vector<uint16_t> closed;
  std::vector<std::string> failures;
  // Optional reactions, run inside the callbacks (re-entrancy).
  std::function<void(const Message&)> onMessage;
  std::function<void(uint16_t)> onOpen;
};

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

struct Fixture {
  std::unique_ptr<SctpStack> stack;
  Peer a, b;  // a: DTLS client (even streams), b: DTLS server (odd streams)
  std::deque<std::pair<Peer*, Bytes>> wire;
  std::vector<Bytes> captured;  // every packet, for the garbage test
  bool direct = false;          // deliver at once from inside send (no queue)
  int64_t nowMs = 0;

  explicit Fixture(uint32_t maxA = 262144, uint32_t maxB = 262144, bool directWire = false)
      : direct(directWire) {
    std::string error;
    stack = SctpStack::create(error);
    BOOST_REQUIRE_MESSAGE(stack, error);
    a.sctp = make(a, b, true, maxA);
    b.sctp = make(b, a, false, maxB);
    BOOST_REQUIRE(!a.sctp->isFailed());
    BOOST_REQUIRE(!b.sctp->isFailed());
  }
  ~Fixture() {
    a.sctp.reset();
    b.sctp.reset();
    wire.clear();
    BOOST_CHECK_EQUAL(stack->associationCount(), 0u);
    BOOST_CHECK(stack->finish());  // usrsctp freed every endpoint: nothing left to leak
  }

  std::unique_ptr<SctpAssociation> make(Peer& self, Peer& other, bool client, uint32_t max) {
    SctpAssociation::Callbacks cb;
    cb.send = [this, &other](std::span<const uint8_t> packet) {
      captured.emplace_back(packet.begin(), packet.end());
      if (direct) {
        if (other.sctp) other.sctp->onPacket(packet);
      } else {
        wire.emplace_back(&other, Bytes(packet.begin(), packet.end()));
      }
    };
    cb.connected = [&self] { self.connected = true; };
    cb.channelOpen = [&self](uint16_t s, const std::string& label, const std::string& protocol) {
      self.opened.push_back({s, label, protocol});
      if (self.onOpen) self.onOpen(s);
    };
    cb.message = [&self](uint16_t s, bool isText, std::span<const uint8_t> bytes) {
      self.messages.push_back({s, isText, Bytes(bytes.begin(), bytes.end())});
      if (self.onMessage) self.onMessage(self.messages.back());
    };
    cb.channelClosed = [&self](uint16_t s) { self.closed.push_back(s); };
    cb.failed = [&self](const std::string& reason) { self.failures.push_back(reason); };
    return std::make_unique<SctpAssociation>(*stack, kSctpDefaultPort, kSctpDefaultPort, max,
                                             client, std::move(cb), client ? "sctp a" : "sctp b");
  }

  void drain() {
    for (size_t guard = 0; !wire.empty() && guard < 1'000'000; ++guard) {
      auto [to, bytes] = std::move(wire.front());
      wire.pop_front();
      if (to->sctp) to->sctp->onPacket(bytes);
    }
  }
  // Fake clock: 10 ms steps of usrsctp's timers, the wire drained after each.
  bool runUntil(const std::function<bool()>& done, int64_t maxMs = 20'000) {
    drain();
    for (int64_t t = 0; t < maxMs && !done(); t += 10) {
      nowMs += 10;
      stack->onTimer(10);
      drain();
    }
    return done();
  }
  void run(int64_t ms) {
    runUntil([] { return false; }, ms);
  }
  void connect() {
    BOOST_REQUIRE(runUntil([&] { return a.connected && b.connected; }));
  }
  // a opens "room" (stream 0: a is the DTLS client) and b sees it.
  uint16_t openRoom() {
    connect();
    auto stream = a.sctp->openChannel("room");
    BOOST_REQUIRE(stream);
    BOOST_REQUIRE(runUntil([&] { return !b.opened.empty(); }));
    return *stream;
  }
};

Bytes pattern(size_t n) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = uint8_t(i * 131 + (i >> 8));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sctp_association)

BOOST_AUTO_TEST_CASE(association_comes_up_by_simultaneous_open) {
  Fixture f;
  f.connect();
  BOOST_TEST(f.a.sctp->isConnected());
  BOOST_TEST(f.b.sctp->isConnected());
  BOOST_TEST(f.a.failures.empty());
  BOOST_TEST(f.b.failures.empty());
}

BOOST_AUTO_TEST_CASE(init_offers_what_rfc_8831_asks_and_no_ecn_or_asconf) {
  Fixture f;
  BOOST_REQUIRE(!f.captured.empty());
  const Bytes& init = f.captured[0];  // a's INIT, sent from its constructor
  auto u16 = [&](size_t at) { return uint16_t(init[at] << 8 | init[at + 1]); };
  BOOST_REQUIRE(init.size() >= 32u);
  BOOST_TEST(u16(0) == kSctpDefaultPort);  // source and destination port
  BOOST_TEST(u16(2) == kSctpDefaultPort);
  BOOST_TEST(init[12] == 1);                   // chunk type INIT (RFC 9260 §3.3.2)
  BOOST_TEST(u16(24) == SctpStack::kStreams);  // outbound streams
  BOOST_TEST(u16(26) == SctpStack::kStreams);  // max inbound streams
  std::set<uint16_t> params;
  std::vector<uint8_t> extensions;
  for (size_t at = 32; at + 4 <= init.size();) {
    uint16_t type = u16(at), length = u16(at + 2);
    BOOST_REQUIRE(length >= 4 && at + length <= init.size());
    params.insert(type);
    if (type == 0x8008) extensions.assign(init.begin() + at + 4, init.begin() + at + length);
    at += (length + 3u) & ~3u;
  }
  BOOST_TEST(params.count(0xC000) == 1u);  // Forward-TSN-Supported: PR-SCTP (RFC 3758)
  BOOST_TEST(params.count(0x8000) == 0u);  // no ECN-Capable
  auto has = [&](uint8_t chunk) {
    return std::find(extensions.begin(), extensions.end(), chunk) != extensions.end();
  };
  BOOST_TEST(has(0x82));   // RE-CONFIG (RFC 6525) in Supported Extensions (RFC 5061)
  BOOST_TEST(has(0xC0));   // FORWARD-TSN
  BOOST_TEST(!has(0xC1));  // no ASCONF
}

BOOST_AUTO_TEST_CASE(open_is_acked_and_announced_with_label_and_protocol) {
  Fixture f;
  uint16_t room = f.openRoom();
  BOOST_TEST(room == 0);  // DTLS client: even streams
  BOOST_REQUIRE_EQUAL(f.b.opened.size(), 1u);
  BOOST_TEST(f.b.opened[0].stream == 0);
  BOOST_TEST(f.b.opened[0].label == "room");
  BOOST_TEST(f.b.opened[0].protocol == "");

  auto chat = f.a.sctp->openChannel("chat", "json");
  BOOST_REQUIRE(chat);
  BOOST_TEST(*chat == 2);
  auto fromB = f.b.sctp->openChannel("back");
  BOOST_REQUIRE(fromB);
  BOOST_TEST(*fromB == 1);  // DTLS server: odd streams
  BOOST_REQUIRE(f.runUntil([&] { return f.b.opened.size() == 2 && f.a.opened.size() == 1; }));
  BOOST_TEST(f.b.opened[1].stream == 2);
  BOOST_TEST(f.b.opened[1].protocol == "json");
  BOOST_TEST(f.a.opened[0].stream == 1);
  BOOST_TEST(f.a.opened[0].label == "back");
  BOOST_TEST(f.a.opened.size() == 1u);  // a's own channels are not announced to a
}

BOOST_AUTO_TEST_CASE(channel_opened_before_the_association_is_up_is_sent_when_it_is) {
  Fixture f;
  auto stream = f.a.sctp->openChannel("early");
  BOOST_REQUIRE(stream);
  BOOST_TEST(!f.a.sctp->sendText(*stream, "too soon"));
  BOOST_TEST(f.a.sctp->lastError().find("not up") != std::string::npos);
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.opened.empty(); }));
  BOOST_TEST(f.b.opened[0].label == "early");
  BOOST_TEST(f.a.sctp->sendText(*stream, "now"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.messages.empty(); }));
  BOOST_TEST(text(f.b.messages[0].bytes) == "now");
}

BOOST_AUTO_TEST_CASE(text_and_binary_both_ways_including_empty_and_200_kib) {
  Fixture f;
  uint16_t s = f.openRoom();
  BOOST_TEST(f.a.sctp->sendText(s, "hello"));
  BOOST_TEST(f.b.sctp->sendText(s, "world"));
  BOOST_TEST(f.a.sctp->sendText(s, ""));
  BOOST_TEST(f.a.sctp->sendBinary(s, {}));
  Bytes big = pattern(200 * 1024);
  BOOST_TEST(f.a.sctp->sendBinary(s, big));
  BOOST_TEST(f.a.sctp->sendText(s, "after"));
  BOOST_REQUIRE(f.runUntil([&] { return f.b.messages.size() == 5 && f.a.messages.size() == 1; }));
  const auto& m = f.b.messages;
  BOOST_TEST((m[0].text && text(m[0].bytes) == "hello"));
  BOOST_TEST((m[1].text && m[1].bytes.empty()));   // PPID 56, its one byte ignored
  BOOST_TEST((!m[2].text && m[2].bytes.empty()));  // PPID 57
  BOOST_TEST(!m[3].text);
  BOOST_TEST((m[3].bytes == big));  // reassembled from usrsctp's partial deliveries
  BOOST_TEST(text(m[4].bytes) == "after");
  BOOST_TEST((f.a.messages[0].text && text(f.a.messages[0].bytes) == "world"));
  BOOST_TEST(f.b.sctp->stats().messagesIn == 5u);
  // RFC 8831 §5 (initial PMTU): no packet above 1135 bytes (1200 at IP with DTLS/UDP).
  size_t largest = 0;
  for (const auto& p : f.captured) largest = std::max(largest, p.size());
  BOOST_TEST(largest <= 1135u);
  BOOST_TEST(largest > 1000u);  // the 200 KiB message did fill packets
}

BOOST_AUTO_TEST_CASE(messages_over_the_peers_max_message_size_are_not_sent) {
  Fixture f(262144, 65536);  // a's peer accepts 256 KiB, b's peer 64 KiB (RFC 8841 §6)
  uint16_t s = f.openRoom();
  BOOST_TEST(!f.a.sctp->sendBinary(s, pattern(262145)));
  BOOST_TEST(f.a.sctp->lastError() ==
             "stream 0: message of 262145 bytes exceeds max-message-size 262144");
  BOOST_TEST(f.a.sctp->stats().refusedOut == 1u);
  BOOST_TEST(!f.b.sctp->sendText(s, std::string(65537, 'x')));
  BOOST_TEST(f.b.sctp->lastError().find("exceeds max-message-size 65536") != std::string::npos);
  BOOST_TEST(f.b.sctp->sendText(s, std::string(65536, 'y')));
  // b itself accepts what it announces (256 KiB), whatever its peer accepts.
  BOOST_TEST(f.a.sctp->sendBinary(s, pattern(100000)));
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.messages.empty() && !f.a.messages.empty(); }));
  BOOST_TEST(f.b.messages[0].bytes.size() == 100000u);
  BOOST_TEST(f.a.messages[0].bytes.size() == 65536u);
}

BOOST_AUTO_TEST_CASE(messages_over_what_we_announce_are_refused_on_receipt) {
  // A peer ignoring our a=max-message-size: what usrsctp would hand up, whole or in
  // pieces (partial delivery), fed through its receive callback's entry point.
  Fixture f;
  uint16_t s = f.openRoom();
  auto deliver = [&](size_t size, uint8_t fill, bool last) {
    Bytes bytes(size, fill);
    SctpAssociation::Inbound in;
    in.data = bytes;
    in.stream = s;
    in.ppid = kPpidBinary;
    in.endOfRecord = last;
    f.b.sctp->handleInbound(in);
  };
  deliver(kSctpMaxMessageSizeCap + 1, 1, true);
  for (int i = 0; i < 3; ++i) deliver(100000, 2, false);  // 300 000 bytes in pieces
  deliver(10, 2, true);
  BOOST_TEST(f.b.sctp->stats().refusedIn == 2u);
  BOOST_TEST(f.b.messages.empty());
  deliver(1000, 3, false);  // a piecewise message within the limit is reassembled
  deliver(kSctpMaxMessageSizeCap - 1000, 4, true);
  BOOST_REQUIRE_EQUAL(f.b.messages.size(), 1u);
  const Bytes& m = f.b.messages[0].bytes;
  BOOST_TEST(m.size() == kSctpMaxMessageSizeCap);
  BOOST_TEST((m.front() == 3 && m[999] == 3 && m[1000] == 4 && m.back() == 4));
  BOOST_TEST(f.a.sctp->sendText(s, "after"));  // and the association goes on
  BOOST_REQUIRE(f.runUntil([&] { return f.b.messages.size() == 2; }));
  BOOST_TEST(text(f.b.messages[1].bytes) == "after");
}

BOOST_AUTO_TEST_CASE(closing_a_channel_resets_both_streams) {
  Fixture f;
  uint16_t s = f.openRoom();
  f.a.sctp->closeChannel(s);
  BOOST_TEST(!f.a.sctp->sendText(s, "closed"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.a.closed.empty() && !f.b.closed.empty(); }));
  BOOST_TEST(f.a.closed == std::vector<uint16_t>{s}, boost::test_tools::per_element());
  BOOST_TEST(f.b.closed == std::vector<uint16_t>{s}, boost::test_tools::per_element());
  BOOST_TEST(!f.b.sctp->sendText(s, "closed"));
  // The stream is free again once both resets are done.
  f.run(200);
  auto again = f.a.sctp->openChannel("again");
  BOOST_REQUIRE(again);
  BOOST_TEST(*again == s);
  BOOST_REQUIRE(f.runUntil([&] { return f.b.opened.size() == 2; }));
  BOOST_TEST(f.a.sctp->sendText(*again, "reopened"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.messages.empty(); }));
  BOOST_TEST(text(f.b.messages[0].bytes) == "reopened");

  // The side that did not open it may close it too.
  f.b.sctp->closeChannel(*again);
  BOOST_REQUIRE(f.runUntil([&] { return f.a.closed.size() == 2 && f.b.closed.size() == 2; }));
  BOOST_TEST(f.a.failures.empty());
}

BOOST_AUTO_TEST_CASE(partially_reliable_unordered_channel) {
  Fixture f;
  f.connect();
  DcepOpen open{DcepChannelType::PartialReliableRexmitUnordered, 512, 0, "lossy", ""};
  auto s = f.a.sctp->openChannel(open);
  BOOST_REQUIRE(s);
  BOOST_TEST(f.a.sctp->sendText(*s, "one"));  // before the ACK: sent ordered
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.messages.empty(); }));
  BOOST_TEST(f.b.sctp->sendText(*s, "two"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.a.messages.empty(); }));
  BOOST_TEST(text(f.a.messages[0].bytes) == "two");
}

BOOST_AUTO_TEST_CASE(sends_and_closes_from_inside_callbacks_are_safe) {
  Fixture f;
  // b echoes every message at once, from inside usrsctp's receive callback, and closes
  // the channel on "bye"; b also greets a channel from inside channelOpen.
  f.b.onOpen = [&](uint16_t s) { BOOST_TEST(f.b.sctp->sendText(s, "welcome")); };
  f.b.onMessage = [&](const Peer::Message& m) {
    BOOST_TEST(f.b.sctp->sendText(m.stream, "echo " + text(m.bytes)));
    if (text(m.bytes) == "bye") f.b.sctp->closeChannel(m.stream);
  };
  uint16_t s = f.openRoom();
  BOOST_TEST(f.a.sctp->sendText(s, "ping"));
  BOOST_TEST(f.a.sctp->sendText(s, "bye"));
  BOOST_REQUIRE(f.runUntil([&] { return f.a.messages.size() == 3 && !f.a.closed.empty(); }));
  BOOST_TEST(text(f.a.messages[0].bytes) == "welcome");  // after the ACK, before the echoes
  BOOST_TEST(text(f.a.messages[1].bytes) == "echo ping");
  BOOST_TEST(text(f.a.messages[2].bytes) == "echo bye");
}

BOOST_AUTO_TEST_CASE(close_from_inside_a_callback_still_aborts_the_peer) {
  Fixture f;
  f.b.onMessage = [&](const Peer::Message& m) {
    if (text(m.bytes) == "quit") f.b.sctp->close();
  };
  uint16_t s = f.openRoom();
  BOOST_TEST(f.a.sctp->sendText(s, "quit"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.a.failures.empty(); }));
  BOOST_TEST(f.a.failures[0].find("association lost") != std::string::npos, f.a.failures[0]);
  BOOST_TEST(!f.b.sctp->sendText(s, "late"));
  BOOST_TEST(f.b.failures.empty());
  BOOST_TEST(f.stack->associationCount() == 1u);
}

BOOST_AUTO_TEST_CASE(an_association_made_inside_a_callback_starts_after_it) {
  Fixture f;
  std::unique_ptr<SctpAssociation> late;
  size_t lateInits = 0;
  f.b.onMessage = [&](const Peer::Message&) {
    SctpAssociation::Callbacks cb;
    cb.send = [&](std::span<const uint8_t>) { ++lateInits; };
    late = std::make_unique<SctpAssociation>(*f.stack, 5000, 5000, 0, false, std::move(cb));
    BOOST_TEST(lateInits == 0u);  // not from inside usrsctp's receive callback
  };
  uint16_t s = f.openRoom();
  BOOST_TEST(f.a.sctp->sendText(s, "make one"));
  f.drain();
  BOOST_REQUIRE(late);
  BOOST_TEST(lateInits == 1u);  // its INIT, once b's packet was processed
  BOOST_TEST(!late->isFailed());
  late.reset();
  BOOST_TEST(f.stack->associationCount() == 2u);
}

BOOST_AUTO_TEST_CASE(wired_directly_packets_from_inside_usrsctp_are_deferred) {
  // No queue: a's packet reaches b.onPacket from inside a's usrsctp call, b's answer
  // reaches a.onPacket from inside b's. The stack defers instead of re-entering.
  Fixture f(262144, 262144, true);
  f.connect();
  auto s = f.a.sctp->openChannel("room");
  BOOST_REQUIRE(s);
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.opened.empty(); }));
  BOOST_TEST(f.a.sctp->sendText(*s, "direct"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.messages.empty(); }));
  BOOST_TEST(text(f.b.messages[0].bytes) == "direct");
}

BOOST_AUTO_TEST_CASE(close_aborts_and_the_peer_fails) {
  Fixture f;
  uint16_t s = f.openRoom();
  f.a.sctp->close();
  BOOST_TEST(!f.a.sctp->sendText(s, "gone"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.failures.empty(); }));
  BOOST_TEST(f.b.failures[0].find("association lost") != std::string::npos, f.b.failures[0]);
  BOOST_TEST(f.a.failures.empty());  // no callback after close()
  BOOST_TEST(!f.b.sctp->sendText(s, "gone"));
  BOOST_TEST(f.stack->associationCount() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_dcep_and_ppids_from_the_peer_are_refused) {
  // What usrsctp would hand up for a misbehaving peer, fed through the same entry point
  // its receive callback uses.
  Fixture f;
  uint16_t s = f.openRoom();
  auto deliver = [&](uint16_t stream, uint32_t ppid, Bytes bytes) {
    SctpAssociation::Inbound in;
    in.data = bytes;
    in.stream = stream;
    in.ppid = ppid;
    in.endOfRecord = true;
    f.b.sctp->handleInbound(in);
  };
  Bytes truncatedOpen = buildDcepOpen(DcepOpen{DcepChannelType::Reliable, 256, 0, "x", ""});
  truncatedOpen.pop_back();
  deliver(4, kPpidDcep, truncatedOpen);                // refused: stream 4 reset
  deliver(s, kPpidDcep, buildDcepOpen(DcepOpen{}));    // OPEN on a stream in use
  deliver(s, kPpidStringPartial, {'h', 'i'});          // deprecated PPID 52
  deliver(s, 99, {'h', 'i'});                          // not a data channel PPID
  deliver(6, kPpidString, {'h', 'i'});                 // no channel on stream 6
  deliver(s, kPpidString, Bytes(65537 * 4 + 1, 'x'));  // over max-message-size
  BOOST_TEST(f.b.sctp->stats().refusedIn == 6u);
  BOOST_TEST(f.b.opened.size() == 1u);
  BOOST_TEST(f.b.messages.empty());
  f.run(200);  // the reset of stream 4 crosses without a channel on either side
  BOOST_TEST(f.a.closed.empty());
  BOOST_TEST(f.b.closed.empty());
  BOOST_TEST(f.a.sctp->sendText(s, "fine"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.messages.empty(); }));
  BOOST_TEST(text(f.b.messages[0].bytes) == "fine");
  BOOST_TEST(f.b.failures.empty());
}

BOOST_AUTO_TEST_CASE(garbage_packets_do_not_crash_or_break_the_association) {
  Fixture f;
  uint16_t s = f.openRoom();
  std::mt19937 rng(8261);
  std::uniform_int_distribution<int> byte(0, 255);
  // Random bytes of every small length and some large ones.
  for (size_t n = 0; n < 300; ++n) {
    Bytes junk(n);
    for (auto& x : junk) x = uint8_t(byte(rng));
    f.a.sctp->onPacket(junk);
  }
  f.a.sctp->onPacket(Bytes(70000, 0xAB));
  // Real packets, truncated at every length and with one bit flipped (bad CRC32c).
  std::vector<Bytes> real(f.captured.begin(), f.captured.end());
  for (const auto& p : real) {
    for (size_t n = 0; n < p.size(); n += 7) f.b.sctp->onPacket(std::span(p).first(n));
    Bytes flipped = p;
    flipped[flipped.size() / 2] ^= 0x10;
    f.b.sctp->onPacket(flipped);
  }
  f.drain();
  BOOST_TEST(f.a.sctp->sendText(s, "survived"));
  BOOST_REQUIRE(f.runUntil([&] { return !f.b.messages.empty(); }));
  BOOST_TEST(text(f.b.messages.back().bytes) == "survived");
  BOOST_TEST(f.a.failures.empty());
  BOOST_TEST(f.b.failures.empty());
}

BOOST_AUTO_TEST_CASE(an_unanswered_association_fails_on_the_fake_clock) {
  std::string error;
  auto stack = SctpStack::create(error);
  BOOST_REQUIRE_MESSAGE(stack, error);
  std::vector<std::string> failures;
  size_t inits = 0;
  SctpAssociation::Callbacks cb;
  cb.send = [&](std::span<const uint8_t>) { ++inits; };  // nobody answers
  cb.failed = [&](const std::string& reason) { failures.push_back(reason); };
  {
    SctpAssociation lonely(*stack, 5000, 5000, 0, false, std::move(cb));
    BOOST_TEST(lonely.maxMessageSize() == kSctpMaxMessageSizeCap);  // 0: the cap
    for (int t = 0; t < 600'000 && failures.empty(); t += 100) stack->onTimer(100);
    BOOST_REQUIRE_EQUAL(failures.size(), 1u);
    BOOST_TEST(failures[0].find("could not be set up") != std::string::npos, failures[0]);
    BOOST_TEST(inits > 1u);  // INIT retransmitted on the timer
  }
  BOOST_TEST(stack->associationCount() == 0u);
  BOOST_TEST(stack->finish());
}

BOOST_AUTO_TEST_CASE(finish_waits_for_the_associations) {
  std::string error;
  auto stack = SctpStack::create(error);
  BOOST_REQUIRE_MESSAGE(stack, error);
  auto sctp =
      std::make_unique<SctpAssociation>(*stack, 5000, 5000, 0, true, SctpAssociation::Callbacks{});
  BOOST_TEST(!stack->finish());  // its socket is open
  sctp.reset();
  BOOST_TEST(stack->finish());
  BOOST_TEST(stack->finish());  // idempotent
}

BOOST_AUTO_TEST_SUITE_END()
