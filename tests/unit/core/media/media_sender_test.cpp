#include "core/media/media_sender.hpp"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "core/loop/event_loop.hpp"
#include "core/loop/tcp_listener.hpp"
#include "core/loop/write_coalescer.hpp"
#include "tests/unit/core/media/fake_byte_sink.hpp"
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
  whole.sender->setFrame([](size_t n) {
    return std::pair{SharedBuffer::copyOf("<" + std::to_string(n) + ">"),
                     SharedBuffer::copyOf(std::string_view("|"))};
  });
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
  link.sender->holdRoomEvents(true);
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

// --- On a FakeByteSink: what MediaSender does with each answer of the sink. ---

namespace {

using testing::FakeByteSink;

struct FakeViewer {
  FakeByteSink sink;
  std::string overflow;
  WriteCoalescer coalescer;
  MediaSender sender;

  FakeViewer(EventLoop& loop, SendQueue::Limits limits = kLimits)
      : coalescer(loop, 30),
        sender(
            sink, coalescer, limits,
            [](const MediaPacket& p) -> const SharedBuffer& {
              return p.wireForm(WireFormat::FlvTag, [](const MediaPacket& q) {
                return SharedBuffer::copyOf(q.payload.span());
              });
            },
            [this](const std::string& reason) { overflow = reason; }) {}
};

std::string text(const std::vector<SharedBuffer>& buffers) {
  std::string out;
  for (const SharedBuffer& b : buffers) out += b.view();
  return out;
}

// A packet in a datagram format: one part per byte of its payload.
std::span<const SharedBuffer> partsOf(const MediaPacket& p) {
  return p.wireParts(WireFormat::RtpVideo, [](const MediaPacket& q) {
    std::vector<SharedBuffer> parts;
    for (size_t i = 0; i < q.payload.size(); ++i) parts.push_back(q.payload.slice(i, 1));
    return parts;
  });
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_queued_write_takes_the_viewer_out_of_step_until_drained) {
  EventLoop loop;
  FakeViewer v(loop);
  v.sink.answer = ByteSink::Write::Queued;
  BOOST_TEST(v.sender.inStep(window(0, 2)));
  BOOST_TEST(v.sender.sendWhole(window(0, 2), bytesOf(window(0, 2))));
  BOOST_TEST(!v.sender.idle());
  BOOST_TEST(!v.sender.inStep(window(100, 2)));  // in flight
  // What comes meanwhile waits in the queue: no write until the sink drains.
  const PacketBatch next = window(100, 2, 2);
  for (const MediaPacket& p : next.packets()) v.sender.send(p);
  v.sender.flush();
  BOOST_TEST(v.sink.writes.size() == 1u);
  v.sink.answer = ByteSink::Write::Done;
  v.sink.drain();
  v.sender.onDrained();  // writes the queue, all in one write
  BOOST_TEST(v.sink.writes.size() == 2u);
  BOOST_TEST(text(v.sink.writes[1]) == "Caabb");
  BOOST_TEST(v.sender.idle());
  BOOST_TEST(v.sender.inStep(window(200, 2)));
}

BOOST_AUTO_TEST_CASE(a_closed_sink_stops_all_writes) {
  EventLoop loop;
  FakeViewer v(loop);
  v.sink.answer = ByteSink::Write::Closed;
  BOOST_TEST(v.sender.sendWhole(window(0, 2), bytesOf(window(0, 2))));  // nothing to redo
  BOOST_TEST(v.sink.calls == 1u);
  BOOST_TEST(v.sender.sinkClosed());
  BOOST_TEST(v.sender.bytesSent() == 0u);
  BOOST_TEST(!v.sender.inStep(window(100, 2)));
  const PacketBatch next = window(100, 2);
  for (const MediaPacket& p : next.packets()) v.sender.send(p);
  v.sender.flush();
  v.sender.sendControl(SharedBuffer::copyOf(std::string_view("status")));
  v.sender.onDrained();
  BOOST_TEST(v.sink.calls == 1u);  // never asked again
  BOOST_TEST(v.sink.writes.empty());
}

BOOST_AUTO_TEST_CASE(send_whole_writes_framing_and_batch_in_one_gather_write) {
  EventLoop loop;
  FakeViewer v(loop);
  v.sender.setFrame([](size_t n) {
    return std::pair{SharedBuffer::copyOf("<" + std::to_string(n) + ">"),
                     SharedBuffer::copyOf(std::string_view("|"))};
  });
  const PacketBatch batch = window(0, 2, 3);
  BOOST_TEST(v.sender.inStep(batch));
  BOOST_TEST(v.sender.sendWhole(batch, bytesOf(batch)));
  BOOST_REQUIRE(v.sink.writes.size() == 1u);
  BOOST_TEST(v.sink.writes[0].size() == 3u);
  // The batch's own buffer, shared, not a copy.
  BOOST_TEST(v.sink.writes[0][1].data() == bytesOf(batch).data());
  BOOST_TEST(text(v.sink.writes[0]) == "<7>Caaabbb|");
  BOOST_TEST(v.sender.bytesSent() == 11u);
  BOOST_TEST(batch.bytesOut() == 11u);
  BOOST_TEST(v.sender.idle());
}

BOOST_AUTO_TEST_CASE(flush_gathers_everything_queued_into_one_write) {
  EventLoop loop;
  FakeViewer v(loop);
  uint64_t counted = 0;
  v.sender.onBytesSent = [&](uint64_t n) { counted += n; };
  const PacketBatch batch = window(0, 5, 2);
  for (const MediaPacket& p : batch.packets()) v.sender.send(p);
  BOOST_TEST(v.sink.writes.empty());  // waits for the merge window
  v.sender.flush();
  BOOST_REQUIRE(v.sink.writes.size() == 1u);
  BOOST_TEST(v.sink.writes[0].size() == 6u);  // one buffer per packet, in order
  BOOST_TEST(text(v.sink.writes[0]) == "Caabbccddee");
  BOOST_TEST(counted == 11u);
  v.sender.flush();  // nothing queued: no empty write
  BOOST_TEST(v.sink.calls == 1u);
}

BOOST_AUTO_TEST_CASE(parts_of_one_packet_go_out_in_one_gather_write) {
  EventLoop loop;
  FakeViewer v(loop);
  const MediaPacket key = packet(MediaKind::Video, 0, "KEY", true);
  const MediaPacket inter = packet(MediaKind::Video, 40, "pp");
  v.sender.send(key, partsOf(key));
  v.sender.send(inter, partsOf(inter));
  v.sender.flush();
  BOOST_REQUIRE(v.sink.writes.size() == 1u);
  const auto& w = v.sink.writes[0];
  BOOST_REQUIRE(w.size() == 5u);  // each part its own buffer (a datagram each)
  BOOST_TEST(w[0].view() == "K");
  BOOST_TEST(w[2].view() == "Y");
  BOOST_TEST(w[4].view() == "p");
  BOOST_TEST(w[0].data() == key.payload.data());  // the cached parts, not copies
  BOOST_TEST(v.sender.bytesSent() == 5u);
}
