#include "protocols/http/websocket.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"
#include "protocols/http/http_server.hpp"
#include "tests/unit/run_loop.hpp"

using namespace http;

namespace {

const std::string kKey = "dGhlIHNhbXBsZSBub25jZQ==";
const std::string kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string handshake(const std::string& path = "/ws", const std::string& version = "13",
                      const std::string& key = kKey) {
  std::string h = "GET " + path +
                  " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                  "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: " +
                  version + "\r\n";
  if (!key.empty()) h += "Sec-WebSocket-Key: " + key + "\r\n";
  return h + "\r\n";
}

// A client->server frame, masked unless told otherwise (RFC 6455 5.3).
std::string clientFrame(uint8_t op, std::string_view payload, bool fin = true, bool mask = true,
                        uint64_t announced = UINT64_MAX) {
  const uint64_t n = announced == UINT64_MAX ? payload.size() : announced;
  const uint8_t m = mask ? 0x80 : 0;
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | op));
  if (n < 126) {
    f.push_back(static_cast<char>(m | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int s = 56; s >= 0; s -= 8) f.push_back(static_cast<char>(n >> s));
  }
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (mask) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i)
    f.push_back(mask ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  return f;
}

std::string closePayload(uint16_t code, std::string_view reason) {
  std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  return p + std::string(reason);
}

struct Frame {
  uint8_t op = 0;
  bool fin = false;
  std::string payload;
  uint16_t closeCode() const {
    if (payload.size() < 2) return 0;
    return static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                 static_cast<uint8_t>(payload[1]));
  }
  std::string closeReason() const { return payload.size() > 2 ? payload.substr(2) : ""; }
};

// Takes whole server frames off the front of `in`; false if one is masked (a
// server must never mask).
bool parseFrames(std::string& in, std::vector<Frame>& out) {
  while (in.size() >= 2) {
    const auto b0 = static_cast<uint8_t>(in[0]);
    const auto b1 = static_cast<uint8_t>(in[1]);
    if (b1 & 0x80) return false;
    size_t pos = 2;
    uint64_t n = b1 & 0x7F;
    const size_t extra = n == 126 ? 2 : n == 127 ? 8 : 0;
    if (in.size() < pos + extra) return true;
    if (extra) {
      n = 0;
      for (size_t i = 0; i < extra; ++i) n = (n << 8) | static_cast<uint8_t>(in[pos + i]);
      pos += extra;
    }
    if (in.size() < pos + n) return true;
    out.push_back({static_cast<uint8_t>(b0 & 0x0F), (b0 & 0x80) != 0, in.substr(pos, n)});
    in.erase(0, pos + n);
  }
  return true;
}

struct Client : core::TcpConnection::Handler {
  std::unique_ptr<core::TcpConnection> conn;
  std::string all;   // every byte received
  std::string head;  // the HTTP response head
  std::string rest;  // bytes after it, not yet parsed into frames
  std::vector<Frame> frames;
  bool connected = false;
  bool disconnected = false;
  bool maskedFrame = false;

  void onData(std::span<const uint8_t> bytes) override {
    all.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    rest.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (head.empty()) {
      const size_t end = rest.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head = rest.substr(0, end + 4);
      rest.erase(0, end + 4);
      if (!head.starts_with("HTTP/1.1 101")) return;
    }
    if (head.starts_with("HTTP/1.1 101") && !parseFrames(rest, frames)) maskedFrame = true;
  }
  void onDisconnect(std::string_view) override { disconnected = true; }
  void send(const std::string& bytes) { conn->write(core::SharedBuffer::copyOf(bytes)); }
  const Frame* find(uint8_t op) const {
    for (const auto& f : frames)
      if (f.op == op) return &f;
    return nullptr;
  }
};

struct Fixture {
  core::EventLoop loop;
  HttpServer server{loop, "127.0.0.1", 0, HttpOptions{}};
  WebSocketOptions options;

  // Echoes text and binary messages; its owner drops the socket on close.
  struct Echo : WebSocket::Handler {
    explicit Echo(Fixture& f) : f(f) {}
    void onMessage(WsOpcode op, std::string_view payload) override {
      f.messages.emplace_back(payload);
      if (payload == "close me") {
        ws->close(1000, "as asked");
        BOOST_TEST(f.closes.empty());  // not re-entrant
        return;
      }
      if (op == WsOpcode::Text) {
        ws->sendText(payload);
      } else {
        ws->sendFrame(encodeWsFrame(WsOpcode::Binary, payload));
      }
    }
    void onClose(std::string_view reason) override {
      if (f.inSend) f.closedInsideSend = true;
      BOOST_TEST(ws->closed());
      f.closes.emplace_back(reason);
      auto it = f.sockets.find(ws);
      if (it != f.sockets.end()) {
        f.loop.deferDelete(std::move(it->second));
        f.sockets.erase(it);
      }
    }
    Fixture& f;
    WebSocket* ws = nullptr;
  };

  std::vector<std::unique_ptr<Client>> clients;
  std::map<WebSocket*, std::unique_ptr<WebSocket>> sockets;
  std::vector<std::unique_ptr<Echo>> handlers;
  std::vector<std::string> messages;
  std::vector<std::string> closes;
  bool inSend = false;
  bool closedInsideSend = false;

  Fixture() {
    server.routePrefix("GET", "/ws", [this](const HttpRequest& req, HttpExchange& exchange) {
      auto handler = std::make_unique<Echo>(*this);
      HttpResponse error;
      auto ws = WebSocket::accept(req, exchange, options, handler.get(), &error);
      if (!ws) return error;
      handler->ws = ws.get();
      sockets.emplace(ws.get(), std::move(ws));
      handlers.push_back(std::move(handler));
      return HttpResponse{};
    });
    server.routePrefix("GET", "/plain", [](const HttpRequest&, HttpExchange&) {
      return HttpResponse::json(200, "{\"plain\":true}");
    });
  }

  Client& connect(const std::string& firstWrite) {
    auto client = std::make_unique<Client>();
    Client* c = client.get();
    c->conn.reset(core::TcpConnection::connect(
        loop, "127.0.0.1", server.port(), [c, firstWrite](core::TcpConnection* conn, int status) {
          if (status != 0) return;
          c->connected = true;
          conn->setHandler(c);
          conn->setNoDelay(true);  // small test writes must leave one by one
          conn->startReading();
          if (!firstWrite.empty()) conn->write(core::SharedBuffer::copyOf(firstWrite));
        }));
    BOOST_REQUIRE(c->conn);
    clients.push_back(std::move(client));
    return *c;
  }

  // Runs the loop until `done` holds or `timeoutMs` passed (then the test fails
  // on the returned false instead of hanging).
  bool runUntil(const std::function<bool()>& done, uint64_t timeoutMs = 3000) {
    return testing_loop::runUntil(loop, done, timeoutMs);
  }
  void runFor(uint64_t ms) { testing_loop::runFor(loop, ms); }

  Client& upgraded(const std::string& firstWrite = handshake()) {
    Client& c = connect(firstWrite);
    BOOST_REQUIRE(runUntil([&] { return !c.head.empty(); }));
    BOOST_REQUIRE(c.head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    return c;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(handshake_answers_101_and_echoes, Fixture) {
  Client& c = upgraded();
  BOOST_TEST(c.head.find("Sec-WebSocket-Accept: " + kAccept + "\r\n") != std::string::npos);
  BOOST_TEST(c.head.find("Upgrade: websocket\r\n") != std::string::npos);
  BOOST_TEST(c.head.find("Connection: Upgrade\r\n") != std::string::npos);
  BOOST_TEST(c.head.find("Content-Length") == std::string::npos);
  BOOST_TEST(c.head.find("Transfer-Encoding") == std::string::npos);
  BOOST_TEST(c.head.find("Access-Control") == std::string::npos);
  BOOST_TEST(sockets.size() == 1u);

  c.send(clientFrame(1, "hello"));
  c.send(clientFrame(2, std::string("\x00\x01\xff", 3)));
  BOOST_REQUIRE(runUntil([&] { return c.frames.size() >= 2; }));
  BOOST_TEST(c.frames[0].op == 1);
  BOOST_TEST(c.frames[0].fin);
  BOOST_TEST(c.frames[0].payload == "hello");
  BOOST_TEST(c.frames[1].op == 2);
  BOOST_TEST(c.frames[1].payload == std::string("\x00\x01\xff", 3));
  BOOST_TEST(!c.maskedFrame);
  BOOST_TEST(closes.empty());
  BOOST_TEST(!sockets.begin()->second->peer().empty());
}

BOOST_FIXTURE_TEST_CASE(reassembles_fragments_split_over_many_writes, Fixture) {
  Client& c = upgraded();
  // Three fragments with a ping between them (control frames may interleave).
  const std::string bytes = clientFrame(1, "hel", false) + clientFrame(9, "p") +
                            clientFrame(0, "lo wo", false) + clientFrame(0, "rld", true);
  for (size_t i = 0; i < bytes.size(); i += 5) {
    c.send(bytes.substr(i, 5));
    runFor(2);
  }
  BOOST_REQUIRE(runUntil([&] { return c.find(1) != nullptr; }));
  BOOST_TEST(messages.size() == 1u);
  BOOST_TEST(c.find(1)->payload == "hello world");
  BOOST_REQUIRE(c.find(10) != nullptr);
  BOOST_TEST(c.find(10)->payload == "p");
  BOOST_TEST(c.frames.front().op == 10);  // the pong left before the message ended
}

BOOST_FIXTURE_TEST_CASE(frames_in_the_handshake_write_are_not_lost, Fixture) {
  Client& c = connect(handshake() + clientFrame(1, "early") + clientFrame(1, "second"));
  BOOST_REQUIRE(runUntil([&] { return c.frames.size() >= 2; }));
  BOOST_TEST(c.head.starts_with("HTTP/1.1 101"));
  BOOST_TEST(c.frames[0].payload == "early");
  BOOST_TEST(c.frames[1].payload == "second");

  // The head split over two writes, the second ending with a frame.
  const std::string h = handshake();
  Client& d = connect(h.substr(0, 40));
  runFor(5);
  d.send(h.substr(40) + clientFrame(1, "after split head"));
  BOOST_REQUIRE(runUntil([&] { return !d.frames.empty(); }));
  BOOST_TEST(d.frames[0].payload == "after split head");
}

BOOST_FIXTURE_TEST_CASE(ping_gets_pong, Fixture) {
  Client& c = upgraded();
  c.send(clientFrame(9, "are you there"));
  BOOST_REQUIRE(runUntil([&] { return !c.frames.empty(); }));
  BOOST_TEST(c.frames[0].op == 10);
  BOOST_TEST(c.frames[0].payload == "are you there");
  BOOST_TEST(closes.empty());
}

BOOST_FIXTURE_TEST_CASE(oversized_messages_close_with_1009, Fixture) {
  // One 13 KiB frame.
  Client& a = upgraded();
  a.send(clientFrame(1, std::string(13 * 1024, 'a')));
  // 8 KiB + 8 KiB fragments: each fits, the message does not.
  Client& b = upgraded();
  b.send(clientFrame(2, std::string(8 * 1024, 'b'), false));
  b.send(clientFrame(0, std::string(8 * 1024, 'b'), true));
  // A hostile header announcing 1 TB, followed by a few bytes only.
  Client& c = upgraded();
  c.send(clientFrame(2, "xyz", true, true, 1ull << 40));
  BOOST_REQUIRE(runUntil([&] { return a.disconnected && b.disconnected && c.disconnected; }));
  for (Client* cl : {&a, &b, &c}) {
    const Frame* close = cl->find(8);
    BOOST_REQUIRE(close != nullptr);
    BOOST_TEST(close->closeCode() == 1009);
    BOOST_TEST(close->closeReason().find("too big") != std::string::npos, close->closeReason());
    BOOST_TEST(cl->find(1) == nullptr);  // nothing was echoed
    BOOST_TEST(cl->find(2) == nullptr);
  }
  BOOST_TEST(messages.empty());
  BOOST_REQUIRE(closes.size() == 3u);
  for (const auto& r : closes) BOOST_TEST(r.find("message too big") != std::string::npos, r);
  BOOST_TEST(sockets.empty());
}

BOOST_FIXTURE_TEST_CASE(protocol_violations_close_with_their_code, Fixture) {
  Client& unmasked = upgraded();
  unmasked.send(clientFrame(1, "no mask", true, false));
  Client& badUtf8 = upgraded();
  badUtf8.send(clientFrame(1, "\xc3\x28 invalid"));
  Client& badOpcode = upgraded();
  badOpcode.send(clientFrame(3, "reserved opcode"));
  Client& strayContinuation = upgraded();
  strayContinuation.send(clientFrame(0, "no start"));
  BOOST_REQUIRE(runUntil([&] {
    return unmasked.disconnected && badUtf8.disconnected && badOpcode.disconnected &&
           strayContinuation.disconnected;
  }));
  const std::pair<Client*, uint16_t> expected[] = {
      {&unmasked, 1002}, {&badUtf8, 1007}, {&badOpcode, 1002}, {&strayContinuation, 1002}};
  for (const auto& [cl, code] : expected) {
    const Frame* close = cl->find(8);
    BOOST_REQUIRE(close != nullptr);
    BOOST_TEST(close->closeCode() == code);
  }
  BOOST_TEST(messages.empty());
  BOOST_REQUIRE(closes.size() == 4u);
  int protocolErrors = 0;
  for (const auto& r : closes) protocolErrors += r.find("protocol error") != std::string::npos;
  BOOST_TEST(protocolErrors == 3);
}

namespace {

// A masked client frame whose length field is written as given: `lenByte` (the 7-bit
// field, 126 or 127 for an extended length) and `ext` the extended length bytes, so
// that non-minimal and out-of-range encodings can be sent (RFC 6455 5.2).
std::string rawFrame(uint8_t b0, uint8_t lenByte, std::string_view ext, std::string_view payload) {
  std::string f{static_cast<char>(b0), static_cast<char>(0x80 | lenByte)};
  f.append(ext);
  const uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return f;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(frame_header_violations_close_with_1002, Fixture) {
  // Each case is rejected by the frame reader before any callback: the peer must
  // still get a close frame with 1002 (RFC 6455 7.4.1), not a bare TCP close.
  const std::string be64top("\x80\0\0\0\0\0\0\0", 8);    // 2^63
  const std::string be64small("\0\0\0\0\0\0\0\xc8", 8);  // 200 in 64 bits
  const std::pair<std::string, std::string> cases[] = {
      {"2^63 length", rawFrame(0x82, 127, be64top, "xyz")},
      {"fragmented ping", clientFrame(9, "frag", /*fin=*/false)},
      {"126-byte ping", clientFrame(9, std::string(126, 'p'))},
      {"126-byte close", clientFrame(8, closePayload(1000, std::string(124, 'c')))},
      {"1-byte close payload", clientFrame(8, std::string(1, '\x03'))},
      {"2 bytes in a 16-bit length", rawFrame(0x81, 126, std::string("\0\x02", 2), "hi")},
      {"200 bytes in a 64-bit length", rawFrame(0x81, 127, be64small, std::string(200, 'a'))},
  };
  std::vector<Client*> clients;
  for (const auto& [what, bytes] : cases) {
    Client& c = upgraded();
    c.send(bytes);
    clients.push_back(&c);
  }
  BOOST_REQUIRE(runUntil([&] {
    return std::all_of(clients.begin(), clients.end(), [](Client* c) { return c->disconnected; });
  }));
  for (size_t i = 0; i < clients.size(); ++i) {
    BOOST_TEST_CONTEXT(cases[i].first) {
      const Frame* close = clients[i]->find(8);
      BOOST_REQUIRE(close != nullptr);
      BOOST_TEST(close->closeCode() == 1002);
      BOOST_TEST(!close->closeReason().empty());
      BOOST_TEST(clients[i]->frames.size() == 1u);  // nothing but the close
    }
  }
  BOOST_TEST(messages.empty());
  BOOST_REQUIRE(closes.size() == clients.size());
  for (const auto& r : closes) BOOST_TEST(r.find("protocol error") != std::string::npos, r);
  // The server goes on serving a well-behaved peer.
  Client& good = upgraded();
  good.send(clientFrame(1, "still here"));
  BOOST_REQUIRE(runUntil([&] { return good.find(1) != nullptr; }));
  BOOST_TEST(good.find(1)->payload == "still here");
}

BOOST_FIXTURE_TEST_CASE(minimal_lengths_and_125_byte_controls_are_accepted, Fixture) {
  // The limits themselves are valid: a 125-byte ping, 126 bytes in 16 bits,
  // a close with only a code.
  Client& c = upgraded();
  c.send(clientFrame(9, std::string(125, 'p')) + clientFrame(1, std::string(126, 'a')) +
         clientFrame(8, closePayload(1000, "")));
  BOOST_REQUIRE(runUntil([&] { return c.disconnected; }));
  BOOST_REQUIRE(c.frames.size() == 3u);
  BOOST_TEST(c.frames[0].op == 10);
  BOOST_TEST(c.frames[0].payload.size() == 125u);
  BOOST_TEST(c.frames[1].payload == std::string(126, 'a'));
  BOOST_TEST(c.frames[2].op == 8);
  BOOST_TEST(c.frames[2].closeCode() == 1000);
}

BOOST_FIXTURE_TEST_CASE(client_close_is_answered, Fixture) {
  Client& c = upgraded();
  c.send(clientFrame(8, closePayload(1000, "bye")));
  BOOST_REQUIRE(runUntil([&] { return c.disconnected && !closes.empty(); }));
  const Frame* close = c.find(8);
  BOOST_REQUIRE(close != nullptr);
  BOOST_TEST(close->closeCode() == 1000);
  BOOST_TEST(closes.size() == 1u);
  BOOST_TEST(closes[0].find("peer closed") != std::string::npos, closes[0]);
  BOOST_TEST(closes[0].find("1000") != std::string::npos, closes[0]);
  BOOST_TEST(closes[0].find("bye") != std::string::npos, closes[0]);
}

BOOST_FIXTURE_TEST_CASE(server_close_sends_code_and_reason, Fixture) {
  Client& c = upgraded();
  BOOST_REQUIRE(sockets.size() == 1u);
  WebSocket* ws = sockets.begin()->first;
  BOOST_TEST(ws->sendText("last words"));
  ws->close(4000, std::string(300, 'r'));  // reason longer than a control frame allows
  BOOST_TEST(ws->closed());
  BOOST_TEST(!ws->sendText("too late"));
  BOOST_TEST(closes.empty());  // onClose comes later, not inside close()
  BOOST_REQUIRE(runUntil([&] { return c.disconnected && !closes.empty(); }));
  BOOST_REQUIRE(c.frames.size() == 2u);
  BOOST_TEST(c.frames[0].payload == "last words");
  BOOST_TEST(c.frames[1].op == 8);
  BOOST_TEST(c.frames[1].closeCode() == 4000);
  BOOST_TEST(c.frames[1].closeReason() == std::string(123, 'r'));
}

BOOST_FIXTURE_TEST_CASE(idle_peer_is_pinged_then_closed, Fixture) {
  options.idleTimeoutMs = 300;
  options.pingIntervalMs = 100;
  Client& c = upgraded();
  const uint64_t start = loop.nowMs();
  BOOST_REQUIRE(runUntil([&] { return c.disconnected && !closes.empty(); }));
  const uint64_t elapsed = loop.nowMs() - start;
  BOOST_TEST(elapsed >= 250u);
  BOOST_TEST(elapsed < 2000u);
  BOOST_REQUIRE(c.frames.size() == 2u);
  BOOST_TEST(c.frames[0].op == 9);  // the ping
  BOOST_TEST(c.frames[1].op == 8);
  BOOST_TEST(c.frames[1].closeCode() == 1001);
  BOOST_TEST(c.frames[1].closeReason().find("idle timeout") != std::string::npos);
  BOOST_TEST(closes[0].find("idle timeout") != std::string::npos, closes[0]);
}

BOOST_FIXTURE_TEST_CASE(answering_peer_is_not_idle, Fixture) {
  options.idleTimeoutMs = 300;
  options.pingIntervalMs = 100;
  Client& c = upgraded();
  // Every frame resets the idle clock: a message every 50 ms for 600 ms.
  for (int i = 0; i < 12; ++i) {
    c.send(clientFrame(1, "tick"));
    runFor(50);
  }
  BOOST_TEST(closes.empty());
  BOOST_TEST(!c.disconnected);
  BOOST_TEST(messages.size() == 12u);
}

BOOST_FIXTURE_TEST_CASE(slow_consumer_is_dropped, Fixture) {
  options.maxBacklogBytes = 64 * 1024;
  Client& c = upgraded();
  c.conn->stopReading();
  BOOST_REQUIRE(sockets.size() == 1u);
  WebSocket* ws = sockets.begin()->first;
  const core::SharedBuffer frame = encodeWsFrame(WsOpcode::Binary, std::string(1024, 'x'));
  bool rejected = false;
  size_t sent = 0;
  core::Timer pump(loop, [&] {
    if (rejected || !closes.empty()) return;
    for (int i = 0; i < 16; ++i) {  // 16 KiB per tick: one batch stays under the limit
      inSend = true;
      const bool ok = ws->sendFrame(frame);
      inSend = false;
      if (!ok) {
        rejected = true;
        BOOST_TEST(ws->closed());
        return;
      }
      sent += frame.size();
    }
  });
  pump.start(1, 1);
  BOOST_REQUIRE(runUntil([&] { return !closes.empty(); }, 20000));
  pump.stop();
  BOOST_TEST(rejected);
  BOOST_TEST(!closedInsideSend);
  BOOST_TEST(sent > 64u * 1024u);
  BOOST_TEST(closes[0].find("slow consumer") != std::string::npos, closes[0]);
  BOOST_TEST(closes[0].find("bytes backlog") != std::string::npos, closes[0]);
}

BOOST_FIXTURE_TEST_CASE(reading_consumer_is_kept_at_the_same_rate, Fixture) {
  options.maxBacklogBytes = 64 * 1024;
  Client& c = upgraded();
  WebSocket* ws = sockets.begin()->first;
  const core::SharedBuffer frame = encodeWsFrame(WsOpcode::Binary, std::string(1024, 'x'));
  size_t sent = 0;
  core::Timer pump(loop, [&] {
    if (!closes.empty()) return;
    for (int i = 0; i < 16; ++i) {
      if (!ws->sendFrame(frame)) return;
      sent += frame.size();
    }
    BOOST_TEST(ws->backlogBytes() <= 64u * 1024u);
  });
  pump.start(1, 1);
  runFor(200);
  pump.stop();
  BOOST_TEST(closes.empty());
  BOOST_REQUIRE(runUntil([&] { return c.all.size() >= sent; }));
  BOOST_TEST(c.frames.size() * frame.size() == sent);
}

BOOST_FIXTURE_TEST_CASE(a_batch_bigger_than_the_backlog_limit_is_not_a_backlog, Fixture) {
  // A room may hand a reading member many frames in one loop turn (a rate limit
  // releasing queued messages): only bytes the kernel refused count.
  options.maxBacklogBytes = 16 * 1024;
  Client& c = upgraded();
  WebSocket* ws = sockets.begin()->first;
  const core::SharedBuffer frame = encodeWsFrame(WsOpcode::Text, std::string(8 * 1024, 'x'));
  for (int i = 0; i < 4; ++i) BOOST_TEST(ws->sendFrame(frame));  // 32 KiB in one turn
  BOOST_REQUIRE(runUntil([&] { return c.frames.size() >= 4u; }));
  BOOST_TEST(closes.empty());
}

BOOST_FIXTURE_TEST_CASE(a_coalescer_window_merges_frames_of_several_turns, Fixture) {
  core::WriteCoalescer coalescer(loop, 150);
  options.coalescer = &coalescer;
  Client& c = upgraded();
  WebSocket* ws = sockets.begin()->first;
  const core::SharedBuffer frame = encodeWsFrame(WsOpcode::Text, "tick");
  for (int i = 0; i < 3; ++i) {  // three loop turns, inside one window
    BOOST_TEST(ws->sendFrame(frame));
    runFor(5);
  }
  BOOST_TEST(c.frames.empty());  // held for the window
  BOOST_REQUIRE(runUntil([&] { return c.frames.size() >= 3u; }));
  BOOST_TEST(closes.empty());
}

BOOST_FIXTURE_TEST_CASE(bad_upgrades_get_http_errors, Fixture) {
  Client& version = connect(handshake("/ws", "8"));
  Client& noKey = connect(handshake("/ws", "13", ""));
  BOOST_REQUIRE(runUntil([&] { return !version.head.empty() && !noKey.head.empty(); }));
  BOOST_TEST(version.head.starts_with("HTTP/1.1 426"));
  BOOST_TEST(version.head.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
  BOOST_TEST(noKey.head.starts_with("HTTP/1.1 400"));
  BOOST_REQUIRE(runUntil([&] { return noKey.rest.find("Key") != std::string::npos; }));
  BOOST_TEST(noKey.rest.find("\"error\"") != std::string::npos);
  BOOST_TEST(sockets.empty());
}

BOOST_FIXTURE_TEST_CASE(upgrade_request_answered_plainly_keeps_http, Fixture) {
  // A route that does not upgrade: the bytes behind the head are parsed as HTTP.
  Client& c = connect(handshake("/plain") + "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
  auto count = [&] {
    size_t n = 0;
    for (size_t p = 0; (p = c.all.find("HTTP/1.1 200", p)) != std::string::npos; ++p) ++n;
    return n;
  };
  BOOST_REQUIRE(runUntil([&] { return count() == 2; }));
  BOOST_TEST(c.all.find("{\"plain\":true}") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(handler_may_close_inside_on_message, Fixture) {
  Client& c = upgraded();
  // The frame behind "close me" in the same read is not processed any more.
  c.send(clientFrame(1, "first") + clientFrame(1, "close me") + clientFrame(1, "ignored"));
  BOOST_REQUIRE(runUntil([&] { return c.disconnected && !closes.empty(); }));
  BOOST_REQUIRE(c.frames.size() == 2u);
  BOOST_TEST(c.frames[0].payload == "first");
  BOOST_TEST(c.frames[1].op == 8);
  BOOST_TEST(c.frames[1].closeCode() == 1000);
  BOOST_TEST(c.frames[1].closeReason() == "as asked");
  BOOST_TEST(messages.size() == 2u);
  BOOST_TEST(closes[0] == "as asked");
}
