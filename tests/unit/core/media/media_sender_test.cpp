#include "core/media/media_sender.hpp"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "core/loop/event_loop.hpp"
#include "core/loop/tcp_listener.hpp"
#include "core/loop/write_coalescer.hpp"
#include "tests/unit/run_loop.hpp"

using namespace core;

namespace {

// One loopback connection: the server side writes through a MediaSender, the client
// side collects what arrives (it can stop reading, to fill the socket).
struct Link : TcpConnection::Handler {
  EventLoop& loop;
  std::unique_ptr<TcpListener> listener;
  std::unique_ptr<TcpConnection> server, client;
  std::string received;
  std::string overflow;
  WriteCoalescer coalescer;
  std::unique_ptr<MediaSender> sender;

  struct Drain : TcpConnection::Handler {
    MediaSender* sender = nullptr;
    void onData(std::span<const uint8_t>) override {}
    void onDisconnect(std::string_view) override {}
    void onDrained() override {
      if (sender) sender->onDrained();
    }
  } drain;

  Link(EventLoop& l, SendQueue::Limits limits) : loop(l), coalescer(l, 30) {
    listener = std::make_unique<TcpListener>(
        loop, "127.0.0.1", 0, [this](std::unique_ptr<TcpConnection> c) { server = std::move(c); });
    client.reset(TcpConnection::connect(loop, "127.0.0.1", listener->port(),
                                        [this](TcpConnection* c, int status) {
                                          BOOST_REQUIRE(status == 0);
                                          c->setHandler(this);
                                        }));
    BOOST_REQUIRE(testing_loop::runUntil(loop, [this] { return server != nullptr; }));
    server->setHandler(&drain);
    sender = std::make_unique<MediaSender>(
        *server, coalescer, limits,
        [](const MediaPacket& p) -> const SharedBuffer& {
          return p.wireForm(WireFormat::FlvTag, [](const MediaPacket& q) {
            return SharedBuffer::copyOf(q.payload.span());
          });
        },
        [this](const std::string& reason) { overflow = reason; });
    drain.sender = sender.get();
  }
  ~Link() override {
    sender.reset();
    if (server) server->close();
    if (client) client->close();
    testing_loop::runFor(loop, 5);
  }
  void read() { client->startReading(); }
  void onData(std::span<const uint8_t> bytes) override {
    received.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void onDisconnect(std::string_view) override {}
};

MediaPacket packet(MediaKind kind, int64_t dts, std::string body, bool key = false) {
  MediaPacket p;
  p.kind = kind;
  p.codec = kind == MediaKind::Video   ? Codec::H264
            : kind == MediaKind::Audio ? Codec::AAC
                                       : Codec::Amf0;
  p.dts = p.pts = dts;
  p.keyframe = key;
  p.payload = SharedBuffer::copyOf(std::string_view(body));
  return p;
}

// The batch's form as a viewer sink builds it: each packet's form back to back.
const SharedBuffer& bytesOf(const PacketBatch& batch) {
  return batch.wireForm(PacketBatch::formIndex(WireFormat::FlvTag, true),
                        [](std::vector<uint8_t>& out, const MediaPacket& p) {
                          out.insert(out.end(), p.payload.data(),
                                     p.payload.data() + p.payload.size());
                        });
}

PacketBatch window(int64_t from, int count, size_t size = 10) {
  PacketBatch b;
  MediaPacket config = packet(MediaKind::Video, from, "C");
  config.config = true;
  b.add(config, 0);
  for (int i = 0; i < count; ++i)
    b.add(packet(i % 2 ? MediaKind::Audio : MediaKind::Video, from + 20 * i,
                 std::string(size, static_cast<char>('a' + i % 26)), i == 0),
          static_cast<uint64_t>(i + 1));
  return b;
}

const SendQueue::Limits kLimits{1000, 3000, 1 << 20};

}  // namespace

BOOST_AUTO_TEST_CASE(a_viewer_in_step_gets_the_same_bytes_as_one_packet_at_a_time) {
  EventLoop loop;
  Link whole(loop, kLimits), single(loop, kLimits);
  whole.read();
  single.read();
  const PacketBatch batch = window(0, 6);
  BOOST_TEST(batch.oldestMediaDts() == 0);
  BOOST_TEST(batch.newestMediaDts() == 100);
  BOOST_TEST(whole.sender->inStep(batch));
  BOOST_TEST(whole.sender->sendWhole(batch, bytesOf(batch)));
  for (const MediaPacket& p : batch.packets()) single.sender->send(p);
  single.sender->flush();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] {
    return whole.received.size() == bytesOf(batch).size() &&
           single.received.size() == bytesOf(batch).size();
  }));
  BOOST_TEST(whole.received == single.received);
  BOOST_TEST(whole.sender->bytesSent() == single.sender->bytesSent());
  BOOST_TEST(whole.sender->idle());
  // A chunked framing goes around the whole window, as around a gather write.
  whole.sender->frame = [](size_t n) {
    return std::pair{SharedBuffer::copyOf("<" + std::to_string(n) + ">"),
                     SharedBuffer::copyOf(std::string_view("|"))};
  };
  whole.received.clear();
  const PacketBatch next = window(120, 2, 3);
  BOOST_TEST(whole.sender->inStep(next));
  BOOST_TEST(whole.sender->sendWhole(next, bytesOf(next)));
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return whole.received.size() == 11; }));
  BOOST_TEST(whole.received == "<7>Caaabbb|");
}

BOOST_AUTO_TEST_CASE(a_viewer_with_bytes_in_flight_or_queued_is_not_in_step) {
  EventLoop loop;
  Link link(loop, {1000, 3000, 64 << 20});
  link.server->setSendBuffer(16 * 1024);
  // The client does not read: a large window fills the socket and stays in flight.
  const PacketBatch big = window(0, 4, 150 * 1024);
  BOOST_TEST(link.sender->inStep(big));
  BOOST_TEST(link.sender->sendWhole(big, bytesOf(big)));
  BOOST_TEST(link.server->writePending());
  const PacketBatch next = window(200, 3);
  BOOST_TEST(!link.sender->inStep(next));  // in flight
  for (const MediaPacket& p : next.packets()) link.sender->send(p);
  BOOST_TEST(!link.sender->inStep(next));  // queued behind it
  link.read();
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return link.sender->idle(); }, 10000));
  BOOST_TEST(link.sender->inStep(window(300, 3)));
  BOOST_TEST(link.received.size() == bytesOf(big).size() + bytesOf(next).size());
}

BOOST_AUTO_TEST_CASE(a_viewer_whose_room_events_are_held_takes_the_queue_path_until_they_pass) {
  // A window's prebuilt bytes carry its room events: a new viewer must not get them
  // before RoomEventGate's hold-off, nor would its gate count the media it skipped.
  EventLoop loop;
  Link link(loop, kLimits);
  link.read();
  link.sender->holdRoomEvents = true;
  PacketBatch first = window(0, 6);
  MediaPacket event = packet(MediaKind::Data, 50, "E");
  event.codec = Codec::RoomEvent;
  first.add(event, 7);
  BOOST_TEST(!link.sender->inStep(first));
  for (const MediaPacket& p : first.packets()) link.sender->send(p);
  link.sender->flush();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return link.sender->idle(); }));
  BOOST_TEST(link.received.find('E') == std::string::npos);  // held back: dropped
  // The media it was sent has now run past the hold-off: the next window is in step.
  const PacketBatch late = window(RoomEventGate::kHoldOffMs, 2);
  BOOST_TEST(!link.sender->inStep(late));
  for (const MediaPacket& p : late.packets()) link.sender->send(p);
  link.sender->flush();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return link.sender->idle(); }));
  BOOST_TEST(link.sender->inStep(window(RoomEventGate::kHoldOffMs + 100, 2)));
}

BOOST_AUTO_TEST_CASE(the_hard_limit_counts_a_window_still_in_flight) {
  EventLoop loop;
  Link link(loop, {1000, 3000, 64 << 20});
  link.server->setSendBuffer(16 * 1024);
  const PacketBatch big = window(0, 4, 150 * 1024);  // media from dts 0
  BOOST_TEST(link.sender->sendWhole(big, bytesOf(big)));
  BOOST_REQUIRE(link.server->writePending());
  // Nothing queued, but the oldest packet in flight is 3.1 s behind this one.
  link.sender->send(packet(MediaKind::Video, 3100, "late"));
  BOOST_TEST(link.overflow.find("hard limit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_window_beyond_the_limits_goes_through_the_queue) {
  EventLoop loop;
  Link link(loop, {1000, 3000, 4096});
  link.read();
  // A media span over the soft limit: pushing it would drop, so not in step.
  PacketBatch longWindow = window(0, 2);
  longWindow.add(packet(MediaKind::Video, 1500, "x"), 3);
  BOOST_TEST(!link.sender->inStep(longWindow));
  // More bytes than the byte limit: sendWhole refuses (and sends nothing).
  const PacketBatch heavy = window(0, 2, 5000);
  BOOST_TEST(link.sender->inStep(heavy));
  BOOST_TEST(!link.sender->sendWhole(heavy, bytesOf(heavy)));
  BOOST_TEST(link.sender->bytesSent() == 0u);
}

BOOST_AUTO_TEST_CASE(a_viewer_skipping_to_a_keyframe_is_not_in_step_until_it_resumes) {
  EventLoop loop;
  Link link(loop, {1000, 30000, 64 << 20});
  link.server->setSendBuffer(16 * 1024);
  const PacketBatch big = window(0, 4, 150 * 1024);
  BOOST_TEST(link.sender->sendWhole(big, bytesOf(big)));
  BOOST_REQUIRE(link.server->writePending());
  // Queued behind the stuck write until the queue spans over the soft limit:
  // it drops them and waits for a keyframe.
  for (int t = 100; t <= 1300; t += 100) link.sender->send(packet(MediaKind::Video, t, "p"));
  BOOST_TEST(link.sender->droppedPackets() > 0u);
  link.read();
  BOOST_REQUIRE(testing_loop::runUntil(
      loop, [&] { return link.sender->idle(); }, 10000));
  BOOST_TEST(!link.sender->inStep(window(1400, 2)));  // still waiting for a keyframe
  link.sender->send(packet(MediaKind::Video, 1400, "K", true));
  link.sender->flush();
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return link.sender->idle(); }));
  BOOST_TEST(link.sender->inStep(window(1500, 2)));
}

BOOST_AUTO_TEST_CASE(the_storage_a_join_burst_grew_is_let_go_after_it_is_written) {
  EventLoop loop;
  Link link(loop, kLimits);
  link.read();
  link.sender->beginBurst();
  for (int i = 0; i < 300; ++i)
    link.sender->send(packet(i % 2 ? MediaKind::Audio : MediaKind::Video, i * 10, "f", i == 0));
  BOOST_TEST(link.sender->keptEntries() >= 300u);
  link.sender->endBurst();  // written at once
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return link.received.size() == 300; }));
  BOOST_TEST(link.sender->keptEntries() <= 3 * MediaSender::kKeptEntries);
  // A steady flow of small writes keeps (and reuses) its small storage.
  for (int i = 0; i < 5; ++i) link.sender->send(packet(MediaKind::Audio, 3000 + i * 20, "a"));
  link.sender->flush();
  BOOST_TEST(link.sender->keptEntries() > 0u);
  BOOST_TEST(link.sender->keptEntries() <= 3 * MediaSender::kKeptEntries);
}
